import { createMemoryPipe } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { RawClient, flush, gameRoom, harness, relay, type Game } from './harness.test-support.js';
import type { RoomDefinition } from './room-definition.js';

/** The game room with deltas against acknowledged snapshots (what a lossy link gets). */
const acked = (overrides: Partial<RoomDefinition<Game>> = {}) => gameRoom({ snapshotBaseline: 'acknowledged', ...overrides });

describe('acked-delta replication', () => {
  it('sends a full snapshot first, then deltas of changed fields against the acked baseline', async () => {
    const h = harness(acked());
    const a = await h.join();
    await h.step(50);
    const first = a.snapshots[0]!;
    expect(first.full).toBe(true);
    expect(first.records).toEqual([expect.objectContaining({ created: true, type: 'ship' })]);
    await h.step(100);
    const quiet = a.snapshots.at(-1)!;
    expect(quiet.full).toBe(false);
    expect(quiet.baselineTick).toBeGreaterThan(0);
    expect(quiet.records).toEqual([]); // nothing changed: nothing sent
    a.input(1);
    await flush();
    await h.step(50);
    const moved = a.snapshots.at(-1)!;
    expect(moved.records).toEqual([expect.objectContaining({ id: a.welcome!.entity, created: false, type: 'ship', mask: 0b001 })]);
    expect(moved.records[0]!.wire[0]).toBe(1100); // x = 110.0 at precision 0.1
  });

  it('keeps sending full snapshots while a client has acknowledged nothing', async () => {
    const h = harness(acked());
    const a = h.connect();
    a.autoAck = false;
    a.hello();
    await flush();
    await h.step(200);
    expect(a.snapshots.length).toBeGreaterThanOrEqual(3);
    expect(a.snapshots.every((s) => s.full)).toBe(true);
  });

  it('falls back to a full snapshot when acks stop for longer than the ring, and to deltas when they resume', async () => {
    const h = harness(acked({ snapshotHistory: 4 }));
    const a = await h.join();
    await h.step(100);
    expect(a.snapshots.at(-1)!.full).toBe(false);
    a.autoAck = false;
    await h.step(150);
    // Still within the ring: deltas against the last acked tick, which no longer advances.
    const stale = a.snapshots.at(-1)!;
    expect(stale.full).toBe(false);
    await h.step(200);
    expect(a.snapshots.at(-1)!.full).toBe(true);
    a.autoAck = true;
    await h.step(50);
    await h.step(50);
    expect(a.snapshots.at(-1)!.full).toBe(false);
  });

  it('an ack of tick 0 asks for a full snapshot (the client lost its state)', async () => {
    const h = harness(acked());
    const a = await h.join();
    await h.step(150);
    expect(a.snapshots.at(-1)!.full).toBe(false);
    a.send(a.codec.ack(0));
    await flush();
    await h.step(50);
    expect(a.snapshots.at(-1)!.full).toBe(true);
  });

  it('ignores acks for ticks that were never sent', async () => {
    const h = harness(acked());
    const a = await h.join();
    a.autoAck = false;
    await h.step(100);
    a.send(a.codec.ack(9999));
    await flush();
    await h.step(50);
    expect(a.snapshots.at(-1)!.full).toBe(true);
  });

  it('removes entities by id and re-sends entities created since the baseline in full until acked', async () => {
    const h = harness(acked());
    const a = await h.join();
    await h.step(100);
    const room = h.server.rooms.get('r')!;
    a.autoAck = false;
    const extra = room.entities.create('ship', { pos: { x: 1, y: 2 } });
    await h.step(50);
    await h.step(50);
    const created = a.snapshots.slice(-2).map((s) => s.records.find((r) => r.id === extra.id));
    expect(created.map((r) => r?.created)).toEqual([true, true]);
    a.autoAck = true;
    await h.step(50);
    room.entities.remove(extra);
    await h.step(50);
    expect(a.snapshots.at(-1)!.removed).toEqual([extra.id]);
    expect(a.types.has(extra.id)).toBe(false);
  });

  it('shares one encoded body among clients with the same baseline', async () => {
    const h = harness(acked());
    const clients = [await h.join(), await h.join(), await h.join()];
    await h.step(200);
    const last = clients.map((c) => c.snapshots.at(-1)!);
    expect(new Set(last.map((s) => s.baselineTick)).size).toBe(1);
    expect(new Set(last.map((s) => JSON.stringify(s.records))).size).toBe(1);
  });

  it('sends linear fields as key frames: nothing while the path holds, a key frame when it turns', async () => {
    let speed = 5;
    const h = harness(
      acked({
        setup: (room) => void room.entities.create('mover', { vel: { vx: 100 } }),
        systems: [
          (room) => {
            for (const m of room.entities.ofType('mover')) m.vel.vx += speed;
          },
        ],
      }),
    );
    const a = await h.join();
    await h.step(500);
    const moverRecords = (from: number) => a.snapshots.slice(from).flatMap((s) => s.records.filter((r) => r.type === 'mover'));
    const mark = a.snapshots.length;
    await h.step(500);
    expect(moverRecords(mark)).toEqual([]);
    speed = -3;
    await h.step(200);
    expect(moverRecords(mark).length).toBeGreaterThanOrEqual(1);
    expect(moverRecords(mark).length).toBeLessThanOrEqual(2);
  });

  it('honours per-client relevance: out-of-view entities are removed, and re-sent in full when they return', async () => {
    let visible = true;
    const h = harness(acked({ isRelevant: (_room, _client, e) => e.type !== 'mover' || visible }));
    const a = await h.join();
    const room = h.server.rooms.get('r')!;
    const m = room.entities.create('mover', { vel: { vx: 10 } });
    await h.step(100);
    expect(a.types.has(m.id)).toBe(true);
    visible = false;
    await h.step(50);
    expect(a.snapshots.at(-1)!.removed).toEqual([m.id]);
    expect(a.types.has(m.id)).toBe(false);
    visible = true;
    await h.step(50);
    expect(a.snapshots.at(-1)!.records.find((r) => r.id === m.id)?.created).toBe(true);
    // Own entity is always relevant.
    expect(a.types.has(a.welcome!.entity)).toBe(true);
  });

  it('per-client relevance: no delta against a baseline once a later snapshot it depends on left the ring', async () => {
    // A ring of two slots (odd and even ticks). The baseline B stays in its slot while B+2 and
    // B+4 are skipped, but B+3 takes B+1's: a delta against B at B+5 could no longer see that
    // B+1 gave the client an entity that has since left its view.
    let visible = false;
    const h = harness(acked({ snapshotHistory: 2, isRelevant: (_room, _client, e) => e.type !== 'mover' || visible }));
    let backlog = 0;
    let drop = false;
    const [mine, theirs] = createMemoryPipe();
    const slow = relay(theirs, { buffered: () => backlog });
    h.server.accept(slow);
    const a = new RawClient(mine);
    const receive = mine.onmessage;
    mine.onmessage = (f) => {
      if (!drop) receive?.(f);
    };
    a.hello();
    await flush();
    const room = h.server.rooms.get('r')!;
    const m = room.entities.create('mover', { vel: { vx: 10 } });
    await h.step(100);
    a.autoAck = false; // B: the last acknowledged snapshot
    visible = true;
    await h.step(50); // B+1 creates the mover
    expect(a.types.has(m.id)).toBe(true);
    visible = false;
    backlog = 100_000;
    await h.step(50); // B+2 skipped
    backlog = 0;
    drop = true;
    await h.step(50); // B+3 removes it, and is lost
    drop = false;
    backlog = 100_000;
    await h.step(50); // B+4 skipped
    backlog = 0;
    a.autoAck = true;
    await h.step(50); // B+5: must not be a delta against B that forgets the mover
    await h.step(100);
    expect(a.types.has(m.id)).toBe(false);
  });

  it('skips snapshots for a backed-up socket and catches up with one delta', async () => {
    const h = harness(acked());
    let backlog = 0;
    const [mine, theirs] = createMemoryPipe();
    const slow = relay(theirs, { buffered: () => backlog });
    h.server.accept(slow);
    const a = new RawClient(mine);
    a.hello();
    await flush();
    await h.step(100);
    const before = a.snapshots.length;
    backlog = 100_000;
    await h.step(200);
    expect(a.snapshots.length).toBe(before);
    expect(h.server.metrics.totals.snapshotsSkipped).toBeGreaterThanOrEqual(3);
    backlog = 0;
    await h.step(50);
    expect(a.snapshots.length).toBe(before + 1);
    expect(a.snapshots.at(-1)!.full).toBe(false);
    backlog = 10_000_000;
    await h.step(50);
    expect(a.closed?.code).toBe(4007);
  });
});

