import { addDigest, defineProtocol, fieldDigest, presenceDigest, t, type WireValue } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import type { Entity } from './entity-store.js';
import { flush, harness, type RawClient, type RecordedSnapshot } from './harness.test-support.js';
import { defineRoom } from './room-definition.js';
import type { Room } from './room.js';

// Fields: 0 pos.x, 1 pos.y, 2 shields.s, 3 systems.energy.
const space = defineProtocol({
  name: 'space-acks',
  components: {
    pos: { x: t.float({ min: -100000, max: 100000, precision: 1 }), y: t.float({ min: -100000, max: 100000, precision: 1 }) },
    shields: { s: t.uint({ max: 1000 }) },
    systems: { energy: t.uint({ max: 100000 }) },
  },
  entities: { ship: ['pos', 'shields', 'systems'] },
});
type Space = typeof space;
type Ship = Entity<Space, 'ship'>;
const POS = 0b0011;

/**
 * A viewer at the origin (no entity of its own); near, mid and far tiers, all at full rate. The
 * client acknowledges nothing by itself; the first full snapshot is acknowledged before a test
 * starts, so it starts with deltas.
 */
async function world(
  snapshotHistory?: number,
  snapshotBaseline: 'auto' | 'acknowledged' = 'acknowledged',
  viewDigestEvery?: number,
  viewer: () => { x: number; y: number } = () => ({ x: 0, y: 0 }),
) {
  const h = harness<Space>(
    defineRoom<Space>({
      protocol: space,
      createOnJoin: true,
      reconnectWindowMs: 0,
      snapshotHistory,
      snapshotBaseline,
      viewDigestEvery,
      interest: {
        position: (e) => ({ x: e.pos.x, y: e.pos.y }),
        viewer,
        tiers: [
          { name: 'near', radius: 10_000 },
          { name: 'mid', radius: 20_000, components: ['pos', 'shields'] },
          { name: 'far', radius: 50_000, components: ['pos'] },
        ],
      },
    }),
  );
  const a = h.connect();
  a.autoAck = false;
  a.hello();
  await flush();
  const room = h.server.rooms.get('r') as unknown as Room<Space>;
  const ack = async (tick: number) => {
    a.send(a.codec.ack(tick));
    await flush();
  };
  /** Steps one snapshot and returns it. */
  const next = async (): Promise<RecordedSnapshot> => {
    const n = a.snapshots.length;
    await h.step(50);
    expect(a.snapshots.length).toBe(n + 1);
    return a.snapshots.at(-1)!;
  };
  const first = await next();
  expect(first.full).toBe(true);
  await ack(first.tick);
  const state = () => room.clients.get(a.welcome!.clientId)!.view.interest!;
  return { h, a, room, ack, next, state, ship: (x: number): Ship => room.entities.create('ship', { pos: { x, y: 0 }, shields: { s: 5 }, systems: { energy: 9 } }) };
}

const recordOf = (s: RecordedSnapshot, id: number) => s.records.find((r) => r.id === id);

