import { ManualClock } from '@tickwire/protocol';
import { MemoryProcessRegistry, type ProcessInfo, type ProcessRecord } from '@tickwire/server';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Monitor } from './monitor.js';

const silent = pino({ level: 'silent' });

function info(id: string, clients: number): ProcessInfo {
  return {
    id,
    url: `ws://${id}.test/ws`,
    httpUrl: `http://${id}.test`,
    capacity: { rooms: 10, clients: 100 },
    load: { rooms: 1, clients, tickMsP99: 2.5, bytesOutPerSec: 1000 * clients },
    draining: false,
    startedAt: 0,
  };
}

/** Lets the monitor's awaited registry read finish after a step of the clock. */
const settle = () => new Promise((r) => setImmediate(r));

describe('Monitor', () => {
  it('keeps a ring of load samples per live process, on the clock it is given', async () => {
    const clock = new ManualClock();
    const processes = new MemoryProcessRegistry(clock);
    let wall = 5000;
    const monitor = new Monitor(processes, clock, silent, { intervalMs: 1000, samples: 3, wallClock: () => wall });
    await processes.heartbeat(info('a', 1), 60_000);
    monitor.start();
    await settle();
    for (let i = 2; i <= 5; i++) {
      await processes.heartbeat(info('a', i), 60_000);
      wall += 1000;
      clock.advance(1000);
      await settle();
    }
    expect(monitor.samples('a').map((s) => [s.at, s.clients, s.bytesOutPerSec])).toEqual([
      [7000, 3, 3000],
      [8000, 4, 4000],
      [9000, 5, 5000],
    ]);
    monitor.stop();
    clock.advance(5000);
    await settle();
    expect(monitor.samples('a')).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('drops a gone process after a ring of missed samples, and lists it as gone until then', () => {
    const monitor = new Monitor(new MemoryProcessRegistry(new ManualClock()), new ManualClock(), silent, { samples: 3 });
    const rec = (id: string): ProcessRecord => ({ ...info(id, 1), expiresAt: 1 });
    monitor.record([rec('a'), rec('b')]);
    monitor.record([rec('a')]);
    monitor.record([rec('a')]);
    expect(monitor.gone(new Set(['a']))).toEqual(['b']);
    monitor.record([rec('a')]);
    expect(monitor.gone(new Set(['a']))).toEqual([]);
    expect(monitor.samples('b')).toEqual([]);
  });

  it('refuses intervals and ring sizes it cannot keep', () => {
    const p = new MemoryProcessRegistry(new ManualClock());
    expect(() => new Monitor(p, new ManualClock(), silent, { intervalMs: 0 })).toThrow(RangeError);
    expect(() => new Monitor(p, new ManualClock(), silent, { samples: 1 })).toThrow(RangeError);
  });
});
