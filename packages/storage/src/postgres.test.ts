// Loads before anything imports pg: see the module's header.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { storageContract, type StorageFixture } from './contract.js';
import { expectLegacyData, fillLegacy, openLegacy } from './contract-naming.js';
import type { BlankDatabase, FixtureOptions } from './contract-support.js';
import { StorageError } from './errors.js';
import { migrationSteps } from './migrations.js';
import { DATA_TABLES } from './naming.js';
import { openStorage } from './open.js';
import { redactUrl } from './postgres.js';
import { freshPostgresSchema, postgresAdmin, postgresReachable, postgresTestUrl, unavailable } from './testing.js';
import type { Storage } from './storage.js';

const baseUrl = postgresTestUrl();

const skipReason = unavailable(
  `PostgreSQL at ${redactUrl(baseUrl)}`,
  await postgresReachable(baseUrl),
  'start it (on this machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point DATABASE_URL at one',
);

const admin = <T>(fn: (client: pg.Client) => Promise<T>) => postgresAdmin(baseUrl, fn);
const freshSchema = () => freshPostgresSchema(baseUrl);

/** A new, empty schema (the URL's search_path) and the storages opened on it. */
const quiet = { warn: () => undefined };

async function postgresBlank(base: FixtureOptions = {}): Promise<BlankDatabase> {
  const { url, drop } = await freshSchema();
  const opened: Storage[] = [];
  return {
    url,
    open: async (options = {}) => {
      const storage = await openStorage({ logger: quiet, ...base, ...options, url });
      opened.push(storage);
      return storage;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      if (base.schema) await admin((c) => c.query(`drop schema if exists ${base.schema} cascade`));
      await drop();
    },
  };
}

/** The contract's fixture: a migrated storage (with `base` options) in a new schema. */
function postgresFixture(base: () => FixtureOptions = () => ({}), withBlank = true): () => Promise<StorageFixture> {
  return async () => {
    const options = base();
    const db = await postgresBlank(options);
    try {
      const storage = await db.open();
      return { storage, open: db.open, url: db.url, options, cleanup: db.cleanup, ...(withBlank ? { blank: () => postgresBlank() } : {}) };
    } catch (err) {
      await db.cleanup();
      throw err;
    }
  };
}

