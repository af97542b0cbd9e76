/**
 * The persistence dirty bit of the entity store: what a checkpoint walks instead of the world.
 * A property test drives random creations, field writes, removals and collections over durable
 * and ephemeral types, and checks the list against a model of what was touched.
 */
import { defineProtocol, t } from '@tickwire/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityStore, type EntityRecord } from './entity-store.js';

const proto = defineProtocol({
  name: 'dirty',
  components: { cell: { cx: t.uint(8), cy: t.uint(8) }, pos: { x: t.uint(16) } },
  entities: { wall: ['cell'], ship: ['pos'], crate: ['pos'] },
});

type Op =
  | { op: 'create'; type: 'wall' | 'ship' | 'crate' }
  | { op: 'write'; pick: number; value: number }
  | { op: 'same'; pick: number }
  | { op: 'remove'; pick: number }
  | { op: 'collect' };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('create' as const), type: fc.constantFrom('wall' as const, 'ship' as const, 'crate' as const) }),
    fc.record({ op: fc.constant('write' as const), pick: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('same' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('collect' as const) }),
  ),
  { maxLength: 80 },
);

/** Takes the list as persistence does: clear each bit, empty the list. */
function collect(store: EntityStore): EntityRecord[] {
  const taken = [...store.persistDirtyList];
  for (const rec of taken) rec.persistDirty = false;
  store.persistDirtyList.length = 0;
  return taken;
}

describe('persistence dirty bit', () => {
  it('lists exactly the durable entities created, written or removed since the last collection, each once', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), ops, (precreated, sequence) => {
        runs++;
        const store = new EntityStore(proto);
        // Entities made before tracking starts (a room's setup) are picked up when it starts.
        for (let i = 0; i < precreated; i++) store.create(i % 2 === 0 ? 'wall' : 'ship');
        store.trackPersistence(['wall', 'crate']);
        const durable = (type: string) => type === 'wall' || type === 'crate';
        const touched = new Set<number>([...store.all()].filter((e) => durable(e.type)).map((e) => e.id));
        const alive: number[] = [...store.all()].map((e) => e.id);
        for (const step of sequence) {
          if (step.op === 'create') {
            const e = store.create(step.type);
            alive.push(e.id);
            if (durable(step.type)) touched.add(e.id);
          } else if (step.op === 'collect') {
            const taken = collect(store).map((r) => r.id);
            expect(new Set(taken).size).toBe(taken.length);
            expect(new Set(taken)).toEqual(touched);
            touched.clear();
          } else if (alive.length > 0) {
            const id = alive[step.pick % alive.length]!;
            const e = store.get(id)!;
            if (step.op === 'remove') {
              store.remove(e);
              alive.splice(alive.indexOf(id), 1);
              if (durable(e.type)) touched.add(id);
            } else if (e.type === 'wall') {
              // Writing the value a field already holds is not a change.
              const value = step.op === 'write' ? step.value : e.cell.cx;
              if (value !== e.cell.cx) touched.add(id);
              e.cell.cx = value;
            } else if (e.type === 'ship' || e.type === 'crate') {
              const value = step.op === 'write' ? step.value : e.pos.x;
              if (value !== e.pos.x && e.type === 'crate') touched.add(id);
              e.pos.x = value;
            }
          }
        }
        const taken = collect(store).map((r) => r.id);
        expect(new Set(taken).size).toBe(taken.length);
        expect(new Set(taken)).toEqual(touched);
        for (const rec of store.liveRecords()) expect(rec.persistDirty).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(runs).toBe(300);
  });

  it('markPersistDirty puts a durable entity back once (a failed write), and ignores ephemeral ones', () => {
    const store = new EntityStore(proto);
    store.trackPersistence(['wall']);
    const wall = store.create('wall');
    const ship = store.create('ship');
    collect(store);
    const rec = store.record(wall.id)!;
    store.markPersistDirty(rec);
    store.markPersistDirty(rec);
    store.markPersistDirty(store.record(ship.id)!);
    expect(store.persistDirtyList.map((r) => r.id)).toEqual([wall.id]);
  });

  it('refuses a durable type the protocol does not have, naming the ones it has', () => {
    const store = new EntityStore(proto);
    expect(() => store.trackPersistence(['wal'])).toThrow(/'wal', which is not an entity type of protocol 'dirty': use one of 'wall', 'ship', 'crate'/);
  });

  it('a store without persistence keeps no list', () => {
    const store = new EntityStore(proto);
    const wall = store.create('wall');
    wall.cell.cx = 3;
    store.remove(wall);
    expect(store.persistDirtyList).toEqual([]);
  });
});