describe('interest replication over a lossy link', () => {
  it('creates a far entity with the far tier fields only; the rest arrive when it comes nearer', async () => {
    const { a, ack, next, ship } = await world();
    const far = ship(30_000);
    const first = await next();
    expect(recordOf(first, far.id)).toMatchObject({ created: true, mask: POS });
    await ack(first.tick);
    far.pos.x = 15_000; // mid: shields join
    expect(recordOf(await next(), far.id)).toMatchObject({ created: false, mask: 0b0101 }); // x moved, shields are new
    const mid = a.snapshots.at(-1)!;
    await ack(mid.tick);
    far.pos.x = 5_000; // near: systems join
    expect(recordOf(await next(), far.id)).toMatchObject({ created: false, mask: 0b1001 });
  });

  it('sends a creation again until a snapshot carrying one is acknowledged, then updates', async () => {
    const { ack, next, ship } = await world();
    const s = ship(5_000);
    const s1 = await next();
    expect(recordOf(s1, s.id)).toMatchObject({ created: true, mask: -1 });
    s.shields.s = 6;
    // s1 "was lost": no ack. The next record must still be a creation, or the client could not apply it.
    const s2 = await next();
    expect(recordOf(s2, s.id)).toMatchObject({ created: true, mask: -1 });
    await ack(s2.tick);
    s.shields.s = 7;
    expect(recordOf(await next(), s.id)).toMatchObject({ created: false, mask: 0b0100 });
  });

  it('an update in a lost snapshot goes again in every snapshot until acknowledged, though nothing changes since', async () => {
    const { ack, next, ship } = await world();
    const s = ship(5_000);
    await ack((await next()).tick);
    expect(recordOf(await next(), s.id)).toBeUndefined(); // nothing changed: nothing sent
    s.shields.s = 6;
    expect(recordOf(await next(), s.id)).toMatchObject({ created: false, mask: 0b0100 });
    // That snapshot "was lost"; the entity stays as it is.
    expect(recordOf(await next(), s.id)).toMatchObject({ created: false, mask: 0b0100 });
    const again = await next();
    expect(recordOf(again, s.id)).toMatchObject({ created: false, mask: 0b0100 });
    await ack(again.tick);
    expect(recordOf(await next(), s.id)).toBeUndefined();
  });

  it('fields a nearer tier allows are compared again when the viewer comes nearer, though the entity did not change', async () => {
    const at = { x: 0, y: 0 };
    const { ack, next, ship } = await world(undefined, 'acknowledged', undefined, () => at);
    const s = ship(30_000); // far: position only
    await ack((await next()).tick);
    s.shields.s = 6; // a field the far tier does not send
    expect(recordOf(await next(), s.id)).toBeUndefined();
    expect(recordOf(await next(), s.id)).toBeUndefined();
    at.x = 25_000; // the entity is near now, unchanged: the shields it missed go out
    expect(recordOf(await next(), s.id)).toMatchObject({ created: false, mask: 0b0100 | 0b1000 });
  });

  it('a creation sent again keeps every field an earlier one carried, even after the entity moved away', async () => {
    const { ack, next, ship } = await world();
    const s = ship(5_000);
    expect(recordOf(await next(), s.id)).toMatchObject({ created: true, mask: -1 });
    s.pos.x = 30_000; // far before the creation was acknowledged
    const again = await next();
    expect(recordOf(again, s.id)).toMatchObject({ created: true, mask: -1 });
    await ack(again.tick);
    s.pos.y = 1;
    expect(recordOf(await next(), s.id)).toMatchObject({ created: false, mask: 0b0010 });
  });

  it('re-sends a removal in every snapshot until one carrying it is acknowledged', async () => {
    const { ack, next, ship } = await world();
    const s = ship(5_000);
    await ack((await next()).tick);
    s.pos.x = 70_000; // out of range
    const r1 = await next();
    expect(r1.removed).toEqual([s.id]);
    const r2 = await next(); // r1 was lost
    expect(r2.removed).toEqual([s.id]);
    const r3 = await next();
    await ack(r2.tick); // an older one arrives: it carried the removal, so that is enough
    expect(r3.removed).toEqual([s.id]);
    expect((await next()).removed).toEqual([]);
    // A late ack of r1 changes nothing.
    await ack(r1.tick);
    expect((await next()).removed).toEqual([]);
  });

  it('an entity that comes back before its removal is acknowledged is created again, and not removed', async () => {
    const { ack, next, ship } = await world();
    const s = ship(5_000);
    const created = await next();
    s.shields.s = 50;
    s.pos.x = 70_000;
    const left = await next();
    expect(left.removed).toEqual([s.id]);
    s.pos.x = 30_000; // back, far
    const back = await next();
    expect(back.removed).toEqual([]);
    expect(recordOf(back, s.id)).toMatchObject({ created: true, mask: POS });
    // Acks of snapshots from its earlier stay do not count for the new one.
    await ack(created.tick);
    await ack(left.tick);
    expect(recordOf(await next(), s.id)).toMatchObject({ created: true, mask: POS });
  });

  it('writes an honest baseline: the newest acknowledged tick', async () => {
    const { ack, next, ship } = await world();
    ship(5_000);
    const s1 = await next();
    const s2 = await next();
    expect(s2).toMatchObject({ full: false, baselineTick: s1.tick - 1 }); // the full one acknowledged before
    await ack(s2.tick);
    await ack(s1.tick); // reordered: the baseline does not go back
    expect(await next()).toMatchObject({ full: false, baselineTick: s2.tick });
  });

  it('after an ack of 0, sends full snapshots until one is acknowledged, then removes what any of them gave', async () => {
    const { ack, next, ship } = await world();
    const s = ship(5_000);
    const gone = ship(6_000);
    const before = await next();
    await ack(before.tick);
    await ack(0);
    const f1 = await next();
    expect(f1).toMatchObject({ full: true, removed: [] });
    expect(recordOf(f1, gone.id)).toMatchObject({ created: true });
    gone.pos.x = 70_000;
    const late = ship(7_000);
    const f2 = await next();
    expect(f2.full).toBe(true);
    expect(recordOf(f2, gone.id)).toBeUndefined();
    expect(recordOf(f2, late.id)).toMatchObject({ created: true });
    late.pos.x = 70_000;
    await ack(before.tick); // from before the start-over: ignored
    expect((await next()).full).toBe(true);
    // The client applied f1 and maybe a later one: it may hold `gone` (from f1) or `late` (from
    // f2), so both are removed until acknowledged; `s`, in every full snapshot, is created once
    // more until acknowledged.
    await ack(f1.tick);
    const after = await next();
    expect(after).toMatchObject({ full: false, baselineTick: f1.tick, removed: [gone.id, late.id] });
    expect(recordOf(after, s.id)).toMatchObject({ created: true });
    await ack(after.tick);
    const settled = await next();
    expect(settled.removed).toEqual([]);
    s.shields.s = 1;
    expect(recordOf(await next(), s.id)).toMatchObject({ created: false, mask: 0b0100 });
  });

  it('a client that stops acknowledging gets full snapshots, and no pending removals pile up for it', async () => {
    const { room, next, state, ship } = await world(8);
    const ships = Array.from({ length: 5 }, (_, i) => ship(1_000 * (i + 1)));
    await next();
    for (const s of ships) room.entities.remove(s);
    expect((await next()).removed).toHaveLength(5);
    expect(state().removals.size).toBe(5);
    for (let i = 0; i < 8; i++) await next();
    expect((await next()).full).toBe(true);
    expect(state().removals.size).toBe(0);
  });
});

