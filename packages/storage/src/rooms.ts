/**
 * Room checkpoints: a room's metadata, its durable entities and its players' checkpoints.
 *
 * The room runtime keeps its state in memory and writes what changed every so often (and on
 * dispose); one checkpoint batch is one transaction, so after a crash a room comes back exactly
 * as of its last committed checkpoint, never as half of one. Everything a batch stores is
 * serialised before the transaction starts, so an unstorable value fails the batch up front.
 * A batch may be fenced (it carries its writer's owner epoch, see ownership.ts): then it is
 * written only while that epoch is still the room's.
 */
import type { Transaction } from 'kysely';
import type { StorageContext } from './context.js';
import type { Database } from './schema.js';
import { StorageError } from './errors.js';
import { fromJson, toJson } from './json.js';
import { checkBatchEpoch, fenceRoom } from './ownership.js';

/** A durable entity of a room. `data` must be JSON-serialisable. */
export interface DurableEntityRow {
  key: string;
  type: string;
  data: unknown;
}

/** A player's checkpoint inside a room. `data` must be JSON-serialisable. */
export interface PlayerCheckpointRow {
  userId: string;
  data: unknown;
}

/** Everything stored for a room, as of its last checkpoint. */
export interface RoomRecord {
  code: string;
  /** The stored metadata, null if none was ever given. */
  meta: unknown;
  /** Ordered by key (string order, the same on both databases). */
  entities: DurableEntityRow[];
  /** Ordered by user id (string order). */
  players: PlayerCheckpointRow[];
  /** Epoch ms of the last checkpoint, null if none was written. */
  checkpointAt: number | null;
}

/** A room in {@link listRooms}' summary. */
export interface RoomSummary {
  code: string;
  checkpointAt: number | null;
  entities: number;
  players: number;
}

/**
 * What changed in a room since its last checkpoint. Deletes are applied before upserts, so a key
 * in both lists ends up stored with the upserted value.
 */
export interface CheckpointBatch {
  code: string;
  /** Room metadata to store, if given; otherwise the stored metadata is kept. */
  meta?: unknown;
  upsertEntities: DurableEntityRow[];
  /** Entity keys. */
  deleteEntities: string[];
  upsertPlayers: PlayerCheckpointRow[];
  /** Epoch ms of this checkpoint. */
  at: number;
  /**
   * The writer's owner epoch, from `Storage.acquireRoom`. When given, the batch is written only
   * if it is still the room's stored owner epoch; otherwise nothing is written and
   * StaleOwnerError is thrown. Without it the batch is unfenced: written whoever owns the room.
   */
  epoch?: number;
}

/** A batch ready to write inside a transaction: `fence` (first) checks ownership, `write` stores it. */
export interface PreparedCheckpoint {
  fence(tx: Transaction<Database>): Promise<void>;
  write(tx: Transaction<Database>): Promise<void>;
}

// Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