// Without a server (and without TICKWIRE_REQUIRE_SERVICES, which makes it a failure) the suite
// shows as one skipped test whose name says why and how to start one.
if (skipReason) {
  describe('storage contract: postgres', () => {
    it.skipIf(true)(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  storageContract('postgres', postgresFixture());
  // The whole contract again in a schema of its own and under another prefix: no query may
  // depend on the search_path or the default prefix.
  storageContract(
    'postgres, schema and tablePrefix game_',
    postgresFixture(() => ({ schema: `tw_${randomUUID().replaceAll('-', '').slice(0, 16)}`, tablePrefix: 'game_' }), false),
  );

  describe('postgres adapter', () => {
    it('storages migrating one new schema at once apply each step exactly once', async () => {
      const { schema, url, drop } = await freshSchema();
      try {
        const storages = await Promise.all(Array.from({ length: 4 }, () => openStorage({ url })));
        try {
          await Promise.all(storages.map((s) => s.migrate()));
          const rows = await storages[0]!.db.selectFrom('tickwire_migrations').select('version').orderBy('version').execute();
          expect(rows.map((r) => r.version)).toEqual(migrationSteps.map((s) => s.version));
          const tables = await admin((c) => c.query<{ n: string }>('select count(*) as n from information_schema.tables where table_schema = $1', [schema]));
          expect(Number(tables.rows[0]?.n)).toBe(DATA_TABLES.length + 1);
        } finally {
          await Promise.all(storages.map((s) => s.close()));
        }
      } finally {
        await drop();
      }
    });

    it('storages opening a schema from before prefixes at once move it once, data intact', async () => {
      const { url, drop } = await freshSchema();
      try {
        const legacy = await openLegacy(url);
        const ids = await fillLegacy(legacy);
        await legacy.close();
        const storages = await Promise.all(Array.from({ length: 4 }, () => openStorage({ url, logger: quiet })));
        try {
          for (const storage of storages) await expectLegacyData(storage, ids);
          const rows = await storages[0]!.db.selectFrom('tickwire_migrations').select('version').orderBy('version').execute();
          expect(rows.map((r) => r.version)).toEqual(migrationSteps.map((s) => s.version));
        } finally {
          await Promise.all(storages.map((s) => s.close()));
        }
      } finally {
        await drop();
      }
    });

    it('with a schema, every table lives in it and none in the search_path schema', async () => {
      const { schema: searchPath, url, drop } = await freshSchema();
      const schema = `tw_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const storage = await openStorage({ url, schema, logger: quiet });
      try {
        await storage.writeCheckpoint({ code: 'r', upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: 1 });
        const count = (s: string) => admin((c) => c.query<{ n: string }>('select count(*) as n from pg_catalog.pg_tables where schemaname = $1', [s]));
        expect(Number((await count(schema)).rows[0]?.n)).toBe(DATA_TABLES.length + 1);
        expect(Number((await count(searchPath)).rows[0]?.n)).toBe(0);
        const rooms = await admin((c) => c.query<{ code: string }>(`select code from ${schema}.tickwire_rooms`));
        expect(rooms.rows).toEqual([{ code: 'r' }]);
      } finally {
        await storage.close();
        await admin((c) => c.query(`drop schema if exists ${schema} cascade`));
        await drop();
      }
    });

    it('BIGINT columns come back as JS numbers', async () => {
      const { url, drop } = await freshSchema();
      const storage = await openStorage({ url });
      try {
        expect(storage.kind).toBe('postgres');
        await storage.writeCheckpoint({ code: 'r', upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: 2 ** 52 });
        const row = await storage.db.selectFrom('rooms').select('checkpoint_at').executeTakeFirstOrThrow();
        expect(row.checkpoint_at).toBe(2 ** 52);
      } finally {
        await storage.close();
        await drop();
      }
    });

    it('a session idle inside a transaction (its process paused mid-write) is ended by the server: its locks go, and its process goes on', async () => {
      const { url, drop } = await freshSchema();
      const warnings: string[] = [];
      const paused = await openStorage({ url, idleInTransactionTimeoutMs: 300, logger: { warn: (_obj, msg) => void warnings.push(msg ?? '') } });
      const next = await openStorage({ url, logger: quiet });
      try {
        const epoch = await paused.acquireRoom('r');
        let acquiredAt = 0;
        let wokeAt = 0;
        // The room row locked, then nothing sent for a second, as from a process stopped mid-write.
        const stalled = paused.db.transaction().execute(async (tx) => {
          await tx.updateTable('rooms').set({ checkpoint_at: 1 }).where('code', '=', 'r').execute();
          const acquiring = next.acquireRoom('r').then((e) => ((acquiredAt = Date.now()), e));
          await new Promise((r) => setTimeout(r, 1000));
          wokeAt = Date.now();
          await tx.selectFrom('rooms').select('code').execute();
          return acquiring;
        });
        await expect(stalled).rejects.toThrow();
        // The next owner got the room while the stalled one was still asleep, and its write is gone.
        await expect.poll(() => acquiredAt).toBeGreaterThan(0);
        expect(acquiredAt).toBeLessThan(wokeAt);
        expect(await next.acquireRoom('r')).toBe(epoch + 2);
        expect((await next.db.selectFrom('rooms').select('checkpoint_at').executeTakeFirstOrThrow()).checkpoint_at).toBeNull();
        expect(warnings).toContain('a PostgreSQL connection failed; what runs on it fails and the pool replaces it');
        // The process goes on: its pool replaced the connection.
        expect(await paused.loadRoom('r')).toBeDefined();
        const setting = async (s: Storage) => (await sql<{ idle_in_transaction_session_timeout: string }>`show idle_in_transaction_session_timeout`.execute(s.db)).rows[0]?.idle_in_transaction_session_timeout;
        expect(await setting(paused)).toBe('300ms');
        expect(await setting(next)).toBe('3s');
        await expect(openStorage({ url, idleInTransactionTimeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      } finally {
        await paused.close();
        await next.close();
        await drop();
      }
    });

    it('an unreachable server fails openStorage with the URL (password hidden) and what to check', async () => {
      const err = await openStorage({ url: 'postgres://someone:secret@127.0.0.1:1/nowhere' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('UNREACHABLE');
      expect((err as Error).message).toContain('postgres://someone:***@127.0.0.1:1/nowhere');
      expect((err as Error).message).toContain('DATABASE_URL');
      expect((err as Error).message).not.toContain('secret');
    });
  });
}
