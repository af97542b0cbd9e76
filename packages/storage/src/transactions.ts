/**
 * Critical transactions with idempotency keys: the way to make "take 100 gold, give the sword"
 * happen exactly once even when the request is retried, the server crashes mid-way, or two
 * servers race on the same request.
 *
 * The key row is inserted first, with ON CONFLICT DO NOTHING, inside the same transaction as the
 * caller's writes, and the result is recorded before commit. A concurrent transaction with the
 * same key blocks on that insert (PostgreSQL waits for the other transaction; SQLite
 * transactions are serialised by BEGIN IMMEDIATE and the single connection) and then finds the
 * key committed, so it applies nothing and replays the stored result. If `fn` throws, the
 * transaction rolls back and takes the key with it: a retry runs `fn` again. A fenced checkpoint
 * (one with an owner epoch) is checked right after the key is claimed, before `fn` runs: a stale
 * owner's transaction fails with StaleOwnerError and leaves the key unused.
 */
import type { Transaction } from 'kysely';
import type { StorageContext } from './context.js';
import { StorageError } from './errors.js';
import { fromJson, toJson } from './json.js';
import { prepareCheckpoint, type CheckpointBatch } from './rooms.js';
import type { Database } from './schema.js';

/** What {@link transact} resolved with: the result, and whether it was a replay of an earlier commit. */
export interface TransactionOutcome<T> {
  result: T;
  replayed: boolean;
}

function decode<T>(text: string | null): T {
  // The stored text is what the committed fn returned, serialised; T is its type.
  return (text === null ? undefined : fromJson(text)) as T;
}

async function storedResult(ctx: StorageContext, key: string): Promise<{ result: string | null } | undefined> {
  return ctx.db.selectFrom('idempotency_keys').select('result').where('key', '=', key).executeTakeFirst();
}

/**
 * Runs `fn` in a transaction together with recording `key`, exactly once per key; see
 * `Storage.transact`.
 */
export interface TransactOptions {
  /**
   * A room checkpoint to write in the same database transaction: the state a critical action
   * produced commits together with its key, or not at all.
   */
  checkpoint?: CheckpointBatch;
}

/** Whether a transaction with this key has committed. */
export async function isCommitted(ctx: StorageContext, key: string): Promise<boolean> {
  return (await storedResult(ctx, key)) !== undefined;
}

/** The result a committed transaction with this key recorded, or undefined if none committed. */
export async function committedResult<T>(ctx: StorageContext, key: string): Promise<{ result: T } | undefined> {
  const row = await storedResult(ctx, key);
  return row && { result: decode<T>(row.result) };
}

export async function transact<T>(
  ctx: StorageContext,
  key: string,
  fn: (tx: Transaction<Database>) => Promise<T>,
  options: TransactOptions = {},
): Promise<TransactionOutcome<T>> {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StorageError('INVALID_ARGUMENT', 'transact needs a non-empty idempotency key: derive it from the request (for example `buy:${userId}:${requestId}`)');
  }
  const earlier = await storedResult(ctx, key);
  if (earlier) return { result: decode<T>(earlier.result), replayed: true };
  const checkpoint = options.checkpoint ? prepareCheckpoint(options.checkpoint) : undefined;

  const committed = await ctx.db.transaction().execute(async (tx) => {
    const claimed = await tx
      .insertInto('idempotency_keys')
      .values({ key, result: null, created_at: ctx.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) return undefined; // another call committed this key while we waited
    if (checkpoint) await checkpoint.fence(tx);
    const result = await fn(tx);
    if (checkpoint) await checkpoint.write(tx);
    const text = result === undefined ? null : toJson(result, `the result of transaction ${key}`);
    await tx.updateTable('idempotency_keys').set({ result: text }).where('key', '=', key).execute();
    return { text };
  });
  if (committed) return { result: decode<T>(committed.text), replayed: false };

  const winner = await storedResult(ctx, key);
  if (!winner) {
    // Unreachable unless the key row was deleted between the two statements (pruning).
    throw new StorageError('NOT_FOUND', `transaction ${key} was committed by another call but its key is gone; retry with the same key`);
  }
  return { result: decode<T>(winner.result), replayed: true };
}
