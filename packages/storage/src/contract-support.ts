/**
 * Shared pieces of the storage contract suite (contract.ts): the fixture an adapter provides
 * and small helpers the contract's files use. Test code only; not part of the build.
 */
import { expect } from 'vitest';
import { sql } from 'kysely';
import { StorageError, type StorageErrorCode } from './errors.js';
import type { StorageOptions } from './open.js';
import type { CheckpointBatch } from './rooms.js';
import type { Storage } from './storage.js';

/** Options for opening a storage on a fixture's database (its URL is the fixture's). */
export type FixtureOptions = Omit<StorageOptions, 'url'>;

/** An empty database of the adapter's kind, not migrated. */
export interface BlankDatabase {
  /** What `openStorage({ url })` takes (also from another process). */
  url: string;
  /** Opens a storage on it; every storage opened this way is closed by cleanup. */
  open(options?: FixtureOptions): Promise<Storage>;
  /** Closes what was opened and removes the database. */
  cleanup(): Promise<void>;
}

/** What an adapter's factory returns for one test. */
export interface StorageFixture {
  storage: Storage;
  /** Closes every storage this fixture opened and removes the database. */
  cleanup(): Promise<void>;
  /**
   * Opens another storage on the same database (used after closing the first one, to check
   * what survived). Tests that need it are skipped when an adapter cannot provide it.
   */
  open?: (options?: FixtureOptions) => Promise<Storage>;
  /** The database's URL, for a child process (tests that need it are skipped without it). */
  url?: string;
  /** The options `storage` was opened with (beyond the URL), for a child process to open it alike. */
  options?: FixtureOptions;
  /** Another, empty database (tests that need it are skipped when an adapter cannot provide it). */
  blank?: () => Promise<BlankDatabase>;
}

/** Runs one test body on a fresh fixture and cleans it up whatever happens. */
export type WithStorage = (fn: (storage: Storage, fixture: StorageFixture) => Promise<void>) => Promise<void>;

/** Epoch ms well past 2^31, so a 32-bit or string round trip would show. */
export const T0 = 1_800_000_000_000;

/** A checkpoint batch for `code` at T0 with nothing in it, plus `fields`. */
export function batch(code: string, fields: Partial<CheckpointBatch> = {}): CheckpointBatch {
  return { code, upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: T0, ...fields };
}

/** Awaits a rejection with a StorageError of `code`. */
export async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a StorageError ${code}`).toBeInstanceOf(StorageError);
  expect((err as StorageError).code).toBe(code);
  return err as StorageError;
}

/** An account `userId` with one character named 'hero'; returns the character id. */
export async function newCharacter(storage: Storage, userId = 'u1'): Promise<string> {
  await storage.players.ensureAccount(userId, `player ${userId}`);
  return (await storage.players.createCharacter(userId, 'hero')).id;
}

/** Physical names of the tables in the storage's database (its schema, on PostgreSQL), sorted. */
export async function physicalTables(storage: Storage, schema?: string): Promise<string[]> {
  const raw = storage.db.withoutPlugins();
  if (storage.kind === 'sqlite') {
    const r = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(raw);
    return r.rows.map((t) => t.name).sort();
  }
  const where = schema === undefined ? sql`current_schema()` : sql`${schema}`;
  const r = await sql<{ name: string }>`select tablename as name from pg_catalog.pg_tables where schemaname = ${where}`.execute(raw);
  return r.rows.map((t) => t.name).sort();
}

/** Physical names of the indexes of the storage's database (its schema, on PostgreSQL), sorted. */
export async function physicalIndexes(storage: Storage): Promise<string[]> {
  const raw = storage.db.withoutPlugins();
  if (storage.kind === 'sqlite') {
    const r = await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(raw);
    return r.rows.map((t) => t.name).sort();
  }
  const r = await sql<{ name: string }>`select indexname as name from pg_catalog.pg_indexes where schemaname = current_schema()`.execute(raw);
  return r.rows.map((t) => t.name).sort();
}
