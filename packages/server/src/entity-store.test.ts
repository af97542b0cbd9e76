import { ErrorCode, TickwireError } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { EntityStore, recordOf } from './entity-store.js';
import { game } from './harness.test-support.js';
import { NetworkState } from './network-state.js';

describe('EntityStore', () => {
  it('creates typed entities with defaults and tracks writes per field', () => {
    const store = new EntityStore(game);
    const ship = store.create('ship', { pos: { x: 5 } });
    expect(ship.pos.x).toBe(5);
    expect(ship.pos.y).toBe(0);
    expect(ship.hp.hp).toBe(0);
    expect(store.dirtyList).toEqual([]);
    ship.pos.y = 3;
    ship.pos.y = 4;
    ship.hp.hp = 9;
    expect(store.dirtyList.length).toBe(1);
    expect(recordOf(ship).dirty).toBe(0b110);
  });

  it('does not mark a write of the same value', () => {
    const store = new EntityStore(game);
    const ship = store.create('ship', { pos: { x: 5 } });
    ship.pos.x = 5;
    expect(store.dirtyList).toEqual([]);
  });

  it('refuses NaN at the line that wrote it, naming the field', () => {
    const store = new EntityStore(game);
    const ship = store.create('ship');
    expect(() => (ship.pos.x = Number.NaN)).toThrow(/ship\.pos\.x/);
    try {
      ship.hp.hp = Number.NaN;
    } catch (err) {
      expect(err).toBeInstanceOf(TickwireError);
      expect((err as TickwireError).code).toBe(ErrorCode.VALUE_OUT_OF_RANGE);
    }
    expect(() => store.create('ship', { pos: { x: Number.POSITIVE_INFINITY } })).toThrow(/finite/);
  });

  it('iterates by type, removes once, and never reuses ids', () => {
    const store = new EntityStore(game);
    const a = store.create('ship');
    const m = store.create('mover');
    expect([...store.ofType('mover')].map((e) => e.id)).toEqual([m.id]);
    expect(store.remove(a)).toBe(true);
    expect(store.remove(a)).toBe(false);
    expect(a.alive).toBe(false);
    const b = store.create('ship');
    expect(b.id).toBeGreaterThan(m.id);
    expect(JSON.parse(JSON.stringify(b))).toEqual({ id: b.id, type: 'ship', pos: { x: 0, y: 0 }, hp: { hp: 0 } });
  });
});

describe('NetworkState.publish', () => {
  it('publishes quantized changes and stamps the tick of each changed field', () => {
    const store = new EntityStore(game);
    const net = new NetworkState(store, 8);
    const ship = store.create('ship', { pos: { x: 1, y: 2 }, hp: { hp: 50 } });
    net.publish(1);
    const rec = recordOf(ship);
    expect(rec.wire).toEqual([10, 20, 50]);
    expect(rec.changedTick).toEqual([1, 1, 1]);
    ship.pos.x = 1.04; // below half a step: the same wire value
    ship.hp.hp = 49;
    net.publish(2);
    expect(rec.wire).toEqual([10, 20, 49]);
    expect(rec.changedTick).toEqual([1, 1, 2]);
    expect(rec.lastChange).toBe(2);
    expect(store.dirtyList).toEqual([]);
  });

  it('keeps the id set object while membership is unchanged and logs removals', () => {
    const store = new EntityStore(game);
    const net = new NetworkState(store, 8);
    const a = store.create('ship');
    net.publish(1);
    const ids1 = net.ids;
    net.publish(2);
    expect(net.ids).toBe(ids1);
    store.remove(a);
    net.publish(3);
    expect(net.ids).toEqual([]);
    expect(net.removedSince(2)).toEqual([a.id]);
    expect(net.removedSince(3)).toEqual([]);
    expect(net.idsAt(1)).toBe(ids1);
  });

  it('re-keys a linear field only when it leaves the extrapolated path', () => {
    const store = new EntityStore(game);
    const net = new NetworkState(store, 8);
    const m = store.create('mover', { vel: { vx: 100 } });
    net.publish(1);
    const rec = recordOf(m);
    for (let t = 2; t <= 10; t++) {
      m.vel.vx += 1; // +10 steps per tick
      net.publish(t);
    }
    // First move sets the rate (a key frame at tick 2); the straight path needs no more.
    expect(rec.changedTick[0]).toBe(2);
    expect(rec.rates[0]).toBe(160);
    m.vel.vx -= 5;
    net.publish(11);
    expect(rec.changedTick[0]).toBe(11);
  });
});
