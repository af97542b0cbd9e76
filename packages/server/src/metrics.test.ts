import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountedHistogram } from './metrics.js';

describe('CountedHistogram', () => {
  const buckets = [16, 64, 256];
  const values = [1, 16, 17, 64, 65, 300, 1000, 0];

  it('reads exactly as prom-client\'s own histogram of the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counted = new CountedHistogram({ name: 'sizes', help: 'Sizes seen', buckets, registers: [ours] });
    const reference = new Histogram({ name: 'sizes', help: 'Sizes seen', buckets, registers: [theirs] });
    for (const [i, v] of values.entries()) {
      // The hot path's record, and prom-client's own observe for code that has a Histogram.
      if (i % 2 === 0) counted.record(v);
      else counted.observe(v);
      reference.observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    // Reset, it reads as a histogram that never saw a value.
    ours.resetMetrics();
    const fresh = new Registry();
    new Histogram({ name: 'sizes', help: 'Sizes seen', buckets, registers: [fresh] });
    expect(await ours.metrics()).toBe(await fresh.metrics());
  });

  it('refuses labels, which it does not keep, and values that are not finite', () => {
    const counted = new CountedHistogram({ name: 'sizes', help: 'Sizes seen', buckets, registers: [] });
    expect(() => counted.observe({ room: 'a' }, 5)).toThrow(/no labels/);
    expect(() => counted.labels('a')).toThrow(/no labels/);
    expect(() => counted.zero({ room: 'a' })).toThrow(/no labels/);
    expect(() => counted.record(Number.NaN)).toThrow(/finite/);
    expect(() => counted.observe(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });

  it('times with startTimer, and zero() with no labels starts it over', async () => {
    const registry = new Registry();
    const counted = new CountedHistogram({ name: 'waits', help: 'Waits', buckets: [1000], registers: [registry] });
    const end = counted.startTimer();
    const seconds = end();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(await registry.metrics()).toContain('waits_count 1');
    counted.zero({});
    expect(await registry.metrics()).toContain('waits_count 0');
  });

  it('reads as prom-client does with nothing observed', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    new CountedHistogram({ name: 'sizes', help: 'Sizes seen', buckets, registers: [ours] });
    new Histogram({ name: 'sizes', help: 'Sizes seen', buckets, registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('counts a scrape\'s worth of observations', async () => {
    const registry = new Registry();
    const counted = new CountedHistogram({ name: 'frames', help: 'Frame sizes', buckets: [100], registers: [registry] });
    for (let i = 0; i < 1000; i++) counted.record(i % 2 === 0 ? 50 : 150);
    const text = await registry.metrics();
    expect(text).toContain('frames_bucket{le="100"} 500');
    expect(text).toContain('frames_bucket{le="+Inf"} 1000');
    expect(text).toContain('frames_sum 100000');
    expect(text).toContain('frames_count 1000');
  });
});
