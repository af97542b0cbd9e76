/**
 * One room's write-behind queue: what the runtime needs from a database, and the single writer
 * that hands it checkpoints and critical commits in the order they were made.
 *
 * The tick never waits on it. A checkpoint waiting behind a slow write absorbs the next ones, so
 * a stalled database costs a bounded amount of memory and shows up as queue depth, not as late
 * ticks. A failed write hands its rows back to the room (to be collected again) and the writer
 * backs off on the room's clock before the next one, so a database that is down is not hammered
 * every tick, and tests step through the back-off instead of sleeping.
 */
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
}

/**
 * What the runtime needs from a database; @tickwire/storage's `openStorage()` provides it for
 * SQLite and PostgreSQL. The runtime never imports an adapter.
 */
export interface RoomStore {
  loadRoom(code: string): Promise<StoredRoom | undefined>;
  listRooms?(): Promise<{ code: string }[]>;
  writeCheckpoint(batch: CheckpointBatch): Promise<void>;
  /**
   * Runs `fn` and writes the checkpoint together with `key`, in one transaction, exactly once per
   * key; a key already committed runs nothing and answers the stored result (`replayed: true`).
   * The result is always its JSON round trip.
   */
  transact<T>(key: string, fn: (tx: unknown) => Promise<T>, options?: { checkpoint?: CheckpointBatch }): Promise<{ result: T; replayed: boolean }>;
  /** The result recorded with a committed key (its JSON round trip), or undefined if none committed. */
  committedResult<T>(key: string): Promise<{ result: T } | undefined>;
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
}

type Job<M> =
  | { kind: 'checkpoint'; batch: CheckpointBatch; marks: M[] }
  | {
      kind: 'commit';
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

  /** Queues a checkpoint, folded into one still waiting (later rows win). */
  checkpoint(batch: CheckpointBatch, marks: M[]): void {
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
   * committed before (`replayed`, and these rows were handed back).
   */
  commit<T>(key: string, result: T, batch: CheckpointBatch, marks: M[]): Promise<{ result: T; replayed: boolean }> {
    return new Promise((resolve, reject) => {
      const write = async () => {
        const outcome = await this.store.transact<T>(key, async () => result, { checkpoint: batch });
        return { replayed: outcome.replayed, answer: () => resolve(outcome) };
      };
      this.push({ kind: 'commit', batch, marks, write, fail: reject });
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
  into.at = next.at;
}
