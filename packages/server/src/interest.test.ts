import { defineProtocol, t } from '@tickwire/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entity } from './entity-store.js';
import { harness, type RawClient, type RecordedRecord } from './harness.test-support.js';
import { Candidates, SpatialGrid, tierRadii2, type Tier } from './interest.js';
import { defineRoom } from './room-definition.js';
import type { Room } from './room.js';
import { ViewerCells } from './viewer-cells.js';

// Seed 004's shape: ships with position, shields and systems; a crew-only entity per ship.
const space = defineProtocol({
  name: 'space',
  components: {
    pos: { x: t.float({ min: -100000, max: 100000, precision: 1 }), y: t.float({ min: -100000, max: 100000, precision: 1 }) },
    shields: { s: t.uint({ max: 1000 }) },
    systems: { energy: t.uint({ max: 100000 }) },
  },
  entities: { ship: ['pos', 'shields', 'systems'], console: ['systems'] },
});
type Space = typeof space;
type Ship = Entity<Space, 'ship'>;

const tiers = [
  { name: 'near', radius: 10_000 },
  { name: 'mid', radius: 20_000, rate: 2, components: ['pos', 'shields'] },
  { name: 'far', radius: 50_000, rate: 1, components: ['pos'] },
];

function spaceRoom(budgetBytes?: number) {
  return defineRoom<Space, { npcs: Ship[] }>({
    protocol: space,
    createOnJoin: true,
    reconnectWindowMs: 0,
    setup: () => ({ npcs: [] }),
    onJoin: (room) => room.entities.create('ship', { pos: { x: 0, y: 0 } }),
    interest: {
      position: (e) => (e.type === 'ship' ? { x: e.pos.x, y: e.pos.y } : undefined),
      tiers,
      channel: (e) => (e.type === 'console' ? `crew:${e.systems.energy % 2}` : undefined),
      channels: (client) => [`crew:${client.id % 2}`],
      budgetBytes,
    },
    systems: [
      (room) => {
        // Everything changes every tick: the tiers alone decide what is sent.
        for (const s of room.state.npcs) {
          s.pos.y += 1;
          s.shields.s = (s.shields.s + 1) % 1000;
          s.systems.energy = (s.systems.energy + 2) % 100000;
        }
      },
    ],
  });
}

function records(c: RawClient, from: number, id: number): RecordedRecord[] {
  return c.snapshots.slice(from).flatMap((s) => s.records.filter((r) => r.id === id));
}

async function world(budgetBytes?: number) {
  const h = harness<Space>(spaceRoom(budgetBytes));
  const a = await h.join();
  const room = h.server.rooms.get('r') as unknown as Room<Space, { npcs: Ship[] }>;
  const npc = (x: number) => {
    const s = room.entities.create('ship', { pos: { x, y: 0 } });
    room.state.npcs.push(s);
    return s;
  };
  return { h, a, room, npc };
}

