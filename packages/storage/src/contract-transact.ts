/**
 * Storage contract, transact: commit, replay without re-running, exactly once under
 * concurrency, and nothing kept when the callback fails.
 */
import type { Transaction } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runChild } from './child-process.test-support.js';
import { expectStorageError, newCharacter, T0, type WithStorage } from './contract-support.js';
import { InsufficientFunds } from './errors.js';
import type { Database } from './schema.js';

/** Registers the transact cases. */
export function transactContract(withStorage: WithStorage): void {
  describe('transact', () => {
    it('commits fn and its result; the same key replays the result without running fn', () =>
      withStorage(async (storage) => {
        let runs = 0;
        const fn = async (tx: Transaction<Database>) => {
          runs++;
          await tx.insertInto('rooms').values({ code: `t${runs}`, meta: null, checkpoint_at: null }).execute();
          return { runs, at: new Date(T0) };
        };
        const first = await storage.transact('k1', fn);
        // The result is its JSON round trip, identical on the first call and on replays.
        expect(first).toEqual({ result: { runs: 1, at: new Date(T0).toISOString() }, replayed: false });
        const again = await storage.transact('k1', fn);
        expect(again).toEqual({ result: first.result, replayed: true });
        expect(runs).toBe(1);
        expect((await storage.listRooms()).map((r) => r.code)).toEqual(['t1']);

        expect(await storage.transact('void', async () => undefined)).toEqual({ result: undefined, replayed: false });
        expect(await storage.transact('void', async () => 'not run')).toEqual({ result: undefined, replayed: true });
        expect(await storage.transact('null', async () => null)).toEqual({ result: null, replayed: false });
        expect(await storage.transact('null', async () => 'not run')).toEqual({ result: null, replayed: true });
      }));

    it('concurrent calls with one key apply exactly once and all see the same result', () =>
      withStorage(async (storage) => {
        const character = await newCharacter(storage);
        let runs = 0;
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            storage.transact('grant-once', async (tx) => {
              runs++;
              const xp = await storage.players.addStat(character, 'xp', 100, tx);
              return { winner: i, xp };
            }),
          ),
        );
        expect(runs).toBe(1);
        expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
        const winner = outcomes.find((o) => !o.replayed)!;
        for (const o of outcomes) expect(o.result).toEqual(winner.result);
        expect(await storage.players.getStats(character)).toEqual({ xp: 100 });
      }));

    it('concurrent calls with different keys all apply', () =>
      withStorage(async (storage) => {
        const character = await newCharacter(storage);
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => storage.transact(`grant-${i}`, (tx) => storage.players.addStat(character, 'xp', 1, tx))),
        );
        expect(outcomes.every((o) => !o.replayed)).toBe(true);
        expect(outcomes.map((o) => o.result).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      }));

    it('when fn throws, its writes roll back and the key stays unused', () =>
      withStorage(async (storage) => {
        const character = await newCharacter(storage);
        await storage.players.adjustBalance(character, 'gold', 50);
        const boom = new Error('game rule failed');
        await expect(
          storage.transact('k', async (tx) => {
            await storage.players.adjustBalance(character, 'gold', -20, tx);
            await tx.insertInto('rooms').values({ code: 'half', meta: null, checkpoint_at: null }).execute();
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await storage.players.balance(character, 'gold')).toBe(50);
        expect(await storage.loadRoom('half')).toBeUndefined();
        const keys = await storage.db.selectFrom('idempotency_keys').select('key').execute();
        expect(keys).toEqual([]);
        // A retry with the same key really runs.
        const retry = await storage.transact('k', (tx) => storage.players.adjustBalance(character, 'gold', -20, tx));
        expect(retry).toEqual({ result: 30, replayed: false });
      }));

    it('a result that cannot be serialised rolls the transaction back', () =>
      withStorage(async (storage) => {
        await expectStorageError(
          storage.transact('k', async (tx) => {
            await tx.insertInto('rooms').values({ code: 'x', meta: null, checkpoint_at: null }).execute();
            return { big: 1n };
          }),
          'NOT_SERIALISABLE',
        );
        expect(await storage.loadRoom('x')).toBeUndefined();
        expect(await storage.db.selectFrom('idempotency_keys').select('key').execute()).toEqual([]);
      }));

    it('a purchase (debit + item) is atomic: without the gold, no item appears', () =>
      withStorage(async (storage) => {
        const character = await newCharacter(storage);
        await storage.players.adjustBalance(character, 'gold', 80);
        const buy = (key: string) =>
          storage.transact(key, async (tx) => {
            const uid = await storage.players.addItem(character, 'sword', 1, 'inventory', 0, tx);
            const gold = await storage.players.adjustBalance(character, 'gold', -100, tx);
            return { uid, gold };
          });
        await expect(buy('buy-1')).rejects.toBeInstanceOf(InsufficientFunds);
        expect(await storage.players.listItems(character)).toEqual([]);
        await storage.players.adjustBalance(character, 'gold', 20);
        const bought = await buy('buy-2');
        expect(bought.result.gold).toBe(0);
        expect((await storage.players.listItems(character)).map((i) => i.uid)).toEqual([bought.result.uid]);
        expect(await buy('buy-2')).toEqual({ result: bought.result, replayed: true });
      }));

    it('commits a room checkpoint together with the key, or neither', () =>
      withStorage(async (storage) => {
        const batch = { code: 'bank', upsertEntities: [{ key: 'vault', type: 'vault', data: { gold: 5 } }], deleteEntities: [], upsertPlayers: [{ userId: 'u1', data: { gold: 5 } }], at: T0 };
        expect(await storage.isCommitted('dep-1')).toBe(false);
        await storage.transact('dep-1', async () => undefined, { checkpoint: batch });
        expect(await storage.isCommitted('dep-1')).toBe(true);
        const room = await storage.loadRoom('bank');
        expect(room?.entities).toEqual([{ key: 'vault', type: 'vault', data: { gold: 5 } }]);
        expect(room?.players).toEqual([{ userId: 'u1', data: { gold: 5 } }]);
        // A failing callback takes the checkpoint down with it.
        const later = { ...batch, upsertPlayers: [{ userId: 'u1', data: { gold: 999 } }], at: T0 + 1 };
        await expect(
          storage.transact('dep-2', async () => {
            throw new Error('no');
          }, { checkpoint: later }),
        ).rejects.toThrow('no');
        expect(await storage.isCommitted('dep-2')).toBe(false);
        expect((await storage.loadRoom('bank'))?.players).toEqual([{ userId: 'u1', data: { gold: 5 } }]);
        // A replayed key writes nothing either.
        await storage.transact('dep-1', async () => undefined, { checkpoint: later });
        expect((await storage.loadRoom('bank'))?.players).toEqual([{ userId: 'u1', data: { gold: 5 } }]);
      }));

    it('committedResult answers what the committing call returned, and nothing for an unused key', () =>
      withStorage(async (storage) => {
        expect(await storage.committedResult('none')).toBeUndefined();
        await storage.transact('k', async () => ({ gold: 5, at: new Date(T0) }));
        expect(await storage.committedResult('k')).toEqual({ result: { gold: 5, at: new Date(T0).toISOString() } });
        await storage.transact('void', async () => undefined);
        expect(await storage.committedResult('void')).toEqual({ result: undefined });
        await expect(storage.transact('fails', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
        expect(await storage.committedResult('fails')).toBeUndefined();
      }));

    it('a process killed between its commit and its answer: the retry replays and applies nothing', () =>
      withStorage(async (storage, fixture) => {
        if (!fixture.url) return;
        const character = await newCharacter(storage);
        const child = await runChild(['grant-and-kill', fixture.url, JSON.stringify(fixture.options ?? {}), 'grant-xp', character]);
        expect(child.stderr).toBe('');
        expect(child.signal).toBe('SIGKILL');
        // The caller never heard back; it retries with the same key.
        let ran = false;
        const retry = await storage.transact('grant-xp', async (tx) => {
          ran = true;
          return storage.players.addStat(character, 'xp', 100, tx);
        });
        expect(retry).toEqual({ result: 100, replayed: true });
        expect(ran).toBe(false);
        expect(await storage.players.getStats(character)).toEqual({ xp: 100 });
      }));

    it('rejects an empty key', () =>
      withStorage(async (storage) => {
        await expectStorageError(
          storage.transact('', async () => 1),
          'INVALID_ARGUMENT',
        );
      }));
  });
}
