import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runChild } from './child-process.test-support.js';
import { storageContract, type StorageFixture } from './contract.js';
import { expectLegacyData, fillLegacy, openLegacy } from './contract-naming.js';
import type { BlankDatabase, FixtureOptions } from './contract-support.js';
import { migrationSteps } from './migrations.js';
import { openStorage } from './open.js';
import type { Storage } from './storage.js';

function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-storage-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function childReport(stdout: string): { versions: number[]; openMs: number } {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as { versions: number[]; openMs: number };
}

const quiet = { warn: () => undefined };

/** A new, empty SQLite file and the storages opened on it. */
function sqliteBlank(base: FixtureOptions = {}): BlankDatabase {
  const { dir, remove } = tempDir();
  const url = join(dir, 'nested', 'folder', 'test.db');
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
      remove();
    },
  };
}

/** The contract's fixture: a migrated storage (with `base` options) on a new file. */
function sqliteFixture(base: FixtureOptions = {}, withBlank = true): () => Promise<StorageFixture> {
  return async () => {
    const db = sqliteBlank(base);
    const storage = await db.open();
    return { storage, open: db.open, url: db.url, options: base, cleanup: db.cleanup, ...(withBlank ? { blank: async () => sqliteBlank() } : {}) };
  };
}

storageContract('sqlite', sqliteFixture());
// The whole contract again under another prefix: no query may depend on the default one.
storageContract('sqlite, tablePrefix game_', sqliteFixture({ tablePrefix: 'game_' }, false));

describe('sqlite adapter', () => {
  it('accepts sqlite:PATH, creates the folder, and sets WAL, synchronous FULL, busy_timeout and foreign keys', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'a', 'b', 'game.db');
    const storage = await openStorage({ url: `sqlite:${path}` });
    try {
      expect(storage.kind).toBe('sqlite');
      await storage.close();
      const raw = new BetterSqlite3(path, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
      // The per-connection settings, seen from a storage's own connection.
      const again = await openStorage({ url: path });
      const pragmas = await Promise.all(
        ['synchronous', 'busy_timeout', 'foreign_keys'].map(async (name) => {
          const { sql } = await import('kysely');
          const result = await sql<Record<string, number>>`select * from ${sql.raw(`pragma_${name}`)}`.execute(again.db);
          return Object.values(result.rows[0] ?? {})[0];
        }),
      );
      // FULL = 2; busy_timeout is lowered to 0 once open, so a locked write never blocks the event loop.
      expect(pragmas).toEqual([2, 0, 1]);
      await again.close();
      const patient = await openStorage({ url: path, sqliteBusyTimeoutMs: 250 });
      const { sql } = await import('kysely');
      const busy = await sql<Record<string, number>>`select * from pragma_busy_timeout`.execute(patient.db);
      expect(Object.values(busy.rows[0] ?? {})[0]).toBe(250);
      await patient.close();
    } finally {
      await storage.close();
      remove();
    }
  });

  it('an in-memory database works for throwaway use', async () => {
    const storage = await openStorage({ url: ':memory:' });
    await storage.writeCheckpoint({ code: 'm', upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: 1 });
    expect(await storage.listRooms()).toEqual([{ code: 'm', checkpointAt: 1, entities: 0, players: 0 }]);
    await storage.close();
  });

  it('several processes migrating one new file at once apply each step exactly once', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'shared.db');
    try {
      // Each child waits for the same instant, so they open and migrate concurrently.
      const startAt = Date.now() + 1500;
      const results = await Promise.all([0, 1, 2].map(() => runChild(['migrate', path, String(startAt)])));
      const versions = migrationSteps.map((s) => s.version);
      for (const r of results) {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(childReport(r.stdout).versions).toEqual(versions);
      }
      const storage = await openStorage({ url: path });
      const rows = await storage.db.selectFrom('tickwire_migrations').select('version').orderBy('version').execute();
      expect(rows.map((r) => r.version)).toEqual(versions);
      await storage.close();
    } finally {
      remove();
    }
  });

  it('several processes opening a database from before prefixes at once move it once, data intact', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'legacy.db');
    try {
      const legacy = await openLegacy(path);
      const ids = await fillLegacy(legacy);
      await legacy.close();
      const startAt = Date.now() + 1500;
      const results = await Promise.all([0, 1, 2].map(() => runChild(['migrate', path, String(startAt)])));
      for (const r of results) {
        expect(r.code).toBe(0);
        expect(childReport(r.stdout).versions).toEqual(migrationSteps.map((s) => s.version));
      }
      const storage = await openStorage({ url: path, logger: quiet });
      try {
        await expectLegacyData(storage, ids);
      } finally {
        await storage.close();
      }
    } finally {
      remove();
    }
  });

  it('a process that finds the database write-locked waits (busy_timeout) instead of failing', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'locked.db');
    try {
      const raw = new BetterSqlite3(path);
      raw.pragma('journal_mode = WAL');
      raw.exec('begin immediate; create table held_by_parent (x integer)');
      let release: (() => void) | undefined;
      const child = runChild(['migrate', path, '0'], (stdout) => {
        if (release || !stdout.includes('opening')) return;
        // The child is about to open; keep the lock a while longer so it must wait for it.
        release = () => raw.exec('commit');
        setTimeout(release, 400);
      });
      const result = await child;
      raw.close();
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = childReport(result.stdout);
      expect(report.versions).toEqual(migrationSteps.map((s) => s.version));
      expect(report.openMs).toBeGreaterThanOrEqual(300);
    } finally {
      remove();
    }
  });

  it('a committed transact() survives the process being killed with SIGKILL right after', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'durable.db');
    try {
      const child = await runChild(['commit-and-kill', path]);
      expect(child.signal).toBe('SIGKILL');
      expect(child.stdout).toContain('committed {"result":{"ok":true},"replayed":false}');
      const storage = await openStorage({ url: path });
      try {
        expect(await storage.loadRoom('durable-room')).toMatchObject({ meta: { written: 'in transact' } });
        expect(await storage.loadRoom('checkpointed')).toMatchObject({ entities: [{ key: 'e', type: 't', data: { n: 42 } }], checkpointAt: 2 });
        let ran = false;
        const replay = await storage.transact('durable-key', async () => {
          ran = true;
          return { ok: false };
        });
        expect(replay).toEqual({ result: { ok: true }, replayed: true });
        expect(ran).toBe(false);
      } finally {
        await storage.close();
      }
    } finally {
      remove();
    }
  });

  it('a file that is not a database fails with a message naming the path', async () => {
    const { dir, remove } = tempDir();
    try {
      const { writeFileSync } = await import('node:fs');
      const path = join(dir, 'junk.db');
      writeFileSync(path, 'this is not a sqlite database, just some text that is long enough to look like a header');
      await expect(openStorage({ url: path })).rejects.toThrow(path);
    } finally {
      remove();
    }
  });
});