describe('interest management', () => {
  it('sends each tier at its rate with its components, and nothing out of range', async () => {
    const { h, a, npc } = await world();
    const near = npc(5_000);
    const mid = npc(15_000);
    const far = npc(30_000);
    const out = npc(60_000);
    await h.step(500);
    const mark = a.snapshots.length;
    await h.step(2000);
    const n = records(a, mark, near.id);
    const m = records(a, mark, mid.id);
    const f = records(a, mark, far.id);
    // 40 snapshots in 2 s: near every one, mid at 2 Hz, far at 1 Hz.
    expect(n.length).toBeGreaterThanOrEqual(39);
    expect(m.length).toBeGreaterThanOrEqual(3);
    expect(m.length).toBeLessThanOrEqual(5);
    expect(f.length).toBeGreaterThanOrEqual(1);
    expect(f.length).toBeLessThanOrEqual(3);
    // Fields: x, y, shields, energy (bits 0-3); ships move along y only, so x never changes.
    expect(n.every((r) => r.mask === 0b1110)).toBe(true); // everything that changed
    expect(m.every((r) => r.mask === 0b0110)).toBe(true); // position and shields
    expect(f.every((r) => r.mask === 0b0010)).toBe(true); // position only
    expect(a.types.has(out.id)).toBe(false);
  });

  it('removes entities that leave range and re-creates them in full when they come back', async () => {
    const { h, a, npc } = await world();
    const s = npc(5_000);
    await h.step(300);
    expect(a.types.has(s.id)).toBe(true);
    s.pos.x = 70_000;
    await h.step(100);
    expect(a.snapshots.some((snap) => snap.removed.includes(s.id))).toBe(true);
    expect(a.types.has(s.id)).toBe(false);
    const mark = a.snapshots.length;
    s.pos.x = 4_000;
    await h.step(100);
    const back = records(a, mark, s.id);
    expect(back[0]?.created).toBe(true);
    expect(a.types.has(s.id)).toBe(true);
  });

  it('sends channel entities to their members only, whatever the distance', async () => {
    const { h, a, room } = await world();
    const b = await h.join();
    const ca = room.clients.get(a.welcome!.clientId)!;
    const cb = room.clients.get(b.welcome!.clientId)!;
    // console with energy parity = a's channel.
    const forA = room.entities.create('console', { systems: { energy: ca.id % 2 } });
    const forB = room.entities.create('console', { systems: { energy: cb.id % 2 } });
    (cb.entity as Ship).pos.x = 90_000; // b is far from everything
    await h.step(300);
    expect(a.types.has(forA.id)).toBe(true);
    expect(a.types.has(forB.id)).toBe(false);
    expect(b.types.has(forB.id)).toBe(true);
    expect(b.types.has(forA.id)).toBe(false);
  });

  it('keeps each snapshot within the byte budget and still sends every entity in time', async () => {
    const budget = 120;
    const { h, a, npc } = await world(budget);
    const ships = Array.from({ length: 60 }, (_, i) => npc(100 + i * 50));
    await h.step(3000);
    const mark = a.snapshots.length;
    await h.step(2000);
    const later = a.snapshots.slice(mark);
    // Entity records only: the frame head, the body header and padding are not counted.
    for (const s of later) expect(s.bytes).toBeLessThanOrEqual(budget + 24);
    for (const ship of ships) expect(records(a, mark, ship.id).length).toBeGreaterThan(0);
  });

  it('refuses a tier that names an entity type the protocol does not declare', () => {
    const room = spaceRoom();
    const typo = { ...room, interest: { ...room.interest!, tiers: [{ name: 'torpedo', radius: 5000, types: ['torpedoe'] }] } };
    expect(() => harness<Space>(typo)).toThrow(/tier 'torpedo' names entity type 'torpedoe'/);
  });

  it('answers a grid query from nearby cells only', () => {
    const grid = new SpatialGrid(100);
    const at = new Map<number, { x: number; y: number }>([
      [1, { x: 10, y: 10 }],
      [2, { x: 150, y: 10 }],
      [3, { x: 5000, y: 5000 }],
      [4, { x: -90, y: -20 }],
      [5, { x: Number.NaN, y: 0 }],
    ]);
    grid.rebuild(
      [...at.keys()].map((id) => ({ id, type: 'ship', alive: true })),
      (e) => at.get(e.id),
    );
    const out = new Candidates();
    grid.collect(0, 0, tierRadii2([{ name: 'near', radius: 100 }, { name: 'far', radius: 200 }]), out);
    const found = [...out.ids.subarray(0, out.count)].map((id, i) => [id, out.tiers[i]]);
    expect(found.sort((a, b) => a[0]! - b[0]!)).toEqual([[1, 0], [2, 1], [4, 0]]);
  });

  it('puts an entity in the first tier that covers it among those of its type (property)', () => {
    const types = ['ship', 'torpedo', 'base'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -3000, max: 3000, noNaN: true }), fc.double({ min: -3000, max: 3000, noNaN: true }), fc.nat(2)), { maxLength: 60 }),
        fc.array(fc.tuple(fc.double({ min: 1, max: 3000, noNaN: true }), fc.option(fc.subarray(types, { minLength: 1 }), { nil: undefined })), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 1, max: 1000, noNaN: true }),
        (points, tierSpecs, cellSize) => {
          const tiers = tierSpecs.map(([radius, only], i) => ({ name: `t${i}`, radius, ...(only ? { types: only } : {}) }));
          const grid = new SpatialGrid(cellSize);
          grid.rebuild(
            points.map(([, , k], i) => ({ id: i + 1, type: types[k]!, alive: true })),
            (e) => ({ x: points[e.id - 1]![0], y: points[e.id - 1]![1] }),
          );
          const out = new Candidates();
          out.clear();
          grid.collect(0, 0, tierRadii2(tiers), out, tiers);
          const want = new Map<number, number>();
          points.forEach(([x, y, k], i) => {
            const d2 = x * x + y * y;
            const tier = tiers.findIndex((t) => (!t.types || t.types.includes(types[k]!)) && d2 < t.radius * t.radius);
            if (tier >= 0) want.set(i + 1, tier);
          });
          const got = new Map<number, number>();
          for (let i = 0; i < out.count; i++) got.set(out.ids[i]!, out.tiers[i]!);
          expect(got).toEqual(want);
        },
      ),
    );
  });

  it('finds exactly the entities within range, in their tiers, wherever they are (property)', () => {
    const coord = fc.oneof(fc.double({ min: -2000, max: 2000, noNaN: true }), fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.constant(Number.NaN));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(coord, coord), { maxLength: 80 }),
        fc.tuple(fc.double({ min: -3000, max: 3000, noNaN: true }), fc.double({ min: -3000, max: 3000, noNaN: true })),
        fc.array(fc.double({ min: 1, max: 2000, noNaN: true }), { minLength: 1, maxLength: 3 }),
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.array(fc.nat(79), { maxLength: 5 }),
        (points, [vx, vy], radii, cellSize, extras) => {
          const tiers = [...radii].sort((a, b) => a - b).map((radius, i) => ({ name: `t${i}`, radius }));
          const grid = new SpatialGrid(cellSize);
          grid.rebuild(
            points.map((_, i) => ({ id: i + 1, type: 'ship', alive: true })),
            (e) => ({ x: points[e.id - 1]![0], y: points[e.id - 1]![1] }),
          );
          const out = new Candidates();
          out.clear();
          for (const x of extras) out.addExtra(x + 1);
          grid.collect(vx, vy, tierRadii2(tiers), out);
          const want = new Map<number, number>();
          for (const x of extras) want.set(x + 1, -1);
          points.forEach(([x, y], i) => {
            const d2 = (x - vx) ** 2 + (y - vy) ** 2;
            const tier = tiers.findIndex((t) => d2 < t.radius * t.radius);
            if (!want.has(i + 1) && tier >= 0) want.set(i + 1, tier);
          });
          const got = new Map<number, number>();
          for (let i = 0; i < out.count; i++) {
            expect(got.has(out.ids[i]!)).toBe(false);
            got.set(out.ids[i]!, out.tiers[i]!);
          }
          expect(got).toEqual(want);
        },
      ),
    );
  });

  it('gives every viewer of a shared cell what its own grid query gives, in the same order (property)', () => {
    const types = ['ship', 'torpedo'];
    // Spread evenly (fast-check's doubles favour their bounds and zero), in thousandths.
    const spread = (min: number, max: number) => fc.integer({ min: min * 1000, max: max * 1000 }).map((v) => v / 1000);
    const near = spread(-2000, 2000);
    const coord = fc.oneof({ weight: 8, arbitrary: near }, fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.constant(Number.NaN));
    // Viewers crowd within a cell or so of two spots, so that cells hold several; some have no viewer.
    const unit = spread(0, 1);
    const viewerArb = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.nat(1), unit, unit).map(([spot, fx, fy]) => ({ spot, fx, fy })) },
      { weight: 1, arbitrary: fc.tuple(near, near).map(([x, y]) => ({ x, y })) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    let shared = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(coord, coord, fc.nat(1)), { maxLength: 120 }),
        fc.array(fc.tuple(near, near), { minLength: 2, maxLength: 2 }),
        fc.array(viewerArb, { minLength: 4, maxLength: 24 }),
        fc.array(fc.tuple(spread(1, 2000), fc.option(fc.subarray(types, { minLength: 1 }), { nil: undefined, freq: 2 })), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        spread(1, 1000),
        fc.array(fc.nat(119), { maxLength: 3 }),
        (points, spots, specs, tierSpecs, ascending, cellSize, extras) => {
          const radii = tierSpecs.map(([radius]) => radius);
          if (ascending) radii.sort((a, b) => a - b);
          const tiers: Tier[] = tierSpecs.map(([, only], i) => ({ name: `t${i}`, radius: radii[i]!, ...(only ? { types: only } : {}) }));
          const r2s = tierRadii2(tiers);
          const grid = new SpatialGrid(cellSize);
          grid.rebuild(
            points.map(([, , k], i) => ({ id: i + 1, type: types[k]!, alive: true })),
            (e) => ({ x: points[e.id - 1]![0], y: points[e.id - 1]![1] }),
          );
          const viewers = specs.map((v) => (v && 'spot' in v ? { x: spots[v.spot]![0] + v.fx * cellSize, y: spots[v.spot]![1] + v.fy * cellSize } : v));
          const cells = new ViewerCells<number>(grid);
          cells.sort(viewers.keys(), (v) => viewers[v]);
          expect([...cells.order].sort((a, b) => a - b)).toEqual([...viewers.keys()]);
          const listed = (out: Candidates) => [...Array(out.count).keys()].map((c) => [out.ids[c], out.tiers[c], out.d2[c]]);
          const own = new Candidates();
          const fromRun = new Candidates();
          cells.order.forEach((v, at) => {
            const viewer = viewers[v];
            expect(cells.viewer(at)).toEqual(viewer);
            if (!viewer) return;
            for (const out of [own, fromRun]) {
              out.clear();
              for (const x of extras) out.addExtra(x + 1);
            }
            grid.collect(viewer.x, viewer.y, r2s, own, tiers);
            const run = cells.runFor(at, r2s, tiers);
            if (run) {
              shared++;
              grid.collectRun(run, viewer.x, viewer.y, r2s, fromRun, tiers);
            } else grid.collect(viewer.x, viewer.y, r2s, fromRun, tiers);
            expect(listed(fromRun)).toEqual(listed(own));
            if (!ascending && !tiers.some((t) => t.types)) return;
            // And what brute force finds: the first tier that covers each entity among those of its type.
            const want = new Map<number, number>(extras.map((x) => [x + 1, -1]));
            points.forEach(([x, y, k], i) => {
              const d2 = (x - viewer.x) ** 2 + (y - viewer.y) ** 2;
              const tier = tiers.findIndex((t) => (!t.types || t.types.includes(types[k]!)) && d2 < t.radius * t.radius);
              if (!want.has(i + 1) && tier >= 0) want.set(i + 1, tier);
            });
            expect(new Map(listed(fromRun).map(([id, tier]) => [id!, tier!]))).toEqual(want);
          });
        },
      ),
      { numRuns: 300 },
    );
    // Not vacuous: many viewers took the shared path.
    expect(shared).toBeGreaterThan(200);
  });
});
