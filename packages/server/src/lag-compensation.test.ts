import { describe, expect, it } from 'vitest';
import { LagHistory } from './lag-compensation.js';

describe('LagHistory', () => {
  const tickMs = 50;
  function history() {
    const h = new LagHistory<{ id: number; x: number }>({ tickMs, windowMs: 1000, maxRewindMs: 300 });
    // An entity moving 10 units per tick from x = 0 at tick 0.
    for (let t = 0; t <= 40; t++) h.record(t, [{ id: 1, x: t * 10 }], (e) => [e.x]);
    return h;
  }

  it('answers where an entity was, interpolating between ticks', () => {
    const h = history();
    expect(h.at(1, 35)).toEqual([350]);
    expect(h.at(1, 35.5)).toEqual([355]);
    expect(h.at(2, 35)).toBeUndefined();
  });

  it('rewinds a check to what the shooter saw', () => {
    const h = history();
    const epoch = 1000;
    // Now is tick 40; the shooter displayed the world as of tick 36 (200 ms ago).
    const viewTime = epoch + 36 * tickMs;
    const t = h.rewindTick(viewTime, 40, epoch);
    expect(t).toBe(36);
    expect(h.at(1, t)).toEqual([360]);
  });

  it('refuses to rewind past the cap', () => {
    const h = history();
    const epoch = 1000;
    const t = h.rewindTick(epoch + 10 * tickMs, 40, epoch); // 1.5 s ago
    expect(t).toBe(40 - 6); // 300 ms cap = 6 ticks
    expect(h.rewindTick(epoch + 45 * tickMs, 40, epoch)).toBe(40); // never the future
  });

  it('keeps only its window', () => {
    const h = history();
    expect(h.oldestTick).toBe(21);
    expect(h.at(1, 5)).toBeUndefined();
  });
});
