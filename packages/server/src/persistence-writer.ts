/**
 * One room's write-behind queue: what the runtime needs from a database, and the single writer
 * that hands it checkpoints and critical commits in the order they were made.
 *
 * The tick never waits on it. A checkpoint waiting behind a slow write absorbs the next ones, so
 * a stalled database costs a bounded amount of memory and shows up as queue depth, not as late
 * ticks. A failed write hands its rows back to the room (to be collected again) and the writer
 * backs off on the room's clock before the next one, so a database that is down is not hammered
 * every tick, and tests step through the back-off instead of sleeping.
 *
 * One failure is not retried: a write refused because another process now owns the room (its
 * batches carry an owner epoch the database no longer has, see `RoomStore.acquireRoom`). Retrying
 * cannot succeed and every later write would be refused the same way, so the writer stops
 * writing for the room, fails the critical commits waiting in it and tells the room (fenced).
 */
import type { SessionStore } from './session-store.js';
import type { Clock, TimerHandle } from '@tickwire/protocol';
import type { Logger } from 'pino';

export interface DurableEntityRow {
  key: string;
  type: string;
  data: unknown;
}

export interface PlayerCheckpointRow {
  userId: string;
  data: unknown;
}

export interface StoredRoom {
  code: string;
  meta: unknown;
  entities: DurableEntityRow[];
  players: PlayerCheckpointRow[];
  checkpointAt: number | null;
}

export interface CheckpointBatch {
  code: string;
  meta?: unknown;
  upsertEntities: DurableEntityRow[];
  deleteEntities: string[];
  upsertPlayers: PlayerCheckpointRow[];
  /** Wall-clock epoch ms. */
  at: number;
  /**
   * The room's fencing epoch, from {@link RoomStore.acquireRoom}: the store writes the batch only
   * while that is still the room's owner epoch. Absent: unfenced.
   */
  epoch?: number;
}

/** The stable `code` of the error a store throws when it refuses a write carrying a stale epoch. */
export const STALE_OWNER = 'STALE_OWNER';

/**
 * A store's refusal of a fenced write: another process acquired the room since this one did, and
 * nothing of the write was kept. @tickwire/storage throws its StaleOwnerError; the runtime
 * recognises any error with this code, so it never has to import a storage adapter.
 */
export interface StaleOwner extends Error {
  readonly code: typeof STALE_OWNER;
}

/** Whether `err` is a store's stale-owner refusal (see {@link StaleOwner}). */
export function isStaleOwner(err: unknown): err is StaleOwner {
  return err instanceof Error && 'code' in err && err.code === STALE_OWNER;
}

/**
 * What a critical commit rejects with when the room's writes were fenced off: the change was not
 * committed, and the key is still unused, so the client may retry it with the same key once it
 * has rejoined the room on its new process.
 */
export class OwnershipLostError extends Error implements StaleOwner {
  override readonly name = 'OwnershipLostError';
  readonly code = STALE_OWNER;

  constructor(room: string, key: string, cause: StaleOwner) {
    super(
      `critical change ${key} in room ${room} was not committed, because this process no longer owns the room (${cause.message}); tell the client the room moved: it retries with the same key once it has rejoined`,
      { cause },
    );
  }
}

/**
 * What the runtime needs from a database; @tickwire/storage's `openStorage()` provides it for
 * SQLite and PostgreSQL. The runtime never imports an adapter.
 */
