/**
 * The RoomRegistry contract: every adapter (the in-memory one here, Redis in a cluster) runs it.
 * Time is the adapter's: `advance(ms)` moves it past leases (a ManualClock for the in-memory
 * registry; real waits for a registry that keeps its own time).
 */
import { describe, expect, it } from 'vitest';
import type { RoomRegistry } from './registry.js';

export interface RegistryAdapter {
  name: string;
  /** A fresh registry with nothing claimed. */
  make(): Promise<RoomRegistry>;
  /** Lets `ms` of registry time pass. */
  advance(ms: number): Promise<void>;
}

export function registryContract(adapter: RegistryAdapter): void {
  describe(`room registry contract: ${adapter.name}`, () => {
    const lease = 1000;

    it('gives a room to one owner at a time', async () => {
      const r = await adapter.make();
      const a = await r.claim('room-1', 'a', lease);
      expect(a).toMatchObject({ code: 'room-1', owner: 'a', epoch: 1 });
      expect(await r.claim('room-1', 'b', lease)).toBeUndefined();
      expect(await r.lookup('room-1')).toMatchObject({ owner: 'a', epoch: 1 });
      // The holder claiming again keeps its epoch.
      expect(await r.claim('room-1', 'a', lease)).toMatchObject({ owner: 'a', epoch: 1 });
    });

    it('lets exactly one of many concurrent claimants win', async () => {
      const r = await adapter.make();
      const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((o) => r.claim('contested', o, lease)));
      const winners = results.filter((c) => c !== undefined);
      expect(winners).toHaveLength(1);
      expect((await r.lookup('contested'))?.owner).toBe(winners[0]!.owner);
    });

    it('hands an expired claim to another owner with a higher epoch, and the old owner cannot renew', async () => {
      const r = await adapter.make();
      const a = (await r.claim('room-2', 'a', lease))!;
      await adapter.advance(lease + 50);
      expect(await r.lookup('room-2')).toBeUndefined();
      const b = await r.claim('room-2', 'b', lease);
      expect(b).toMatchObject({ owner: 'b' });
      expect(b!.epoch).toBeGreaterThan(a.epoch);
      expect(await r.renew(a, lease)).toBeUndefined();
      await r.release(a); // a stale release changes nothing
      expect((await r.lookup('room-2'))?.owner).toBe('b');
    });

    it('lets an owner renew a lease that ran out while nobody took the room', async () => {
      const r = await adapter.make();
      const a = (await r.claim('room-5', 'a', lease))!;
      await adapter.advance(lease + 50);
      const again = await r.renew(a, lease);
      expect(again).toMatchObject({ owner: 'a', epoch: a.epoch });
      expect(await r.claim('room-5', 'b', lease)).toBeUndefined();
    });

    it('renews a live claim past its first lease', async () => {
      const r = await adapter.make();
      let a = (await r.claim('room-3', 'a', lease))!;
      for (let i = 0; i < 3; i++) {
        await adapter.advance(lease / 2);
        a = (await r.renew(a, lease))!;
        expect(a).toBeDefined();
      }
      expect(await r.claim('room-3', 'b', lease)).toBeUndefined();
    });

    it('never reuses an epoch, even after a release', async () => {
      const r = await adapter.make();
      const seen: number[] = [];
      for (const owner of ['a', 'b', 'a', 'c']) {
        const c = (await r.claim('room-4', owner, lease))!;
        seen.push(c.epoch);
        await r.release(c);
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    });

    it('lists live claims, by owner too', async () => {
      const r = await adapter.make();
      await r.claim('x', 'a', lease);
      await r.claim('y', 'a', lease);
      await r.claim('z', 'b', lease);
      expect((await r.list()).map((c) => c.code).sort()).toEqual(['x', 'y', 'z']);
      expect((await r.list('a')).map((c) => c.code).sort()).toEqual(['x', 'y']);
      await adapter.advance(lease + 50);
      expect(await r.list()).toEqual([]);
    });
  
    it('records the room type with a claim, and keeps it through renewals', async () => {
      const r = await adapter.make();
      const a = (await r.claim('typed', 'a', lease, 'arena'))!;
      expect(a).toMatchObject({ code: 'typed', owner: 'a', type: 'arena' });
      expect(await r.lookup('typed')).toMatchObject({ type: 'arena' });
      expect(await r.renew(a, lease)).toMatchObject({ type: 'arena' });
      expect((await r.list('a'))[0]).toMatchObject({ code: 'typed', type: 'arena' });
      const untyped = (await r.claim('plain', 'a', lease))!;
      expect(untyped.type).toBeUndefined();
      expect((await r.lookup('plain'))?.type).toBeUndefined();
      await expect(r.claim('bad-type', 'a', lease, 'x'.repeat(65))).rejects.toThrow(RangeError);
    });

    it('lists a claim that ran out without a release as an orphan, until someone takes it over', async () => {
      const r = await adapter.make();
      const dead = (await r.claim('orphan-1', 'dead', lease, 'bridge'))!;
      await r.claim('orphan-2', 'alive', lease * 4);
      const gone = (await r.claim('orphan-3', 'dead', lease))!;
      await r.release(gone);
      expect(await r.orphans()).toEqual([]);
      await adapter.advance(lease + 50);
      const orphans = await r.orphans();
      expect(orphans).toHaveLength(1);
      expect(orphans[0]).toMatchObject({ code: 'orphan-1', owner: 'dead', epoch: dead.epoch, type: 'bridge' });
      // Taking it over: a new epoch, the type passed on, and no longer an orphan.
      const taken = await r.claim('orphan-1', 'heir', lease, orphans[0]!.type);
      expect(taken).toMatchObject({ owner: 'heir', type: 'bridge' });
      expect(taken!.epoch).toBeGreaterThan(dead.epoch);
      expect(await r.orphans()).toEqual([]);
      expect(await r.renew(dead, lease)).toBeUndefined();
    });

    it('hands a room off at once, to be taken over at a higher epoch', async () => {
      const r = await adapter.make();
      const a = (await r.claim('handed', 'a', lease, 'arena'))!;
      await r.release(a, { handOff: true });
      expect(await r.lookup('handed')).toBeUndefined();
      expect(await r.orphans()).toEqual([expect.objectContaining({ code: 'handed', owner: 'a', epoch: a.epoch, type: 'arena' })]);
      const b = (await r.claim('handed', 'b', lease, 'arena'))!;
      expect(b.epoch).toBeGreaterThan(a.epoch);
      // A stale hand-off by the old owner changes nothing.
      await r.release(a, { handOff: true });
      expect(await r.lookup('handed')).toMatchObject({ owner: 'b' });
      expect(await r.orphans()).toEqual([]);
    });
  });
}
