import { describe, expect, it } from 'vitest';
import { PlayoutDelay } from './playout-delay.js';

describe('PlayoutDelay', () => {
  it('starts at the snapshot age plus two intervals on a steady link', () => {
    const d = new PlayoutDelay(20);
    for (let i = 0; i < 3; i++) d.arrived(30);
    expect(d.snapshotAgeMs).toBe(30);
    expect(d.arrivalJitterMs).toBe(0);
    expect(d.targetMs).toBe(130);
    expect(d.delayMs).toBe(130);
  });

  it('eases towards a new target by at most 5% of the time elapsed, never jumping', () => {
    const d = new PlayoutDelay(20);
    for (let i = 0; i < 4; i++) d.arrived(30);
    for (let i = 0; i < 200; i++) d.arrived(230); // the link got 200 ms slower
    expect(d.targetMs).toBeGreaterThan(300);
    const before = d.delayMs;
    d.frame(1000);
    d.frame(1016);
    expect(d.delayMs - before).toBeCloseTo(0.8, 5);
    for (let t = 1032; t < 20_000; t += 16) d.frame(t);
    expect(d.delayMs).toBeCloseTo(d.targetMs, 5);
  });

  it('counts a starvation once per episode and grows the buffer by half an interval', () => {
    const d = new PlayoutDelay(20);
    d.observe(true);
    d.observe(true);
    d.observe(false);
    d.observe(true);
    expect(d.starvations).toBe(2);
    expect(d.bufferTargetMs).toBe(100 + 2 * 25);
  });

  it('keeps a fixed delay fixed while it still measures the link', () => {
    const d = new PlayoutDelay(20, 80);
    d.arrived(40);
    d.arrived(60);
    d.frame(0);
    d.frame(100);
    d.observe(true);
    expect(d.delayMs).toBe(80);
    expect(d.snapshotAgeMs).toBeGreaterThan(40);
    expect(d.starvations).toBe(1);
    expect(d.bufferTargetMs).toBe(100);
  });

  it('after a restart the next snapshots set the delay at once', () => {
    const d = new PlayoutDelay(20);
    for (let i = 0; i < 10; i++) d.arrived(30);
    d.restart();
    d.arrived(500);
    expect(d.snapshotAgeMs).toBe(500);
    expect(d.delayMs).toBe(d.targetMs);
  });

  it('holds more snapshot intervals as the measured loss grows: a run of losses must not stop anything', () => {
    const buffer = (lossEvery: number) => {
      const d = new PlayoutDelay(20);
      for (let i = 1; i <= 1000; i++) d.arrived(30, lossEvery > 0 && i % lossEvery === 0 ? 1 : 0);
      return d;
    };
    expect(buffer(0).bufferTargetMs).toBe(100);
    expect(buffer(0).lossRate).toBe(0);
    // 3% loss: two lost in a row come about once in 20 minutes; the base two intervals ride them out.
    const three = buffer(33);
    expect(three.lossRate).toBeCloseTo(0.03, 2);
    expect(three.bufferTargetMs).toBe(100);
    // 5%: three intervals; 10%: four.
    expect(buffer(19).bufferTargetMs).toBe(150);
    expect(buffer(9).bufferTargetMs).toBe(200);
    expect(buffer(9).lost).toBe(111);
  });

  it('a restart forgets the jitter and the grown buffer measured on the old clock', () => {
    const d = new PlayoutDelay(20);
    d.arrived(0);
    d.arrived(150); // the clock was corrected by a first pong between the two
    d.observe(true);
    expect(d.arrivalJitterMs).toBeGreaterThan(0);
    d.restart();
    d.arrived(150);
    expect(d.arrivalJitterMs).toBe(0);
    expect(d.bufferTargetMs).toBe(100);
    expect(d.delayMs).toBe(250);
  });
});
