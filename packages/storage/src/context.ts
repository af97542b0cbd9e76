/**
 * What every part of a storage instance shares: the query layer, which database it talks to,
 * where its tables are, where warnings go and the clock. Passed explicitly (no module-level state), so two storages
 * can live in one process.
 */
import type { Kysely, Transaction } from 'kysely';
import type { TableNaming } from './naming.js';
import type { Database } from './schema.js';

/** Which database a storage talks to. */
export type StorageKind = 'sqlite' | 'postgres';

/** Where the storage layer reports problems it can survive (pino's `logger.warn` fits). */
export interface StorageLogger {
  warn(obj: object, msg?: string): void;
}

/** Either the storage's query layer or a transaction on it. */
export type Executor = Transaction<Database> | Kysely<Database>;

export interface StorageContext {
  readonly kind: StorageKind;
  readonly db: Kysely<Database>;
  readonly logger: StorageLogger;
  /** Epoch ms, for created_at columns. */
  readonly now: () => number;
  /** Where the tables are: their prefix and (PostgreSQL) schema. `db` already applies it to every query. */
  readonly naming: TableNaming;
}

/**
 * Runs `fn` in a transaction: inside `executor` when it already is one (so the work joins the
 * caller's transaction), otherwise in a new one.
 */
export async function inTransaction<T>(executor: Executor, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return fn(executor as Transaction<Database>);
  return executor.transaction().execute(fn);
}