describe('interest replication over a reliable link', () => {
  it('a creation, an update and a removal are each sent once, with no acknowledgement needed', async () => {
    const { next, ship } = await world(undefined, 'auto');
    const s = ship(5_000);
    const s1 = await next();
    expect(recordOf(s1, s.id)).toMatchObject({ created: true, mask: -1 });
    expect(s1.baselineTick).toBeGreaterThan(0);
    s.shields.s = 6;
    const s2 = await next();
    expect(recordOf(s2, s.id)).toMatchObject({ created: false, mask: 0b0100 });
    expect(s2.baselineTick).toBe(s1.tick);
    expect(recordOf(await next(), s.id)).toBeUndefined();
    s.pos.x = 70_000; // out of range
    expect((await next()).removed).toEqual([s.id]);
    expect((await next()).removed).toEqual([]);
  });

  it('an ACK of 0 starts over with full snapshots, then acknowledged baselines', async () => {
    const { ack, next, ship } = await world(undefined, 'auto');
    const s = ship(5_000);
    await next();
    await ack(0);
    const full = await next();
    expect(full.full).toBe(true);
    expect((await next()).full).toBe(true); // not acknowledged yet
    await ack(full.tick);
    s.shields.s = 6;
    const delta = await next();
    expect(delta.full).toBe(false);
    expect(delta.baselineTick).toBe(full.tick);
    // Acknowledged baselines now: the creation was acknowledged with the full one, the removal is repeated until acknowledged.
    s.pos.x = 70_000;
    expect((await next()).removed).toEqual([s.id]);
    expect((await next()).removed).toEqual([s.id]);
  });
});

