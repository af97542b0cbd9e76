/**
 * Storage contract, table names: tickwire's tables carry their prefix, live beside an
 * application's own tables of the same bare names, and a database created before prefixes
 * moves onto them with its data intact.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { StorageContext } from './context.js';
import { batch, expectStorageError, newCharacter, physicalIndexes, physicalTables, type BlankDatabase, type WithStorage } from './contract-support.js';
import { PREFIX_VERSION } from './legacy-tables.js';
import { migrationSteps, runMigrations } from './migrations.js';
import { DATA_TABLES, tableNaming, TableNamingPlugin } from './naming.js';
import { parseStorageUrl } from './open.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import { createStorage, type Storage } from './storage.js';

const quiet = { warn: () => undefined };

/**
 * A storage exactly as tickwire was before prefixes: bare table names, schema versions 1 to 3
 * (the released steps, run with an empty prefix, which the naming plugin leaves untouched).
 */
export async function openLegacy(url: string): Promise<Storage> {
  const target = parseStorageUrl(url);
  const naming = tableNaming('');
  const raw = target.kind === 'postgres' ? await openPostgres(target.url, quiet) : openSqlite(target.path, quiet);
  const ctx: StorageContext = { kind: target.kind, db: raw.withPlugin(new TableNamingPlugin(naming)), logger: quiet, now: Date.now, naming };
  await runMigrations(ctx, migrationSteps.filter((s) => s.version < PREFIX_VERSION));
  return createStorage(ctx);
}

/** Everything the old version can store, written through its own storage. */
export async function fillLegacy(legacy: Storage): Promise<{ character: string; sword: string }> {
  await legacy.writeCheckpoint(batch('old-room', { meta: { round: 3 }, upsertEntities: [{ key: 'wall-1', type: 'wall', data: { cell: { cx: 1, cy: 2 } } }], upsertPlayers: [{ userId: 'ada', data: { x: 5 } }] }));
  await legacy.transact('old-key', async () => ({ paid: 7 }));
  const character = await newCharacter(legacy, 'ada');
  const sword = await legacy.players.addItem(character, 'sword', 1, 'inventory', 0);
  await legacy.players.adjustBalance(character, 'gold', 40);
  await legacy.players.setStat(character, 'level', 2);
  await legacy.players.setActiveCharacter('ada', character);
  return { character, sword };
}

/** Checks that what fillLegacy wrote reads back the same through `storage`. */
export async function expectLegacyData(storage: Storage, { character, sword }: { character: string; sword: string }): Promise<void> {
  expect(await storage.loadRoom('old-room')).toEqual({
    code: 'old-room',
    meta: { round: 3 },
    entities: [{ key: 'wall-1', type: 'wall', data: { cell: { cx: 1, cy: 2 } } }],
    players: [{ userId: 'ada', data: { x: 5 } }],
    checkpointAt: batch('x').at,
  });
  expect(await storage.committedResult('old-key')).toEqual({ result: { paid: 7 } });
  expect(await storage.transact('old-key', async () => ({ paid: 0 }))).toEqual({ result: { paid: 7 }, replayed: true });
  expect((await storage.players.activeCharacter('ada')).id).toBe(character);
  expect((await storage.players.listItems(character)).map((i) => i.uid)).toEqual([sword]);
  expect(await storage.players.balance(character, 'gold')).toBe(40);
  expect(await storage.players.getStats(character)).toEqual({ level: 2 });
}

