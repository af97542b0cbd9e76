import { defineProtocol, t } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { ClientEntity } from './client-entity.js';

const game = defineProtocol({
  name: 'interp',
  components: {
    pos: { x: t.float({ min: 0, max: 100, precision: 0.5 }), v: t.float({ min: 0, max: 100, precision: 0.5, linear: true }) },
    look: { a: t.angle({ bits: 8 }), hp: t.uint({ max: 10 }), name: t.string(8) },
  },
  entities: { thing: ['pos', 'look'] },
});
const type = game.entityType('thing');

function make(x: number, v = 0, rate = 0, keyTick = 0, a = 0, hp = 0): ClientEntity {
  const e = new ClientEntity(1, type);
  e.apply(-1, [x, v, a, hp, 'n'], [0, rate, 0, 0, 0], [0, keyTick, 0, 0, 0]);
  return e;
}

describe('ClientEntity', () => {
  it('interpolates floats between samples and steps integers', () => {
    const e = make(0, 0, 0, 0, 0, 1);
    e.sample(10);
    e.apply(0b01001, [20, 0, 0, 5, 'n'], [0, 0, 0, 0, 0], [12, 12, 12, 12, 12]);
    e.sample(12);
    e.interpolate(11, 12);
    expect(e.render.pos!.x).toBe(5); // halfway between 0 and 10 units (wire 0 and 20)
    expect(e.render.look!.hp).toBe(1); // steps: still the earlier value
    e.interpolate(12, 12);
    expect(e.render.pos!.x).toBe(10);
    expect(e.render.look!.hp).toBe(5);
  });

  it('holds the last state when the render time passes the newest snapshot', () => {
    const e = make(10);
    e.sample(5);
    e.interpolate(50, 5);
    expect(e.render.pos!.x).toBe(5);
  });

  it('evaluates linear fields along their key frame, but never past the tick it is limited to', () => {
    // v = 10 (wire 20) at tick 0, rising 2 wire steps (1 unit) per tick: rate 32/16.
    const e = make(0, 20, 32, 0);
    e.sample(0);
    e.interpolate(4.5, 10);
    expect(e.render.pos!.v).toBeCloseTo(14.5);
    e.interpolate(30, 10);
    expect(e.render.pos!.v).toBeCloseTo(20);
    e.updateState(10);
    expect(e.state.pos!.v).toBe(20);
  });

  it('interpolates angles the short way round', () => {
    const e = make(0, 0, 0, 0, 250);
    e.sample(0);
    e.apply(0b00100, [0, 0, 6, 0, 'n'], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2]);
    e.sample(2);
    e.interpolate(1, 2);
    // From 250/256 to 6/256 of a turn via 0: the midpoint is 0 (mod 256), not 128.
    const step = (Math.PI * 2) / 256;
    const a = e.render.look!.a as number;
    expect(Math.min(a, Math.PI * 2 - a)).toBeLessThan(step + 1e-9);
  });
});
