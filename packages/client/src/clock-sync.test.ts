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
});
