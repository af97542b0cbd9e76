import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from './errors.js';
import { DEFAULT_SQLITE_PATH, openStorage, parseStorageUrl } from './open.js';

describe('parseStorageUrl', () => {
  it('defaults to SQLite at ./data/tickwire.db', () => {
    expect(parseStorageUrl(undefined)).toEqual({ kind: 'sqlite', path: DEFAULT_SQLITE_PATH });
    expect(parseStorageUrl('  ')).toEqual({ kind: 'sqlite', path: './data/tickwire.db' });
  });

  it('takes sqlite:PATH, plain paths and :memory:', () => {
    expect(parseStorageUrl('sqlite:./saves/a.db')).toEqual({ kind: 'sqlite', path: './saves/a.db' });
    expect(parseStorageUrl('sqlite:/var/lib/tw.db')).toEqual({ kind: 'sqlite', path: '/var/lib/tw.db' });
    expect(parseStorageUrl('/var/lib/tw.db')).toEqual({ kind: 'sqlite', path: '/var/lib/tw.db' });
    expect(parseStorageUrl('C:\\games\\tw.db')).toEqual({ kind: 'sqlite', path: 'C:\\games\\tw.db' });
    expect(parseStorageUrl(':memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
  });

  it('takes postgres:// and postgresql:// URLs as they are', () => {
    expect(parseStorageUrl('postgres://u@h:5432/db')).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db' });
    expect(parseStorageUrl('postgresql://u:p@h/db?sslmode=require')).toEqual({ kind: 'postgres', url: 'postgresql://u:p@h/db?sslmode=require' });
  });

  it('refuses other schemes and an empty sqlite: path, saying what works', () => {
    for (const url of ['mysql://h/db', 'redis://h', 'sqlite:']) {
      let err: unknown;
      try {
        parseStorageUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('INVALID_URL');
      expect((err as Error).message).toMatch(/sqlite:/);
    }
  });
});

describe('openStorage', () => {
  it('with no URL, creates ./data/tickwire.db under the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-default-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const storage = await openStorage();
      expect(storage.kind).toBe('sqlite');
      await storage.close();
      expect(existsSync(join(dir, 'data', 'tickwire.db'))).toBe(true);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the injected clock for created_at', async () => {
    const storage = await openStorage({ url: ':memory:', now: () => 1_234 });
    try {
      expect(await storage.players.ensureAccount('u', 'Ann')).toEqual({ id: 'u', name: 'Ann', createdAt: 1_234 });
    } finally {
      await storage.close();
    }
  });

  it('warns through the logger when the database has schema versions this build does not know', async () => {
    const warnings: { obj: object; msg?: string }[] = [];
    const storage = await openStorage({ url: ':memory:', logger: { warn: (obj, msg) => warnings.push({ obj, msg }) } });
    try {
      expect(warnings).toEqual([]);
      await storage.db.insertInto('tickwire_migrations').values({ version: 999, name: 'from the future', applied_at: 0 }).execute();
      await storage.migrate();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.obj).toEqual({ versions: [999] });
      expect(warnings[0]?.msg).toMatch(/upgrade this server/);
    } finally {
      await storage.close();
    }
  });
});