export interface RoomStore {
  loadRoom(code: string): Promise<StoredRoom | undefined>;
  listRooms?(): Promise<{ code: string }[]>;
  /**
   * Makes this process the room's owner in the database: atomically raises the room's stored
   * owner epoch to `max(stored + 1, atLeast)` (creating the room if it is not stored) and returns
   * it. The runtime calls it before loading the room and stamps every batch with the result. A
   * store without it does not fence (two processes could then both write one room).
   */
  acquireRoom?(code: string, atLeast: number): Promise<number>;
  /**
   * Writes a batch in one transaction. A batch with an `epoch` that is no longer the room's
   * stored owner epoch must write nothing and throw an error whose `code` is 'STALE_OWNER'
   * (see {@link StaleOwner}).
   */
  writeCheckpoint(batch: CheckpointBatch): Promise<void>;
  /**
   * Runs `fn` and writes the checkpoint together with `key`, in one transaction, exactly once per
   * key; a key already committed runs nothing and answers the stored result (`replayed: true`).
   * The result is always its JSON round trip. A stale checkpoint epoch fails it as in
   * `writeCheckpoint`, with nothing written and the key left unused.
   */
  transact<T>(key: string, fn: (tx: unknown) => Promise<T>, options?: { checkpoint?: CheckpointBatch }): Promise<{ result: T; replayed: boolean }>;
  /** The result recorded with a committed key (its JSON round trip), or undefined if none committed. */
  committedResult<T>(key: string): Promise<{ result: T } | undefined>;
  /** Where sessions are kept (session-store.ts); a store without it keeps none. */
  readonly sessions?: SessionStore;
}

export interface PersistenceStats {
  queueDepth(room: string, depth: number): void;
  checkpointWritten(ms: number, rows: number): void;
  checkpointFailed(): void;
}

/** How long the writer waits after a failed write before the next one. */
export const RETRY_BACKOFF_MS = 250;

/** What the writer tells the room about a batch. */
export interface WriterEvents<M> {
  /** The batch was not written (failed, or its key had committed before): collect these rows again. */
  unwritten(marks: readonly M[]): void;
  /** A batch committed; `at` is its epoch ms. */
  written(at: number): void;
  /** Another process owns the room now: this writer has stopped writing and writes nothing more. */
  fenced(err: StaleOwner): void;
}

type Job<M> =
  | { kind: 'checkpoint'; batch: CheckpointBatch; marks: M[] }
  | {
      kind: 'commit';
      key: string;
      batch: CheckpointBatch;
      marks: M[];
      /** Writes the batch with its key; says whether the key had committed before, and how to answer. */
      write: () => Promise<{ replayed: boolean; answer: () => void }>;
      fail: (err: unknown) => void;
    };

/** The single writer of one room. `M` is whatever the room needs to take a batch's rows back. */
export class CheckpointWriter<M> {
  private readonly queue: Job<M>[] = [];
  private writing = false;
  private idlePromise: Promise<void> = Promise.resolve();
  private resolveIdle: (() => void) | null = null;
  private backoff: { handle: TimerHandle; end: () => void } | null = null;
  private fencedBy: StaleOwner | null = null;

  constructor(
    private readonly room: string,
    private readonly store: RoomStore,
    private readonly clock: Clock,
    private readonly stats: PersistenceStats,
    private readonly logger: Logger,
    private readonly events: WriterEvents<M>,
  ) {}

  /** Jobs waiting or being written. */
  get depth(): number {
    return this.queue.length + (this.writing ? 1 : 0);
  }

  /** The refusal that stopped this writer, once another process owns the room (null until then). */
  get fenced(): StaleOwner | null {
    return this.fencedBy;
  }

  /** Queues a checkpoint, folded into one still waiting (later rows win). Dropped once fenced. */
  checkpoint(batch: CheckpointBatch, marks: M[]): void {
    if (this.fencedBy) return;
    const last = this.queue.at(-1);
    if (last?.kind === 'checkpoint') {
      merge(last.batch, batch);
      last.marks.push(...marks);
      this.stats.queueDepth(this.room, this.depth);
      return;
    }
    this.push({ kind: 'checkpoint', batch, marks });
  }

  /**
   * Queues `batch` with `key` as one transaction, recording `result` with the key; resolves once
   * it committed with the result's JSON round trip, or with the stored one if the key had
   * committed before (`replayed`, and these rows were handed back). Once fenced, rejects with
   * an {@link OwnershipLostError} and writes nothing.
   */
  commit<T>(key: string, result: T, batch: CheckpointBatch, marks: M[]): Promise<{ result: T; replayed: boolean }> {
    const fenced = this.fencedBy;
    if (fenced) return Promise.reject(new OwnershipLostError(this.room, key, fenced));
    return new Promise((resolve, reject) => {
      const write = async () => {
        const outcome = await this.store.transact<T>(key, async () => result, { checkpoint: batch });
        return { replayed: outcome.replayed, answer: () => resolve(outcome) };
      };
      this.push({ kind: 'commit', key, batch, marks, write, fail: reject });
    });
  }

