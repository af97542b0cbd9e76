/**
 * The ProcessRegistry contract: the in-memory adapter and Redis's run it. Time is the adapter's:
 * `advance(ms)` lets it pass (a ManualClock for memory, real waits for Redis's own clock).
 */
import { describe, expect, it } from 'vitest';
import type { ProcessInfo, ProcessRegistry } from './process-registry.js';

export interface ProcessRegistryAdapter {
  name: string;
  /** A fresh registry with no process in it. */
  make(): Promise<ProcessRegistry>;
  /** Lets `ms` of registry time pass. */
  advance(ms: number): Promise<void>;
}

/** A valid ProcessInfo for `id`, with `over` replacing fields. */
export function processInfo(id: string, over: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    id,
    url: `ws://127.0.0.1:4000/ws?p=${id}`,
    httpUrl: 'http://127.0.0.1:4000',
    capacity: { rooms: 100, clients: 1000 },
    load: { rooms: 0, clients: 0, tickMsP99: 0, bytesOutPerSec: 0 },
    draining: false,
    startedAt: 1_700_000_000_000,
    ...over,
  };
}

export function processRegistryContract(adapter: ProcessRegistryAdapter): void {
  describe(`process registry contract: ${adapter.name}`, () => {
    const ttl = 400;

    it('registers a process, and get and list return what it said', async () => {
      const r = await adapter.make();
      const info = processInfo('p1', { load: { rooms: 3, clients: 41, tickMsP99: 2.5, bytesOutPerSec: 12_345 } });
      const rec = await r.heartbeat(info, ttl);
      expect(rec).toMatchObject(info);
      expect(rec.expiresAt).toBeGreaterThan(0);
      expect(await r.get('p1')).toEqual(rec);
      expect(await r.list()).toEqual([rec]);
      expect(await r.get('nobody')).toBeUndefined();
    });

    it('a heartbeat replaces the record and pushes its expiry later', async () => {
      const r = await adapter.make();
      const first = await r.heartbeat(processInfo('p1'), ttl);
      await adapter.advance(ttl / 2);
      const second = await r.heartbeat(processInfo('p1', { draining: true, load: { rooms: 1, clients: 2, tickMsP99: 0.5, bytesOutPerSec: 10 } }), ttl);
      expect(second.expiresAt).toBeGreaterThan(first.expiresAt);
      expect(await r.get('p1')).toMatchObject({ draining: true, load: { rooms: 1, clients: 2 } });
      await adapter.advance(ttl / 2 + 50);
      expect((await r.get('p1'))?.draining).toBe(true);
      expect(await r.list()).toHaveLength(1);
    });

    it('forgets a process whose heartbeats stop once its time to live has passed', async () => {
      const r = await adapter.make();
      await r.heartbeat(processInfo('p1'), ttl);
      await r.heartbeat(processInfo('p2'), ttl * 4);
      await adapter.advance(ttl + 50);
      expect(await r.get('p1')).toBeUndefined();
      expect((await r.list()).map((p) => p.id)).toEqual(['p2']);
    });

    it('removes a process on request, and only that one', async () => {
      const r = await adapter.make();
      await r.heartbeat(processInfo('p1'), ttl);
      await r.heartbeat(processInfo('p2'), ttl);
      await r.remove('p1');
      await r.remove('never-there');
      expect(await r.get('p1')).toBeUndefined();
      expect((await r.list()).map((p) => p.id)).toEqual(['p2']);
    });

    it('lists many processes, each once', async () => {
      const r = await adapter.make();
      const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
      await Promise.all(ids.map((id) => r.heartbeat(processInfo(id), ttl)));
      await Promise.all(ids.slice(0, 4).map((id) => r.heartbeat(processInfo(id), ttl)));
      expect((await r.list()).map((p) => p.id).sort()).toEqual([...ids].sort());
    });

    it('refuses a record with a field out of range, and keeps only known fields', async () => {
      const r = await adapter.make();
      await expect(r.heartbeat(processInfo(''), ttl)).rejects.toThrow(RangeError);
      await expect(r.heartbeat(processInfo('p1', { url: 'http://not-a-socket' }), ttl)).rejects.toThrow(RangeError);
      await expect(r.heartbeat(processInfo('p1', { capacity: { rooms: -1, clients: 10 } }), ttl)).rejects.toThrow(RangeError);
      await expect(r.heartbeat(processInfo('p1', { load: { rooms: 0, clients: 0, tickMsP99: Number.NaN, bytesOutPerSec: 0 } }), ttl)).rejects.toThrow(RangeError);
      await expect(r.heartbeat(processInfo('p1'), 0)).rejects.toThrow(RangeError);
      const extra = { ...processInfo('p1'), secret: 'x' };
      const rec = await r.heartbeat(extra, ttl);
      expect(Object.keys(rec).sort()).toEqual(['capacity', 'draining', 'expiresAt', 'httpUrl', 'id', 'load', 'startedAt', 'url']);
      expect(Object.keys((await r.get('p1'))!).sort()).toEqual(Object.keys(rec).sort());
    });
  });
}
