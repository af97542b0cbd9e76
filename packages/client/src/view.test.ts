import {
  BitReader,
  BitWriter,
  SnapshotBodyWriter,
  defineProtocol,
  t,
  writeChangedFields,
  writeCreatedFields,
  writeEvents,
  type EntityTypeInfo,
  type WireValue,
} from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { ReplicatedView, StaleSnapshot } from './view.js';

const game = defineProtocol({
  name: 'view-test',
  components: {
    pos: { x: t.float({ min: 0, max: 100, precision: 1, linear: true }), y: t.float({ min: 0, max: 100, precision: 1 }) },
    crew: { name: t.string(8), count: t.uint({ max: 50 }), docked: t.bool(), role: t.enum(['pilot', 'gunner']) },
  },
  entities: { ship: ['pos', 'crew'] },
});
const ship = game.entityType('ship');

interface Rec {
  id: number;
  /** 'all', a creation mask, or an update mask. */
  create?: number;
  update?: number;
  wire: WireValue[];
  rates?: number[];
  keyTicks?: number[];
}

/** A snapshot body as the server writes it. */
function body(tick: number, baselineTick: number, removed: number[], recs: Rec[], type: EntityTypeInfo = ship): BitReader {
  const w = new BitWriter();
  const b = new SnapshotBodyWriter(w, game.entityTypeBits);
  b.begin(tick, baselineTick, removed, recs.length);
  for (const r of recs) {
    b.recordHeader(r.id, r.create !== undefined);
    const n = type.fields.length;
    const rates = r.rates ?? new Array<number>(n).fill(0);
    const keyTicks = r.keyTicks ?? new Array<number>(n).fill(tick);
    if (r.create !== undefined) writeCreatedFields(w, game.entityTypeBits, type, r.create, r.wire, rates, keyTicks, tick);
    else writeChangedFields(w, type, r.update!, r.wire, rates, keyTicks, tick);
  }
  writeEvents(w, []);
  return new BitReader(w.toBytes());
}

// ship fields: 0 pos.x (linear), 1 pos.y, 2 crew.name, 3 crew.count, 4 crew.docked, 5 crew.role
const POS = 0b000011;
const all = (x: number, y: number, name: string, count: number): WireValue[] => [x, y, name, count, true, 1];

