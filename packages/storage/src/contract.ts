/**
 * The storage contract: one test suite every adapter runs (sqlite.test.ts, postgres.test.ts), so
 * SQLite and PostgreSQL are held to the same behaviour, the concurrency cases included. An
 * adapter supplies a factory that opens a fresh, migrated storage on an empty database; a new
 * adapter passes when this whole suite does. The cases live in contract-*.ts by topic.
 */
import { describe, expect, it } from 'vitest';
import { namingContract } from './contract-naming.js';
import { ownershipContract } from './contract-ownership.js';
import { playerContract } from './contract-players.js';
import { roomContract } from './contract-rooms.js';
import { sessionContract } from './contract-sessions.js';
import { batch, newCharacter, type StorageFixture, type WithStorage } from './contract-support.js';
import { transactContract } from './contract-transact.js';
import { migrationSteps } from './migrations.js';

export type { StorageFixture } from './contract-support.js';

/**
 * Registers the contract suite for one adapter.
 *
 * @example
 * storageContract('sqlite', async () => {
 *   const url = join(mkdtempSync(join(tmpdir(), 'tw-')), 'test.db');
 *   const storage = await openStorage({ url });
 *   return { storage, cleanup: () => storage.close(), open: () => openStorage({ url }) };
 * });
 */
export function storageContract(name: string, factory: () => Promise<StorageFixture>): void {
  const withStorage: WithStorage = async (fn) => {
    const fixture = await factory();
    try {
      await fn(fixture.storage, fixture);
    } finally {
      await fixture.cleanup();
    }
  };

  describe(`storage contract: ${name}`, () => {
    describe('migrations', () => {
      it('records every step once, and migrating again changes nothing', () =>
        withStorage(async (storage) => {
          await storage.migrate();
          await storage.migrate();
          const rows = await storage.db.selectFrom('tickwire_migrations').select(['version', 'name', 'applied_at']).orderBy('version').execute();
          expect(rows.map((r) => r.version)).toEqual(migrationSteps.map((s) => s.version));
          expect(rows.map((r) => r.name)).toEqual(migrationSteps.map((s) => s.name));
          for (const r of rows) expect(typeof r.applied_at).toBe('number');
          expect(await storage.listRooms()).toEqual([]);
        }));

      it('a second storage on a migrated database migrates as a no-op', () =>
        withStorage(async (storage, fixture) => {
          if (!fixture.open) return;
          await storage.writeCheckpoint(batch('kept', { meta: { v: 1 } }));
          const other = await fixture.open();
          try {
            await other.migrate();
            expect((await other.loadRoom('kept'))?.meta).toEqual({ v: 1 });
            const count = await other.db.selectFrom('tickwire_migrations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
            expect(Number(count.n)).toBe(migrationSteps.length);
          } finally {
            await other.close();
          }
        }));
    });

    roomContract(withStorage);
    transactContract(withStorage);
    ownershipContract(withStorage);
    playerContract(withStorage);
    namingContract(withStorage);
    sessionContract(withStorage);

    it('data survives close() and reopening the same database', () =>
      withStorage(async (storage, fixture) => {
        if (!fixture.open) return;
        await storage.writeCheckpoint(batch('r', { meta: { v: 1 }, upsertEntities: [{ key: 'a', type: 't', data: [1] }], upsertPlayers: [{ userId: 'u', data: {} }] }));
        const hero = await newCharacter(storage);
        const sword = await storage.players.addItem(hero, 'sword', 1, 'equipment', 2);
        await storage.players.adjustBalance(hero, 'gold', 12);
        await storage.players.setStat(hero, 'level', 4);
        await storage.players.setActiveCharacter('u1', hero);
        await storage.transact('once', async () => ({ done: true }));
        const room = await storage.loadRoom('r');
        await storage.close();
        await storage.close(); // a second close is harmless

        const reopened = await fixture.open();
        try {
          expect(await reopened.loadRoom('r')).toEqual(room);
          expect((await reopened.players.activeCharacter('u1')).id).toBe(hero);
          expect(await reopened.players.listItems(hero)).toEqual([{ uid: sword, characterId: hero, itemType: 'sword', quantity: 1, container: 'equipment', slot: 2 }]);
          expect(await reopened.players.balance(hero, 'gold')).toBe(12);
          expect(await reopened.players.getStats(hero)).toEqual({ level: 4 });
          expect(await reopened.transact('once', async () => ({ done: false }))).toEqual({ result: { done: true }, replayed: true });
        } finally {
          await reopened.close();
        }
      }));
  });
}
