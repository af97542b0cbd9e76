import { ManualClock } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { leastLoaded, MemoryProcessRegistry, parseProcessInfo, type ProcessRecord } from './process-registry.js';
import { processInfo, processRegistryContract } from './process-registry-contract.test-support.js';

let clock = new ManualClock(0);
processRegistryContract({
  name: 'in-memory',
  make: async () => new MemoryProcessRegistry((clock = new ManualClock(0))),
  advance: async (ms) => clock.advance(ms),
});

function rec(id: string, clients: number, rooms: number, over: Partial<ProcessRecord> = {}): ProcessRecord {
  return { ...processInfo(id, { load: { rooms, clients, tickMsP99: 1, bytesOutPerSec: 0 } }), expiresAt: 1, ...over };
}

describe('leastLoaded', () => {
  it('picks the process with the largest free share of clients, then of rooms', () => {
    expect(leastLoaded([rec('a', 500, 1), rec('b', 100, 50), rec('c', 300, 0)])?.id).toBe('b');
    expect(leastLoaded([rec('a', 100, 10), rec('b', 100, 5)])?.id).toBe('b');
    // A small process half full has less headroom than a big one a quarter full.
    const small = rec('small', 50, 0, { capacity: { rooms: 100, clients: 100 } });
    expect(leastLoaded([small, rec('big', 250, 0)])?.id).toBe('big');
  });

  it('breaks ties by id, so every gateway picks the same process', () => {
    expect(leastLoaded([rec('c', 0, 0), rec('a', 0, 0), rec('b', 0, 0)])?.id).toBe('a');
  });

  it('skips draining and full processes, and answers undefined when none is left', () => {
    expect(leastLoaded([rec('a', 0, 0, { draining: true }), rec('b', 900, 0)])?.id).toBe('b');
    expect(leastLoaded([rec('a', 1000, 0), rec('b', 0, 100)])).toBeUndefined();
    expect(leastLoaded([rec('a', 0, 0, { capacity: { rooms: 0, clients: 0 } })])).toBeUndefined();
    expect(leastLoaded([])).toBeUndefined();
  });
});

describe('parseProcessInfo', () => {
  it('refuses what is not a process record', () => {
    for (const bad of [null, 'x', 42, {}, { ...processInfo('a'), draining: 'yes' }, { ...processInfo('a'), startedAt: -1 }, { ...processInfo('a'), id: 'x'.repeat(129) }]) {
      expect(parseProcessInfo(bad)).toBeUndefined();
    }
    expect(parseProcessInfo(JSON.parse(JSON.stringify(processInfo('a'))))).toEqual(processInfo('a'));
  });
});
