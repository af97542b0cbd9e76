/**
 * The SQLite adapter: a better-sqlite3 database behind Kysely, set up for a game server.
 *
 * WAL lets readers run beside the writer; synchronous = FULL syncs the WAL on every commit so a
 * committed transaction survives kill -9 and power loss alike; busy_timeout (5 s) makes a second
 * process wait for the write lock instead of failing while it opens and migrates (openStorage
 * then lowers it, see StorageOptions.sqliteBusyTimeoutMs); foreign_keys enforces the schema's
 * references (SQLite leaves them off unless asked). One storage holds one connection and Kysely
 * serialises its use, so open one storage per database file per process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { StorageLogger } from './context.js';
import { StorageError } from './errors.js';
import type { Database } from './schema.js';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';

/** How long a statement waits for another process's lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

function isMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** Opens (creating if needed, folder included) the SQLite database at `path`. */
export function openSqlite(path: string, logger: StorageLogger): Kysely<Database> {
  let database: BetterSqlite3.Database;
  try {
    if (!isMemory(path)) mkdirSync(dirname(path), { recursive: true });
    database = new BetterSqlite3(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new StorageError('UNREACHABLE', `cannot open the SQLite database at ${path}: ${(err as Error).message}; check the path and that its folder is writable`, { cause: err });
  }
  try {
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const mode = database.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && !isMemory(path)) {
      logger.warn({ path, journalMode: mode }, 'SQLite did not switch to WAL (is the file on a network file system?); writers will block readers');
    }
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw new StorageError('UNREACHABLE', `cannot set up the SQLite database at ${path}: ${(err as Error).message}; is it a SQLite file, and is another process holding it locked?`, { cause: err });
  }
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
}
