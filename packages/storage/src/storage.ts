/**
 * The Storage interface the game server depends on, and its one implementation over Kysely.
 * The server core sees only this interface; which database sits behind it is decided once, in
 * openStorage (open.ts).
 */
import type { Kysely, Transaction } from 'kysely';
import type { StorageContext, StorageKind } from './context.js';
import { runMigrations } from './migrations.js';
import { acquireRoom } from './ownership.js';
import { createPlayerStore, type PlayerStore } from './players.js';
import { createSessionStore, type SessionStore } from './sessions.js';
import { deleteRoom, listRooms, loadRoom, writeCheckpoint, type CheckpointBatch, type RoomRecord, type RoomSummary } from './rooms.js';
import type { Database } from './schema.js';
import { committedResult, isCommitted, transact, type TransactOptions, type TransactionOutcome } from './transactions.js';

/**
 * Persistence for a tickwire server: room checkpoints, exactly-once critical transactions and
 * player data, on SQLite or PostgreSQL. Create it with `openStorage`.
 *
 * @example
 * const storage = await openStorage({ url: process.env.DATABASE_URL });
 * const saved = await storage.loadRoom('lobby');
 * await storage.writeCheckpoint({ code: 'lobby', upsertEntities: [{ key: 'chest-1', type: 'chest', data: { open: false } }],
 *   deleteEntities: [], upsertPlayers: [], at: Date.now() });
 * await storage.close();
 */
export interface Storage {
  readonly kind: StorageKind;
  /** The prefix of tickwire's table names in this database (`tickwire_` unless configured). */
  readonly tablePrefix: string;
  /**
   * The query layer, for game-specific queries. Inside a `transact` callback use its `tx`
   * instead: on SQLite the transaction holds the only connection. It speaks tickwire's logical
   * table names (`rooms`, `items`, ...) and maps them to the prefixed ones (see
   * `StorageOptions.tablePrefix`); for the application's own tables use its own query layer.
   */
  readonly db: Kysely<Database>;
  /** Applies pending schema steps. Idempotent; safe when two processes run it at once. openStorage already ran it. */
  migrate(): Promise<void>;
  /** The room as of its last checkpoint (one consistent read), or undefined if never stored. */
  loadRoom(code: string): Promise<RoomRecord | undefined>;
  /** Every stored room with entity and player counts, ordered by code. */
  listRooms(): Promise<RoomSummary[]>;
  /**
   * Writes a checkpoint batch as ONE transaction: after a crash the room is as of this batch or
   * the one before, never between. A batch with an `epoch` is fenced: written only while that is
   * still the room's owner epoch, else nothing is written and it throws StaleOwnerError.
   */
  writeCheckpoint(batch: CheckpointBatch): Promise<void>;
  /**
   * Makes this process the room's owner in storage: atomically sets the room's owner epoch to
   * `max(stored + 1, atLeast)` (creating an empty room row if none is stored) and returns it.
   * Call it before loading the room, and stamp every checkpoint and critical commit of the room
   * with the result (`CheckpointBatch.epoch`): once another process acquires the room, this
   * process's fenced writes are refused with StaleOwnerError. Pass the room registry's epoch as
   * `atLeast` so the stored epoch never falls behind the registry's. Concurrent acquires get
   * distinct epochs; the later one owns the room.
   *
   * @example
   * const epoch = await storage.acquireRoom('lobby', claim.epoch);
   * const saved = await storage.loadRoom('lobby');
   * await storage.writeCheckpoint({ code: 'lobby', epoch, upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: Date.now() });
   */
  acquireRoom(code: string, atLeast?: number): Promise<number>;
  /** Deletes a room with its entities and players (and its owner epoch: fenced writes to it are refused). */
  deleteRoom(code: string): Promise<void>;
  /**
   * Critical transaction with an idempotency key: runs fn inside a DB transaction together with
   * recording the key; commits before resolving. If the key was already committed, fn is NOT run
   * again and the stored result is returned with replayed: true. Concurrent calls with the same
   * key: exactly one applies. If fn throws, nothing it wrote is kept and the key stays unused.
   * Results must be JSON-serialisable; the result is always returned as its JSON round trip,
   * so the first call and a replay see the same value.
   *
   * @example
   * const { result, replayed } = await storage.transact(`buy:${userId}:${requestId}`, async (tx) => {
   *   await storage.players.adjustBalance(characterId, 'gold', -100, tx);
   *   return { uid: await storage.players.addItem(characterId, 'sword', 1, 'inventory', 3, tx) };
   * });
   */
  transact<T>(key: string, fn: (tx: Transaction<Database>) => Promise<T>, options?: TransactOptions): Promise<TransactionOutcome<T>>;
  /** Whether a transaction with this key has committed (a retried action can be answered without running it). */
  isCommitted(key: string): Promise<boolean>;
  /**
   * The result recorded by the transaction that committed this key (its JSON round trip), or
   * undefined if none has: what a retry answers with, without running anything again.
   *
   * @example
   * const earlier = await storage.committedResult<{ uid: string }>(`buy:${userId}:${requestId}`);
   * if (earlier) return earlier.result; // bought before: answer the same
   */
  committedResult<T = unknown>(key: string): Promise<{ result: T } | undefined>;
  readonly players: PlayerStore;
  /** Sessions (lobby, rounds, results) of the server's session rooms; see docs/sessions.md. */
  readonly sessions: SessionStore;
  /** Closes the connection(s). Further calls fail; a second close does nothing. */
  close(): Promise<void>;
}

/** Builds the storage over an opened, not necessarily migrated, database. */
export function createStorage(ctx: StorageContext): Storage {
  let closed: Promise<void> | undefined;
  return {
    kind: ctx.kind,
    tablePrefix: ctx.naming.prefix,
    db: ctx.db,
    migrate: () => runMigrations(ctx),
    loadRoom: (code) => loadRoom(ctx, code),
    listRooms: () => listRooms(ctx),
    writeCheckpoint: (batch) => writeCheckpoint(ctx, batch),
    acquireRoom: (code, atLeast) => acquireRoom(ctx, code, atLeast),
    deleteRoom: (code) => deleteRoom(ctx, code),
    transact: (key, fn, options) => transact(ctx, key, fn, options),
    isCommitted: (key) => isCommitted(ctx, key),
    committedResult: (key) => committedResult(ctx, key),
    players: createPlayerStore(ctx),
    sessions: createSessionStore(ctx),
    close: () => (closed ??= ctx.db.destroy()),
  };
}
