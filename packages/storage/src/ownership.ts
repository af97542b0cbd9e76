/**
 * Room ownership in the database: the fencing token that keeps a paused old owner of a room from
 * overwriting the new one.
 *
 * A room registry (lease + epoch) decides which process runs a room, but registries can forget
 * (an in-memory one restarts at epoch 1, a Redis one may be flushed), so the token every write is
 * checked against lives here, beside the data it guards: the room row's `owner_epoch`. A process
 * that starts running a room acquires it, which raises the stored epoch past every earlier
 * owner's, and stamps each checkpoint and critical commit with the epoch it got. A fenced write
 * first checks, inside its own transaction and under the room row's write lock, that the stored
 * epoch is still its own; otherwise it writes nothing and throws StaleOwnerError.
 *
 * Why this is safe on both databases: acquiring and fencing both write the room row. On SQLite
 * every write transaction holds the database's write lock (BEGIN IMMEDIATE). On PostgreSQL the
 * row lock orders them: an acquire waits for a fenced write in flight and then raises the epoch
 * (so the new owner, which loads after acquiring, sees that write), and a fenced write that waited
 * for an acquire re-reads the row and finds the epoch changed.
 */
import { sql, type Transaction } from 'kysely';
import type { StorageContext } from './context.js';
import { StaleOwnerError, StorageError } from './errors.js';
import type { Database } from './schema.js';

function checkEpoch(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new StorageError('INVALID_ARGUMENT', `${what} must be a whole number of at least ${min} (a room registry's epoch, or the one acquireRoom returned), got ${String(value)}`);
  }
  return value;
}

/** Checks a batch's fencing epoch (when it has one) before anything is written. */
export function checkBatchEpoch(epoch: unknown, code: string): number | undefined {
  return epoch === undefined ? undefined : checkEpoch(epoch, `the epoch of a checkpoint of room ${code}`, 1);
}

/**
 * Raises the room's owner epoch to `max(stored + 1, atLeast)` in one statement (creating the room
 * row, empty, if there is none) and returns it. Two processes acquiring at once get distinct
 * epochs; the later one holds the room.
 */
export async function acquireRoom(ctx: StorageContext, code: string, atLeast = 0): Promise<number> {
  if (typeof code !== 'string' || code.length === 0) {
    throw new StorageError('INVALID_ARGUMENT', `acquireRoom needs the room code, a non-empty string, got ${JSON.stringify(code) ?? String(code)}`);
  }
  const floor = checkEpoch(atLeast, `acquireRoom's atLeast for room ${code}`, 0);
  const row = await ctx.db
    .insertInto('rooms')
    .values({ code, meta: null, checkpoint_at: null, owner_epoch: Math.max(1, floor) })
    .onConflict((oc) =>
      oc.column('code').doUpdateSet((eb) => {
        // Qualified: PostgreSQL finds a bare owner_epoch ambiguous next to `excluded`.
        const stored = eb.ref('rooms.owner_epoch');
        return { owner_epoch: sql<number>`case when ${stored} + 1 < ${floor} then ${floor} else ${stored} + 1 end` };
      }),
    )
    .returning('owner_epoch')
    .executeTakeFirstOrThrow();
  return Number(row.owner_epoch);
}

/**
 * Inside a write's transaction: takes the room row's write lock and checks that its owner epoch
 * is still `epoch`. Throws StaleOwnerError otherwise (the caller's transaction then rolls back).
 */
export async function fenceRoom(tx: Transaction<Database>, code: string, epoch: number): Promise<void> {
  // A write of the row as it is: the same lock and re-check an UPDATE always gets, with no
  // FOR UPDATE (which SQLite lacks).
  const locked = await tx
    .updateTable('rooms')
    .set((eb) => ({ owner_epoch: eb.ref('owner_epoch') }))
    .where('code', '=', code)
    .where('owner_epoch', '=', epoch)
    .executeTakeFirst();
  if (Number(locked.numUpdatedRows) === 1) return;
  const stored = await tx.selectFrom('rooms').select('owner_epoch').where('code', '=', code).executeTakeFirst();
  throw new StaleOwnerError(code, epoch, stored ? Number(stored.owner_epoch) : null);
}
