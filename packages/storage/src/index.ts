/**
 * @tickwire/storage: persistence for tickwire servers on SQLite or PostgreSQL, through one
 * Kysely query layer: room checkpoints, exactly-once critical transactions, player data
 * (accounts, characters, items, stats, balances) and room ownership (fenced writes, which a
 * paused old owner of a room can no longer make once another process acquired it).
 *
 * Open it with {@link openStorage}; the server depends only on the {@link Storage} interface.
 */
export { openStorage, parseStorageUrl, DEFAULT_SQLITE_PATH, type StorageOptions, type StorageTarget } from './open.js';
export type { Storage } from './storage.js';
export type { StorageKind, StorageLogger, Executor } from './context.js';
export type { DurableEntityRow, PlayerCheckpointRow, RoomRecord, RoomSummary, CheckpointBatch } from './rooms.js';
export type { TransactOptions, TransactionOutcome } from './transactions.js';
export type { PlayerStore } from './players.js';
export type { SessionStore, SessionRecord, SessionMemberRow, SessionResultsRecord } from './sessions.js';
export { DEFAULT_CHARACTER_NAME, type Account, type Character } from './accounts.js';
export type { Item } from './items.js';
export { StorageError, InsufficientFunds, StaleOwnerError, type StorageErrorCode } from './errors.js';
export { migrationSteps, MIGRATION_LOCK_KEY, type MigrationStep, type MigrationContext } from './migrations.js';
export { DEFAULT_TABLE_PREFIX, type TableNaming } from './naming.js';
export { SQLITE_BUSY_TIMEOUT_MS } from './sqlite.js';
export type * from './schema.js';
