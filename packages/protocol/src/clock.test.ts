import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from './clock.js';
import { seededRandom } from './random.js';

describe('ManualClock', () => {
  it('starts where told and moves only on advance', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(new ManualClock().now()).toBe(0);
  });

  it('fires due timers in time order, ties in scheduling order, with now() at the due time', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b1'), 20);
    clock.setTimeout(at('b2'), 20);
    clock.setTimeout(at('late'), 100);
    clock.advance(50);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.now()).toBe(50);
    expect(clock.pending).toBe(1);
    clock.advance(49);
    expect(fired).toHaveLength(4);
    clock.advance(1);
    expect(fired.at(-1)).toBe('late@100');
    expect(clock.pending).toBe(0);
  });

  it('fires a timer exactly at its due time, and zero/negative delays on the next advance', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('zero'), 0);
    clock.setTimeout(() => fired.push('negative'), -5);
    expect(fired).toEqual([]); // never synchronously
    clock.advance(0);
    expect(fired).toEqual(['zero', 'negative']);
    clock.setTimeout(() => fired.push('exact'), 10);
    clock.advance(10);
    expect(fired).toEqual(['zero', 'negative', 'exact']);
  });

  it('clearTimeout cancels a pending timer; clearing twice or after firing is harmless', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push('a'), 10);
    const b = clock.setTimeout(() => fired.push('b'), 10);
    clock.clearTimeout(a);
    clock.clearTimeout(a);
    expect(clock.pending).toBe(1);
    clock.advance(10);
    expect(fired).toEqual(['b']);
    clock.clearTimeout(b);
    expect(clock.pending).toBe(0);
  });

  it('a timer can cancel a later one during the same advance', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const later = clock.setTimeout(() => fired.push('later'), 20);
    clock.setTimeout(() => {
      fired.push('first');
      clock.clearTimeout(later);
    }, 10);
    clock.advance(100);
    expect(fired).toEqual(['first']);
  });

  it('runs timers scheduled during advance if they fall due within it', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push(`outer@${clock.now()}`);
      clock.setTimeout(() => fired.push(`inner@${clock.now()}`), 5); // due at 15
      clock.setTimeout(() => fired.push(`beyond@${clock.now()}`), 50); // due at 60
    }, 10);
    clock.setTimeout(() => fired.push(`other@${clock.now()}`), 20);
    clock.advance(30);
    // inner (15) runs before other (20) although it was scheduled later.
    expect(fired).toEqual(['outer@10', 'inner@15', 'other@20']);
    expect(clock.pending).toBe(1);
    clock.advance(30);
    expect(fired.at(-1)).toBe('beyond@60');
  });

  it('drives a self-rescheduling loop (like a tick loop) without drift', () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const loop = (): void => {
      ticks.push(clock.now());
      clock.setTimeout(loop, 50);
    };
    clock.setTimeout(loop, 50);
    clock.advance(260);
    expect(ticks).toEqual([50, 100, 150, 200, 250]);
    expect(clock.now()).toBe(260);
    expect(clock.pending).toBe(1);
  });

  it('returns distinct handles', () => {
    const clock = new ManualClock();
    const a = clock.setTimeout(() => {}, 1);
    const b = clock.setTimeout(() => {}, 1);
    expect(a).not.toEqual(b);
  });
});

describe('systemClock', () => {
  it('reads a monotonic time and runs real timers', async () => {
    const t0 = systemClock.now();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
    expect(systemClock.now()).toBeGreaterThanOrEqual(t0);
    let ran = false;
    const h = systemClock.setTimeout(() => (ran = true), 1);
    systemClock.clearTimeout(h);
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    expect(ran).toBe(false);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(xs[0]);
  });
});