describe('ReplicatedView', () => {
  it('holds a partially created entity with defaults for the fields not sent, and fills them in later', () => {
    const view = new ReplicatedView(game, false);
    const added = view.applySnapshot(body(10, 0, [], [{ id: 3, create: POS, wire: [40, 50, 'x', 9, true, 1], rates: [16, 0, 0, 0, 0, 0], keyTicks: [8, 10, 0, 0, 0, 0] }]), 10).added;
    expect(added.map((e) => e.id)).toEqual([3]);
    const e = view.entities.get(3)!;
    expect(e.state).toEqual({ pos: { x: 42, y: 50 }, crew: { name: '', count: 0, docked: false, role: 'pilot' } });
    expect(e.has('pos', 'x')).toBe(true);
    expect(e.has('crew', 'name')).toBe(false);
    expect(e.received).toBe(POS);

    // It comes nearer: an update brings the crew fields.
    view.applySnapshot(body(12, 10, [], [{ id: 3, update: 0b111100, wire: [0, 0, 'ada', 7, true, 1] }]), 12);
    expect(e.state.crew).toEqual({ name: 'ada', count: 7, docked: true, role: 'gunner' });
    expect(e.has('crew', 'name')).toBe(true);
    expect(e.state.pos).toEqual({ x: 44, y: 50 });
  });

  it('a creation replaces an entity it already holds: fields it does not carry go back to defaults', () => {
    const view = new ReplicatedView(game, false);
    view.applySnapshot(body(10, 0, [], [{ id: 3, create: -1, wire: all(40, 50, 'ada', 7) }]), 10);
    // The removal when it left was lost; it came back far away, with its position only.
    const changes = view.applySnapshot(body(20, 10, [], [{ id: 3, create: POS, wire: [10, 20, 'zzz', 1, false, 0] }]), 20);
    expect(changes.changed.map((e) => e.id)).toEqual([3]);
    const e = view.entities.get(3)!;
    expect(e.state).toEqual({ pos: { x: 10, y: 20 }, crew: { name: '', count: 0, docked: false, role: 'pilot' } });
    expect(e.received).toBe(POS);
  });

  it('refuses a delta built on a snapshot it never applied, and then takes only a full one', () => {
    const view = new ReplicatedView(game, false);
    view.applySnapshot(body(10, 0, [], [{ id: 3, create: -1, wire: all(40, 50, 'ada', 7) }]), 10);
    // Tick 11 (the baseline of 12, sent over a reliable link) was lost: 12 lacks what 11 changed.
    expect(() => view.applySnapshot(body(12, 11, [], [{ id: 3, update: 0b1000, wire: all(0, 0, '', 8) }]), 12)).toThrow(StaleSnapshot);
    expect(view.needsFull).toBe(true);
    expect(view.entities.get(3)!.state.crew!.count).toBe(7);
    expect(() => view.applySnapshot(body(13, 12, [], []), 13)).toThrow(StaleSnapshot);
    view.applySnapshot(body(14, 0, [], [{ id: 3, create: -1, wire: all(40, 50, 'ada', 9) }]), 14);
    expect(view.needsFull).toBe(false);
    expect(view.entities.get(3)!.state.crew!.count).toBe(9);
  });

  it('ignores a snapshot that is not newer than the newest applied (duplicate or overtaken)', () => {
    const view = new ReplicatedView(game, false);
    view.applySnapshot(body(10, 0, [], [{ id: 3, create: -1, wire: all(40, 50, 'ada', 7) }]), 10);
    view.applySnapshot(body(12, 10, [], [{ id: 3, update: 0b1000, wire: all(0, 0, '', 8) }]), 12);
    // Tick 11 arrives late: it would set count back to an older value and remove entity 3.
    const late = view.applySnapshot(body(11, 10, [3], [{ id: 4, create: -1, wire: all(1, 1, 'old', 1) }]), 11);
    expect(late).toEqual({ added: [], changed: [], removed: [] });
    const dup = view.applySnapshot(body(12, 10, [], [{ id: 3, update: 0b1000, wire: all(0, 0, '', 9) }]), 12);
    expect(dup.changed).toEqual([]);
    expect([...view.entities.keys()]).toEqual([3]);
    expect(view.entities.get(3)!.state.crew!.count).toBe(8);
    expect(view.tick).toBe(12);
  });

  it('a full snapshot drops what it does not name; after a resync only a full one is taken', () => {
    const view = new ReplicatedView(game, false);
    view.applySnapshot(body(10, 0, [], [{ id: 3, create: -1, wire: all(40, 50, 'ada', 7) }, { id: 5, create: POS, wire: all(1, 2, '', 0) }]), 10);
    view.resync();
    expect(() => view.applySnapshot(body(13, 10, [], []), 13)).toThrow(StaleSnapshot);
    const full = view.applySnapshot(body(14, 0, [], [{ id: 5, create: -1, wire: all(3, 4, 'bo', 2) }]), 14);
    expect(full.added.map((e) => e.id)).toEqual([5]);
    expect([...view.entities.keys()]).toEqual([5]);
    view.applySnapshot(body(20, 0, [], [{ id: 6, create: POS, wire: all(3, 4, '', 0) }]), 20);
    expect([...view.entities.keys()]).toEqual([6]);
  });

  it('after a lost snapshot follows a turn taken while it was missing, instead of running past it', () => {
    const view = new ReplicatedView(game, true, 1);
    // x moves +1 a tick (rate 16/16) from 10 at tick 10; y is 50.
    view.applySnapshot(body(10, 0, [], [{ id: 3, create: -1, wire: all(10, 50, 'ada', 7), rates: [16, 0, 0, 0, 0, 0] }]), 10);
    // Tick 11 (lost) turned it round: x 9 at 11, key frame (9, -1/tick, 11). Tick 12 stopped it:
    // key frame (9, 0, 12), the rate being the last interval's motion. Only 12 arrives; y became 60.
    view.applySnapshot(body(12, 10, [], [{ id: 3, update: POS, wire: all(9, 60, '', 0), keyTicks: [12, 12, 12, 12, 12, 12] }]), 12);
    const e = view.entities.get(3)!;
    const at = (tick: number) => {
      view.interpolate(tick);
      return e.render.pos!;
    };
    // Where it really was: 10 at tick 10, 9 at 11 and 12. The old path would have it at 11 at tick 11.
    expect(at(10).x).toBe(10);
    expect(at(10.5).x).toBeCloseTo(9.5);
    expect(at(11).x).toBe(9);
    expect(at(11.5).x).toBe(9);
    // A field that is not linear keeps its old value until the tick before the key frame.
    expect(at(11).y).toBe(50);
    expect(at(11.5).y).toBeCloseTo(55);
    expect(at(12).y).toBe(60);
  });

  it('lets a moving entity go on for one snapshot interval past the newest snapshot, then holds it', () => {
    const view = new ReplicatedView(game, true, 2);
    view.applySnapshot(body(10, 0, [], [{ id: 3, create: -1, wire: all(10, 50, 'ada', 7), rates: [16, 0, 0, 0, 0, 0] }]), 10);
    const e = view.entities.get(3)!;
    view.interpolate(11);
    expect(e.render.pos!.x).toBe(11);
    view.interpolate(12);
    expect(e.render.pos!.x).toBe(12);
    view.interpolate(30);
    expect(e.render.pos!.x).toBe(12);
    expect(e.render.pos!.y).toBe(50);
  });
});