describe('interest replication and the byte budget', () => {
  it('a pending removal is sent even when the budget is spent', async () => {
    const h = harness<Space>(
      defineRoom<Space>({
        protocol: space,
        createOnJoin: true,
        reconnectWindowMs: 0,
        interest: { position: (e) => ({ x: e.pos.x, y: e.pos.y }), viewer: () => ({ x: 0, y: 0 }), tiers: [{ name: 'near', radius: 10_000 }], budgetBytes: 8 },
      }),
    );
    const a: RawClient = await h.join();
    const room = h.server.rooms.get('r') as unknown as Room<Space>;
    const ships = Array.from({ length: 20 }, (_, i) => room.entities.create('ship', { pos: { x: 100 * i, y: 0 } }));
    await h.step(500);
    for (const s of ships) s.pos.x = 70_000 + s.id;
    await h.step(100);
    expect(a.types.size).toBe(0);
    expect(new Set(a.snapshots.flatMap((s) => s.removed))).toEqual(new Set(ships.map((s) => s.id)));
  });
});

/**
 * A client's view of the `space` protocol (no linear fields) kept from the snapshots a test says
 * it received: what a view digest is checked against.
 */
class HeldView {
  private readonly entities = new Map<number, { type: number; received: number; wire: WireValue[] }>();

  apply(s: RecordedSnapshot): void {
    if (s.full) this.entities.clear();
    for (const id of s.removed) this.entities.delete(id);
    for (const r of s.records) {
      const type = space.entityType(r.type);
      const all = (1 << type.fields.length) - 1;
      if (r.created) {
        this.entities.set(r.id, { type: type.index, received: r.mask === -1 ? all : r.mask, wire: r.wire.slice() });
        continue;
      }
      const e = this.entities.get(r.id)!;
      e.received |= r.mask;
      for (let i = 0; i < type.fields.length; i++) if ((r.mask & (1 << i)) !== 0) e.wire[i] = r.wire[i]!;
    }
  }

  digest(): number {
    let sum = 0;
    for (const [id, e] of this.entities) {
      sum = addDigest(sum, presenceDigest(id, e.type));
      for (let i = 0; i < e.wire.length; i++) if ((e.received & (1 << i)) !== 0) sum = addDigest(sum, fieldDigest(id, i, e.wire[i]!, false));
    }
    return sum;
  }
}

describe('the view digest in interest rooms', () => {
  it('over a reliable link, is the digest of exactly what the client holds, partial entities included', async () => {
    const { next, ship } = await world(undefined, 'auto', 3);
    const view = new HeldView();
    const near = ship(5_000);
    ship(15_000); // mid: no systems
    ship(30_000); // far: position only
    let digests = 0;
    for (let i = 0; i < 12; i++) {
      near.shields.s = i;
      if (i === 6) near.pos.x = 70_000; // out of range: removed
      const s = await next();
      view.apply(s);
      if (s.digest === undefined) continue;
      digests++;
      expect(s.digest).toBe(view.digest());
    }
    expect(digests).toBe(4);
  });

  it('over a lossy link, goes out only with a snapshot after which the view is sure: what a lost one carried is sent again', async () => {
    const { ack, next, ship } = await world(undefined, 'acknowledged', 4);
    const view = new HeldView();
    const s = ship(5_000);
    const created = await next();
    view.apply(created);
    await ack(created.tick);
    // A value only the near tier sends goes out in a snapshot that is lost; the ship then moves
    // to the far tier, which sends its position only: no update would bring the value again.
    s.systems.energy = 10;
    const lost = await next();
    expect(recordOf(lost, s.id)).toMatchObject({ created: false, mask: 0b1000 });
    s.pos.x = 30_000;
    let checked = 0;
    for (let i = 0; i < 8; i++) {
      const snap = await next();
      view.apply(snap);
      await ack(snap.tick);
      if (snap.digest === undefined) continue;
      checked++;
      expect(snap.digest).toBe(view.digest());
      // The far tier's update would carry nothing; the energy the lost snapshot carried goes again.
      if (checked === 1) expect(recordOf(snap, s.id)?.mask).toBe(0b1000);
      if (checked === 1) expect(recordOf(snap, s.id)?.wire[3]).toBe(10);
    }
    expect(checked).toBe(2);
  });
});
