import { describe, expect, it } from 'vitest';
import { ClockSync } from './clock-sync.js';

describe('ClockSync', () => {
  it('takes the offset from the fastest recent round trip', () => {
    const c = new ClockSync();
    // True offset: server = local + 1000. Symmetric 20 ms trip, then a queued 200 ms one.
    c.pong(0, 1010, 20);
    expect(c.offset).toBe(1000);
    c.pong(100, 1100 + 1000 + 180 - 1000, 300); // slow, skewed sample
    expect(c.offset).toBe(1000);
    expect(c.rtt).toBe(200);
    expect(c.smoothedRtt).toBeGreaterThan(20);
    expect(c.serverNow(5)).toBe(1005);
  });

  it('forgets samples older than its window', () => {
    const c = new ClockSync(2);
    c.pong(0, 1010, 20);
    c.pong(100, 2150, 200);
    c.pong(300, 2360, 400);
    expect(c.offset).toBe(2150 + 50 - 200);
  });

  it('uses the welcome time as a first guess before any pong', () => {
    const c = new ClockSync();
    c.seed(5000, 100);
    expect(c.isSynced).toBe(false);
    expect(c.serverNow(100)).toBe(5000);
  });

  it('moves the clock in use towards a new estimate by at most 5% of the time elapsed, never back', () => {
    const c = new ClockSync(2);
    c.pong(0, 1010, 20); // offset 1000, a 20 ms round trip
    expect(c.serverNow(20)).toBe(1020);
    // The good sample leaves the window; the best left says the offset is 25 ms less.
    c.pong(1000, 1975 + 30, 1060);
    c.pong(2000, 2975 + 30, 2060);
    expect(c.offset).toBe(975);
    let last = c.serverNow(2060);
    for (let t = 2060 + 16; t < 4000; t += 16) {
      const now = c.serverNow(t);
      // Between 0.95 and 1.05 of real time: never a step, never backwards.
      expect(now - last).toBeGreaterThanOrEqual(16 * 0.95 - 1e-9);
      expect(now - last).toBeLessThanOrEqual(16 * 1.05 + 1e-9);
      last = now;
    }
    expect(c.slewedOffset).toBe(975);
  });

  it('takes an estimate more than a second away at once: it is another clock', () => {
    const c = new ClockSync();
    c.pong(0, 1010, 20);
    c.pong(100, 9110, 120);
    c.pong(200, 9210, 220);
    expect(c.offset).toBe(1000);
    const d = new ClockSync(1);
    d.pong(0, 1010, 20);
    d.pong(100, 9110, 120);
    expect(d.slewedOffset).toBe(9000);
  });
});
