// Loads before anything imports pg: see the module's header.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { storageContract, type StorageFixture } from './contract.js';
import { StorageError } from './errors.js';
import { migrationSteps } from './migrations.js';
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

async function postgresFixture(): Promise<StorageFixture> {
  const { url, drop } = await freshSchema();
  const opened: Storage[] = [];
  const open = async () => {
    const storage = await openStorage({ url });
    opened.push(storage);
    return storage;
  };
  try {
    const storage = await open();
    return {
      storage,
      open,
      cleanup: async () => {
        for (const s of opened) await s.close();
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

// Without a server (and without TICKWIRE_REQUIRE_SERVICES, which makes it a failure) the suite
// shows as one skipped test whose name says why and how to start one.
if (skipReason) {
  describe('storage contract: postgres', () => {
    it.skipIf(true)(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  storageContract('postgres', postgresFixture);

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
          expect(Number(tables.rows[0]?.n)).toBe(11);
        } finally {
          await Promise.all(storages.map((s) => s.close()));
        }
      } finally {
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