describe('sent-baseline replication (reliable links)', () => {
  it('takes each delta against the last snapshot sent, whatever the client acknowledged', async () => {
    const h = harness();
    const a = await h.join();
    a.autoAck = false;
    await h.step(200);
    const [first, ...rest] = a.snapshots;
    expect(first!.full).toBe(true);
    expect(rest.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < a.snapshots.length; i++) {
      expect(a.snapshots[i]!.full).toBe(false);
      expect(a.snapshots[i]!.baselineTick).toBe(a.snapshots[i - 1]!.tick);
    }
  });

  it('gives clients that see everything one body per tick, however differently they acknowledge', async () => {
    const h = harness();
    const a = await h.join();
    const b = await h.join();
    b.autoAck = false;
    await h.step(100);
    a.input(1);
    await flush();
    await h.step(50);
    const sa = a.snapshots.at(-1)!;
    const sb = b.snapshots.at(-1)!;
    expect(sa.tick).toBe(sb.tick);
    expect(sb.baselineTick).toBe(sa.baselineTick);
    expect(sb.records).toEqual(sa.records);
    expect(sa.records).toEqual([expect.objectContaining({ id: a.welcome!.entity, created: false, mask: 0b001 })]);
  });

  it('an ACK of 0 brings a full snapshot and acknowledged baselines for the rest of the connection', async () => {
    const h = harness();
    const a = await h.join();
    a.autoAck = false;
    await h.step(100);
    expect(a.snapshots.at(-1)!.full).toBe(false);
    a.send(a.codec.ack(0));
    await flush();
    await h.step(150);
    // Nothing acknowledged since: acknowledged baselines have none, so every snapshot is full.
    expect(a.snapshots.slice(-3).every((s) => s.full)).toBe(true);
    a.autoAck = true;
    await h.step(100);
    const last = a.snapshots.at(-1)!;
    expect(last.full).toBe(false);
    expect(a.snapshots.some((s) => s.tick === last.baselineTick)).toBe(true);
  });

  it('a connection whose transport may lose frames gets acknowledged baselines from the start', async () => {
    const h = harness();
    const a = h.connect('127.0.0.1', { unreliable: true });
    a.autoAck = false;
    a.hello();
    await flush();
    await h.step(150);
    expect(a.snapshots.length).toBeGreaterThanOrEqual(3);
    expect(a.snapshots.every((s) => s.full)).toBe(true);
  });

  it('a room can ask for acknowledged baselines on every link', async () => {
    const h = harness(acked());
    const a = await h.join();
    a.autoAck = false;
    await h.step(150);
    expect(a.snapshots.every((s) => s.full)).toBe(true);
  });
});
