/**
 * Kysely's SQLite dialect with write transactions that start with BEGIN IMMEDIATE.
 *
 * Kysely begins every SQLite transaction with a plain (deferred) BEGIN, which takes the write
 * lock only at the first write. In WAL mode a deferred transaction that read first and then
 * finds another process committed in between fails with SQLITE_BUSY at once, and busy_timeout
 * cannot help. BEGIN IMMEDIATE takes the write lock up front, so a second process simply waits
 * (up to busy_timeout) for its turn. Transactions marked read only keep the deferred BEGIN: they
 * need a consistent snapshot, not the write lock.
 */
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig, type TransactionSettings } from 'kysely';

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    const begin = settings?.accessMode === 'read only' ? 'begin' : 'begin immediate';
    await connection.executeQuery(CompiledQuery.raw(begin));
  }
}

/** SqliteDialect whose read-write transactions use BEGIN IMMEDIATE. */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