// Sorted here rather than by ORDER BY, whose order follows the PostgreSQL database's collation:
// both adapters must return the same order.
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StorageError('INVALID_ARGUMENT', `${what} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

/** Loads a room as of its last checkpoint, or undefined if it was never stored. */
export async function loadRoom(ctx: StorageContext, code: string): Promise<RoomRecord | undefined> {
  // One read transaction, so the room, its entities and its players are one consistent snapshot
  // even while a checkpoint is being written.
  let builder = ctx.db.transaction().setAccessMode('read only');
  if (ctx.kind === 'postgres') builder = builder.setIsolationLevel('repeatable read');
  return builder.execute(async (tx) => {
    const room = await tx.selectFrom('rooms').select(['code', 'meta', 'checkpoint_at']).where('code', '=', code).executeTakeFirst();
    if (!room) return undefined;
    const entities = await tx.selectFrom('room_entities').select(['key', 'type', 'data']).where('room_code', '=', code).execute();
    const players = await tx.selectFrom('room_players').select(['user_id', 'data']).where('room_code', '=', code).execute();
    return {
      code: room.code,
      meta: room.meta === null ? null : fromJson(room.meta),
      entities: entities.sort((a, b) => byString(a.key, b.key)).map((e) => ({ key: e.key, type: e.type, data: fromJson(e.data) })),
      players: players.sort((a, b) => byString(a.user_id, b.user_id)).map((p) => ({ userId: p.user_id, data: fromJson(p.data) })),
      checkpointAt: room.checkpoint_at === null ? null : Number(room.checkpoint_at),
    };
  });
}

/** Every stored room with its entity and player counts, ordered by code. */
export async function listRooms(ctx: StorageContext): Promise<RoomSummary[]> {
  const rows = await ctx.db
    .selectFrom('rooms')
    .select((eb) => [
      'rooms.code',
      'rooms.checkpoint_at',
      eb.selectFrom('room_entities').select(eb.fn.countAll().as('n')).whereRef('room_entities.room_code', '=', 'rooms.code').as('entities'),
      eb.selectFrom('room_players').select(eb.fn.countAll().as('n')).whereRef('room_players.room_code', '=', 'rooms.code').as('players'),
    ])
    .execute();
  return rows.sort((a, b) => byString(a.code, b.code)).map((r) => ({
    code: r.code,
    checkpointAt: r.checkpoint_at === null ? null : Number(r.checkpoint_at),
    entities: Number(r.entities ?? 0),
    players: Number(r.players ?? 0),
  }));
}

/** Writes a checkpoint batch in one transaction (all of it or none of it). */
export async function writeCheckpoint(ctx: StorageContext, batch: CheckpointBatch): Promise<void> {
  const prepared = prepareCheckpoint(batch);
  await ctx.db.transaction().execute(async (tx) => {
    await prepared.fence(tx);
    await prepared.write(tx);
  });
}

/**
 * Validates and serialises a batch up front (a value that cannot be stored fails before
 * anything is written) and returns the writes, to run inside a transaction: the checkpoint's
 * own, or a critical transaction's, so the two commit together. Run `fence` before anything else
 * in that transaction: a stale owner then fails before doing any work, and holds the room row
 * from there to commit, so an acquire cannot slip in between.
 */
export function prepareCheckpoint(batch: CheckpointBatch): PreparedCheckpoint {
  const code = nonEmpty(batch.code, 'checkpoint code');
  if (!Number.isSafeInteger(batch.at)) throw new StorageError('INVALID_ARGUMENT', `a checkpoint's at must be whole epoch milliseconds, got ${batch.at}`);
  const epoch = checkBatchEpoch(batch.epoch, code);
  // Serialise everything first: a value that cannot be stored fails before anything is written.
  const meta = batch.meta !== undefined ? toJson(batch.meta, `room ${code} meta`) : undefined;
  const entities = new Map<string, { room_code: string; key: string; type: string; data: string }>();
  for (const e of batch.upsertEntities) {
    // Last one wins, as if the rows were applied in order (one statement may not touch a row twice).
    entities.set(e.key, { room_code: code, key: e.key, type: e.type, data: toJson(e.data, `entity ${e.key} in room ${code}`) });
  }
  const players = new Map<string, { room_code: string; user_id: string; data: string }>();
  for (const p of batch.upsertPlayers) {
    players.set(p.userId, { room_code: code, user_id: p.userId, data: toJson(p.data, `player ${p.userId} in room ${code}`) });
  }
  const deletes = [...new Set(batch.deleteEntities)];

  const fence = async (tx: Transaction<Database>) => {
    if (epoch !== undefined) await fenceRoom(tx, code, epoch);
  };
  const write = async (tx: Transaction<Database>) => {
    await tx
      .insertInto('rooms')
      .values({ code, meta: meta ?? null, checkpoint_at: batch.at })
      .onConflict((oc) =>
        oc.column('code').doUpdateSet(meta === undefined ? { checkpoint_at: batch.at } : { checkpoint_at: batch.at, meta }),
      )
      .execute();
    for (const keys of chunks(deletes)) {
      await tx.deleteFrom('room_entities').where('room_code', '=', code).where('key', 'in', keys).execute();
    }
    for (const rows of chunks([...entities.values()])) {
      await tx
        .insertInto('room_entities')
        .values(rows)
        .onConflict((oc) => oc.columns(['room_code', 'key']).doUpdateSet((eb) => ({ type: eb.ref('excluded.type'), data: eb.ref('excluded.data') })))
        .execute();
    }
    for (const rows of chunks([...players.values()])) {
      await tx
        .insertInto('room_players')
        .values(rows)
        .onConflict((oc) => oc.columns(['room_code', 'user_id']).doUpdateSet((eb) => ({ data: eb.ref('excluded.data') })))
        .execute();
    }
  };
  return { fence, write };
}

/** Deletes a room and everything stored for it. Deleting an unknown room does nothing. */
export async function deleteRoom(ctx: StorageContext, code: string): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('room_entities').where('room_code', '=', code).execute();
    await tx.deleteFrom('room_players').where('room_code', '=', code).execute();
    await tx.deleteFrom('rooms').where('code', '=', code).execute();
  });
}