/** Registers the naming cases. */
export function namingContract(withStorage: WithStorage): void {
  /** Runs `fn` on a blank database; `another` makes more, all cleaned up afterwards. */
  const withBlank = (fn: (db: BlankDatabase, another: () => Promise<BlankDatabase>) => Promise<void>) =>
    withStorage(async (_storage, fixture) => {
      const blank = fixture.blank;
      if (!blank) return;
      const made: BlankDatabase[] = [];
      const another = async () => {
        const db = await blank();
        made.push(db);
        return db;
      };
      try {
        await fn(await another(), another);
      } finally {
        for (const db of made) await db.cleanup();
      }
    });

  describe('table names', () => {
    it('every tickwire table carries the prefix (tickwire_ by default)', () =>
      withBlank(async (db) => {
        const storage = await db.open();
        expect(storage.tablePrefix).toBe('tickwire_');
        expect(await physicalTables(storage)).toEqual(['tickwire_migrations', ...DATA_TABLES.map((t) => `tickwire_${t}`)].sort());
        for (const index of await physicalIndexes(storage)) expect(index).toMatch(/^(tickwire_|sqlite_autoindex_tickwire_)/);
      }));

    it('an application table named items exists first, and both work side by side', () =>
      withBlank(async (db) => {
        const bare = await db.open({ tablePrefix: 'app_' });
        // The application's own tables, with the names tickwire used to take.
        const raw = bare.db.withoutPlugins();
        await raw.schema.createTable('items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('label', 'text').execute();
        await raw.schema.createTable('rooms').addColumn('code', 'text', (c) => c.primaryKey()).addColumn('floor', 'integer').execute();
        await raw.schema.createIndex('idempotency_keys_created_at').on('items').column('label').execute();
        await sql`insert into items (id, label) values (1, 'chair')`.execute(raw);
        const storage = await db.open();
        const hero = await newCharacter(storage);
        await storage.players.addItem(hero, 'sword', 1, 'inventory', 0);
        await storage.writeCheckpoint(batch('lobby', { meta: { v: 1 } }));
        await storage.migrate();
        expect((await sql<{ id: number; label: string }>`select id, label from items`.execute(raw)).rows).toEqual([{ id: 1, label: 'chair' }]);
        expect((await sql`select code from rooms`.execute(raw)).rows).toEqual([]);
        expect((await storage.players.listItems(hero)).map((i) => i.itemType)).toEqual(['sword']);
        expect((await storage.listRooms()).map((r) => r.code)).toEqual(['lobby']);
        const tables = await physicalTables(storage);
        expect(tables).toContain('items');
        expect(tables).toContain('tickwire_items');
        expect(tables).toContain('app_items');
      }));

    it('a database created before prefixes moves onto them with its data intact, once', () =>
      withBlank(async (db, another) => {
        const legacy = await openLegacy(db.url);
        const ids = await fillLegacy(legacy);
        const legacyIndexes = await physicalIndexes(legacy);
        await legacy.close();

        const warnings: string[] = [];
        const storage = await db.open({ logger: { warn: (_obj, msg) => void warnings.push(msg ?? '') } });
        expect(warnings).toEqual(["moved tickwire's tables from before table prefixes to the prefix tickwire_"]);
        await expectLegacyData(storage, ids);
        const tables = await physicalTables(storage);
        expect(tables).toEqual(['tickwire_migrations', ...DATA_TABLES.map((t) => `tickwire_${t}`)].sort());
        const versions = await storage.db.selectFrom('tickwire_migrations').select('version').orderBy('version').execute();
        expect(versions.map((v) => v.version)).toEqual(migrationSteps.map((s) => s.version));
        // Constraint and index names moved too: the same names a fresh database gets.
        const fresh = await (await another()).open();
        expect(await physicalIndexes(storage)).toEqual(await physicalIndexes(fresh));
        expect(legacyIndexes.some((i) => !i.includes('tickwire_'))).toBe(true);
        // Opening again changes nothing, and the moved tables take new writes.
        const again = await db.open();
        await again.migrate();
        await expectLegacyData(again, ids);
        await again.writeCheckpoint(batch('old-room', { upsertPlayers: [{ userId: 'bob', data: { x: 1 } }], at: batch('x').at + 1 }));
        expect((await storage.loadRoom('old-room'))?.players.map((p) => p.userId)).toEqual(['ada', 'bob']);
      }));

    it('a database created before prefixes moves onto a custom prefix too', () =>
      withBlank(async (db) => {
        const legacy = await openLegacy(db.url);
        const ids = await fillLegacy(legacy);
        await legacy.close();
        const storage = await db.open({ tablePrefix: 'game_' });
        await expectLegacyData(storage, ids);
        expect(await physicalTables(storage)).toEqual(['game_migrations', ...DATA_TABLES.map((t) => `game_${t}`)].sort());
      }));

    it('two prefixes are two independent sets of tables in one database', () =>
      withBlank(async (db) => {
        const a = await db.open();
        const b = await db.open({ tablePrefix: 'other_' });
        await a.writeCheckpoint(batch('only-in-a'));
        await b.transact('k', async () => 'b');
        expect((await a.listRooms()).map((r) => r.code)).toEqual(['only-in-a']);
        expect(await b.listRooms()).toEqual([]);
        expect(await a.committedResult('k')).toBeUndefined();
        expect(await b.committedResult('k')).toEqual({ result: 'b' });
      }));

    it('refuses a prefix that is not a plain identifier, saying what is allowed', () =>
      withBlank(async (db) => {
        for (const tablePrefix of ['Game', 'a-b_', 'x; drop table rooms', '1st_']) {
          const err = await expectStorageError(db.open({ tablePrefix }), 'INVALID_ARGUMENT');
          expect(err.message).toMatch(/tablePrefix must be/);
        }
      }));
  });
}