  /** Resolves when nothing is queued or being written. */
  idle(): Promise<void> {
    return this.idlePromise;
  }

  /** Ends a back-off now (a final flush should not wait for the retry timer). */
  hurry(): void {
    this.backoff?.end();
  }

  private push(job: Job<M>): void {
    this.queue.push(job);
    this.stats.queueDepth(this.room, this.depth);
    if (!this.writing) this.idlePromise = new Promise((r) => (this.resolveIdle = r));
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.queue.length > 0) {
      const job = this.queue.shift()!;
      const started = performance.now();
      try {
        let wrote = true;
        if (job.kind === 'checkpoint') {
          await this.store.writeCheckpoint(job.batch);
        } else {
          const { replayed, answer } = await job.write();
          if (replayed) {
            // The key had committed before: nothing of this batch was written.
            wrote = false;
            this.events.unwritten(job.marks);
          }
          answer();
        }
        if (wrote) {
          this.events.written(job.batch.at);
          this.stats.checkpointWritten(performance.now() - started, job.batch.upsertEntities.length + job.batch.deleteEntities.length + job.batch.upsertPlayers.length);
        }
      } catch (err) {
        this.stats.checkpointFailed();
        if (isStaleOwner(err)) {
          this.stop(err, job);
          break;
        }
        this.logger.error({ err, room: this.room }, 'writing a checkpoint failed; its changes will be written with the next one');
        this.events.unwritten(job.marks);
        if (job.kind === 'commit') job.fail(err);
        await this.backOff();
      }
      this.stats.queueDepth(this.room, this.depth - 1);
    }
    this.writing = false;
    this.stats.queueDepth(this.room, 0);
    this.resolveIdle?.();
  }

  /** Another process owns the room: fail what waits, write nothing more, tell the room. */
  private stop(err: StaleOwner, failed: Job<M>): void {
    this.fencedBy = err;
    this.logger.warn({ err, room: this.room }, 'another process owns this room now: its writes are refused, so this process stops writing them');
    for (const job of [failed, ...this.queue.splice(0)]) {
      if (job.kind === 'commit') job.fail(new OwnershipLostError(this.room, job.key, err));
    }
    try {
      this.events.fenced(err);
    } catch (thrown) {
      this.logger.error({ err: thrown, room: this.room }, 'the room\'s handler of losing its ownership threw');
    }
  }

  private backOff(): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        if (this.backoff) this.clock.clearTimeout(this.backoff.handle);
        this.backoff = null;
        resolve();
      };
      this.backoff = { handle: this.clock.setTimeout(end, RETRY_BACKOFF_MS), end };
    });
  }
}

/** Folds `next` into `into`: later upserts win, deletes and upserts of one key cancel in order. */
export function merge(into: CheckpointBatch, next: CheckpointBatch): void {
  const upserts = new Map(into.upsertEntities.map((e) => [e.key, e]));
  const deletes = new Set(into.deleteEntities);
  for (const key of next.deleteEntities) {
    upserts.delete(key);
    deletes.add(key);
  }
  for (const e of next.upsertEntities) {
    deletes.delete(e.key);
    upserts.set(e.key, e);
  }
  into.upsertEntities = [...upserts.values()];
  into.deleteEntities = [...deletes];
  const players = new Map(into.upsertPlayers.map((p) => [p.userId, p]));
  for (const p of next.upsertPlayers) players.set(p.userId, p);
  into.upsertPlayers = [...players.values()];
  if (next.meta !== undefined) into.meta = next.meta;
  // The later batch's fencing: a room only ever gains an epoch (when it is acquired), never loses one.
  if (next.epoch !== undefined) into.epoch = next.epoch;
  into.at = next.at;
}
