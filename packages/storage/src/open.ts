/**
 * openStorage: turns a URL into a migrated, ready Storage. The only place that knows which
 * adapters exist; the rest of the package speaks Kysely and does not care.
 */
import { sql, WithSchemaPlugin } from 'kysely';
import type { StorageLogger } from './context.js';
import { StorageError } from './errors.js';
import { tableNaming, TableNamingPlugin } from './naming.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import { createStorage, type Storage } from './storage.js';

/** Where SQLite data goes when no URL is given (relative to the working directory). */
export const DEFAULT_SQLITE_PATH = './data/tickwire.db';

/** Options of {@link openStorage}. */
export interface StorageOptions {
  /**
   * `postgres://...` / `postgresql://...` for PostgreSQL; `sqlite:PATH` or a plain file path
   * for SQLite (`:memory:` for a throwaway database). Default: SQLite at `./data/tickwire.db`.
   */
  url?: string;
  /** Where survivable problems are reported; defaults to console.warn. */
  logger?: StorageLogger;
  /** Clock for created_at columns, epoch ms; defaults to Date.now. */
  now?: () => number;
  /**
   * SQLite only: how long a write waits for another process's lock once the storage is open
   * (default 0: fail at once with SQLITE_BUSY and let the caller retry, because better-sqlite3
   * would block the event loop while it waits). Opening and migrating always wait up to 5 s.
   */
  sqliteBusyTimeoutMs?: number;
  /**
   * PostgreSQL only: how long a session may sit idle inside a transaction before the server ends
   * it (and rolls the transaction back), in ms; 0 leaves it to the server (normally: never).
   * Default 3000, no longer than a cluster process's time to live: a process paused in the
   * middle of a write then holds its locks at most that long, so the process that takes its rooms
   * over is not kept waiting for them. A transaction of `transact` whose callback awaits
   * something other than its queries for longer than this fails (and can be retried).
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * Prefix of every tickwire table (and constraint and index) name, so tickwire can share a
   * database with an application's own tables. Default `tickwire_` (tables `tickwire_rooms`,
   * `tickwire_items`, ...); `''` keeps the bare names of databases created before prefixes.
   * Choose it once per database: a database created before prefixes is moved to the prefix on
   * its first open. Queries through `storage.db` keep using the bare, logical names.
   */
  tablePrefix?: string;
  /**
   * PostgreSQL only: the schema to keep tickwire's tables in (created if missing). Default: the
   * connection's search_path (normally `public`).
   */
  schema?: string;
}

/** Which database a URL names. */
export type StorageTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * Resolves a storage URL (see {@link StorageOptions.url}). Throws INVALID_URL for a scheme it
 * does not know.
 *
 * @example
 * parseStorageUrl('sqlite:./saves/game.db'); // { kind: 'sqlite', path: './saves/game.db' }
 */
export function parseStorageUrl(url: string | undefined): StorageTarget {
  if (url === undefined || url.trim() === '') return { kind: 'sqlite', path: DEFAULT_SQLITE_PATH };
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  if (/^sqlite:/i.test(url)) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new StorageError('INVALID_URL', 'sqlite: needs a path, for example sqlite:./data/tickwire.db');
    return { kind: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme) {
    throw new StorageError('INVALID_URL', `unsupported storage URL scheme ${scheme[1]}://: use postgres://user@host:5432/db, sqlite:PATH or a file path`);
  }
  return { kind: 'sqlite', path: url };
}

const consoleLogger: StorageLogger = {
  warn: (obj, msg) => console.warn(`[tickwire/storage] ${msg ?? ''}`, obj),
};

/**
 * Opens SQLite or PostgreSQL (from `options.url`) and applies pending migrations before
 * resolving.
 *
 * @example
 * const storage = await openStorage({ url: process.env.DATABASE_URL, logger });
 * const room = await storage.loadRoom('lobby');
 */
export async function openStorage(options: StorageOptions = {}): Promise<Storage> {
  const target = parseStorageUrl(options.url);
  const logger = options.logger ?? consoleLogger;
  const now = options.now ?? Date.now;
  const naming = tableNaming(options.tablePrefix, options.schema);
  if (naming.schema !== undefined && target.kind === 'sqlite') {
    throw new StorageError('INVALID_ARGUMENT', `schema is for PostgreSQL; on SQLite use tablePrefix (or a database file of its own) to keep tickwire's tables apart`);
  }
  const raw = target.kind === 'postgres' ? await openPostgres(target.url, logger, options.idleInTransactionTimeoutMs) : openSqlite(target.path, logger);
  let db = raw.withPlugin(new TableNamingPlugin(naming));
  // After the naming plugin, so the schema is put on the physical names.
  if (naming.schema !== undefined) db = db.withPlugin(new WithSchemaPlugin(naming.schema));
  const storage = createStorage({ kind: target.kind, db, logger, now, naming });
  try {
    await storage.migrate();
    if (target.kind === 'sqlite') {
      // better-sqlite3 is synchronous: a write waiting for another process's lock would block
      // the event loop (and a game server's ticks) for the whole busy timeout. From here on a
      // locked write fails at once with SQLITE_BUSY and the caller retries later (the room
      // runtime's write-behind queue does). Migrations above still waited their turn.
      await sql`PRAGMA busy_timeout = ${sql.raw(String(Math.max(0, Math.floor(options.sqliteBusyTimeoutMs ?? 0))))}`.execute(db);
    }
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
  return storage;
}
