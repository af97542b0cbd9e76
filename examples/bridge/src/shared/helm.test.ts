import { copyValues, quantize } from '@tickwire/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IMPULSE_SPEED, RUDDER_STEPS, SECTOR, TURN_RATE, WARP_SPEED } from './constants.js';
import { helmStep, rudderTowards, targetSpeed } from './helm.js';
import { bridge } from './protocol.js';

const shipType = bridge.entityType('ship');

/** A ship's values as the wire carries them (what the helm predicts from). */
function ship(x: number, y: number, angle: number, speed: number, impulse = 100, warp = 100) {
  const s = {
    position: { x, y },
    heading: { angle },
    motion: { speed },
    drive: { impulse, warp },
    shields: { fore: 100, aft: 100, up: true },
    hull: { hp: 100 },
    tag: { name: 'Artemis', side: 'crew' as const, cls: 'cruiser' as const, ship: 1 },
  };
  quantize(shipType, s);
  return s;
}

const controls = fc.record({ impulse: fc.integer({ min: 0, max: 100 }), rudder: fc.integer({ min: -RUDDER_STEPS, max: RUDDER_STEPS }), warp: fc.integer({ min: 0, max: 4 }) });

describe('the helm step', () => {
  it('is a pure function of the ship and the controls: two runs from the same state agree to the bit (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: SECTOR, noNaN: true }), fc.double({ min: 0, max: SECTOR, noNaN: true }), fc.double({ min: 0, max: 6.28, noNaN: true }), fc.array(controls, { minLength: 1, maxLength: 40 }), (x, y, a, inputs) => {
        const one = ship(x, y, a, 0);
        const two = copyValues(one);
        for (const input of inputs) {
          helmStep(one, input, 0.05, undefined);
          quantize(shipType, one);
          helmStep(two, input, 0.05, undefined);
          quantize(shipType, two);
        }
        expect(two).toEqual(one);
        // Never off the sector.
        expect(one.position.x).toBeGreaterThanOrEqual(0);
        expect(one.position.x).toBeLessThanOrEqual(SECTOR);
      }),
    );
  });

  it('turns at the rudder rate and speeds up towards what impulse and warp ask for', () => {
    const s = ship(1000, 1000, 0, 0);
    for (let i = 0; i < 20; i++) helmStep(s, { impulse: 100, rudder: RUDDER_STEPS, warp: 0 }, 0.05, undefined);
    expect(s.heading.angle).toBeCloseTo(TURN_RATE, 5);
    expect(s.motion.speed).toBeGreaterThan(0);
    expect(s.motion.speed).toBeLessThanOrEqual(IMPULSE_SPEED);
    expect(targetSpeed({ impulse: 50, warp: 0 }, { impulse: 100, warp: 100 })).toBe(IMPULSE_SPEED / 2);
    expect(targetSpeed({ impulse: 50, warp: 2 }, { impulse: 100, warp: 50 })).toBe(WARP_SPEED);
    // No drive output, no speed.
    expect(targetSpeed({ impulse: 100, warp: 4 }, { impulse: 0, warp: 0 })).toBe(0);
  });

  it('steers to a course and holds it', () => {
    const s = ship(50_000, 50_000, 0, 0);
    const wanted = 2.5;
    for (let i = 0; i < 100; i++) helmStep(s, { impulse: 50, rudder: rudderTowards(s.heading.angle, wanted, 0.05), warp: 0 }, 0.05, undefined);
    expect(s.heading.angle).toBeCloseTo(wanted, 1);
    expect(rudderTowards(1, 1, 0.05)).toBe(0);
    expect(rudderTowards(0, Math.PI / 2, 0.05)).toBe(RUDDER_STEPS);
    expect(rudderTowards(0.1, 6.2, 0.05)).toBeLessThan(0); // the short way round
  });
});
