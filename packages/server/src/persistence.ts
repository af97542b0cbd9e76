/**
 * A room's durable state: what is saved, when, and how it comes back.
 *
 * The room definition says which entity types are durable and how to save and load a player
 * and the room's own data. Everything else (projectiles, previews, per-tick state) is
 * ephemeral. Every `checkpointMs` (and soon after a join or leave) the room collects what
 * changed and hands it to a write-behind queue; the tick never waits on the database. The queue
 * is one writer per room: checkpoints and critical commits are written in the order they were
 * made, and a checkpoint waiting behind a slow write absorbs the next ones, so a stalled
 * database costs a bounded amount of memory and shows up as queue depth, not as a late tick.
 *
 * A critical commit (`room.persist.commit(key)`) writes everything changed so far together with
 * an idempotency key in one database transaction, and resolves once it has committed: a command
 * handler that awaits it answers the client only when its effect is durable (an output gate).
 */
import { randomBytes } from '@tickwire/protocol';
import type { Logger } from 'pino';
import type { AnyEntity } from './entity-store.js';
import { recordOf } from './entity-store.js';
import type { Room } from './room.js';
import type { RoomClient } from './room-client.js';

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
  transact<T>(key: string, fn: (tx: unknown) => Promise<T>, options?: { checkpoint?: CheckpointBatch }): Promise<{ result: T; replayed: boolean }>;
  isCommitted(key: string): Promise<boolean>;
}

/** The persistence part of a room definition. */
export interface PersistenceDefinition<R> {
  /** Entity types whose entities are stored and rebuilt after a restart. */
  durable?: readonly string[];
  /** A player's durable data (position, health, resources...), keyed by user id. */
  player?: {
    save(room: R, client: RoomClient): unknown;
    /** Called after onJoin when the player has stored data. */
    load(room: R, client: RoomClient, data: unknown): void;
  };
  /** The room's own durable data. */
  meta?: {
    save(room: R): unknown;
    load(room: R, meta: unknown): void;
  };
  /** Rebuilds a durable entity from its row (default: create it from the stored components). */
  restore?(room: R, row: DurableEntityRow): AnyEntity | void;
  /** Checkpoint period (default 1000 ms). */
  checkpointMs?: number;
}

export interface PersistenceStats {
  queueDepth(room: string, depth: number): void;
  checkpointWritten(ms: number, rows: number): void;
  checkpointFailed(): void;
}

type Job =
  | { kind: 'checkpoint'; batch: CheckpointBatch; marks: Mark[] }
  | { kind: 'commit'; key: string; batch: CheckpointBatch; marks: Mark[]; done: (replayed: boolean) => void; fail: (err: unknown) => void };

/** What a batch claims was saved, to undo if its write fails. */
type Mark =
  | { kind: 'entity'; key: string; json: string | undefined }
  | { kind: 'delete'; key: string; json: string | undefined }
  | { kind: 'player'; userId: string; json: string | undefined }
  | { kind: 'meta'; json: string | undefined };

function newKey(type: string): string {
  return `${type}-${Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export class RoomPersistence {
  /** Durable entity id -> stored key. */
  private readonly keys = new Map<number, string>();
  /** What was last handed to the writer, as JSON, to write only what changed. */
  private readonly savedEntities = new Map<string, string>();
  private readonly savedPlayers = new Map<string, string>();
  private savedMeta: string | undefined;
  /** Deletes whose write failed, to send again. */
  private readonly pendingDeletes = new Set<string>();
  /** Stored player data waiting for its player to join. */
  private readonly storedPlayers = new Map<string, unknown>();
  /** Data of players who left since the last batch (taken before game code removed their entity). */
  private readonly leavingPlayers = new Map<string, string | undefined>();
  private readonly queue: Job[] = [];
  private writing = false;
  private readonly inFlight = new Set<string>();
  private readonly durable: ReadonlySet<string>;
  readonly checkpointMs: number;
  private lastCheckpoint: number;
  private flushSoon = false;
  /** Epoch ms of the last checkpoint committed (null: never). */
  lastCommittedAt: number | null = null;
  private idle: Promise<void> = Promise.resolve();
  private resolveIdle: (() => void) | null = null;

  constructor(
    private readonly room: Room,
    private readonly store: RoomStore,
    private readonly def: PersistenceDefinition<Room>,
    private readonly logger: Logger,
    private readonly stats: PersistenceStats,
    private readonly wallClock: () => number = Date.now,
  ) {
    this.durable = new Set(def.durable ?? []);
    this.checkpointMs = def.checkpointMs ?? 1000;
    this.lastCheckpoint = room.time * 1000;
  }

  /** Rebuilds the room from its last checkpoint. Runs before the room takes its first client. */
  async hydrate(): Promise<void> {
    const stored = await this.store.loadRoom(this.room.code);
    if (!stored) return;
    this.lastCommittedAt = stored.checkpointAt;
    for (const row of stored.entities) {
      let entity: AnyEntity | void;
      try {
        entity = this.def.restore ? this.def.restore(this.room, row) : this.room.entities.create(row.type, row.data as never);
      } catch (err) {
        this.logger.error({ err, key: row.key, type: row.type }, 'could not restore a durable entity; it is skipped');
        continue;
      }
      if (!entity) continue;
      this.keys.set(entity.id, row.key);
      this.savedEntities.set(row.key, JSON.stringify(this.entityData(entity)));
    }
    for (const p of stored.players) {
      this.storedPlayers.set(p.userId, p.data);
      this.savedPlayers.set(p.userId, JSON.stringify(p.data));
    }
    if (stored.meta !== null && stored.meta !== undefined && this.def.meta) {
      this.def.meta.load(this.room, stored.meta);
      this.savedMeta = JSON.stringify(stored.meta);
    }
    this.logger.info({ entities: stored.entities.length, players: stored.players.length, checkpointAt: stored.checkpointAt }, 'room hydrated');
  }

  /** A player joined: restore their stored data, if any. */
  joined(client: RoomClient): void {
    const data = this.storedPlayers.get(client.identity.userId);
    if (data !== undefined && this.def.player) {
      this.storedPlayers.delete(client.identity.userId);
      this.def.player.load(this.room, client, data);
    }
    this.flushSoon = true;
  }

  /** A player is leaving: take their data now, before game code removes their entity. */
  leaving(client: RoomClient): void {
    const json = this.playerJson(client);
    if (json !== undefined && json !== this.savedPlayers.get(client.identity.userId)) this.storedPlayers.set(client.identity.userId, JSON.parse(json));
    this.leavingPlayers.set(client.identity.userId, json);
    this.flushSoon = true;
  }

  /** Called by the room every tick; collects a checkpoint when one is due. Never waits. */
  tick(nowMs: number): void {
    if (!this.flushSoon && nowMs - this.lastCheckpoint < this.checkpointMs) return;
    this.lastCheckpoint = nowMs;
    this.checkpointNow();
  }

  /** Queues whatever changed since the last batch (nothing, if nothing did). */
  private checkpointNow(): void {
    this.flushSoon = false;
    const { batch, marks } = this.collect();
    if (batch.upsertEntities.length === 0 && batch.deleteEntities.length === 0 && batch.upsertPlayers.length === 0 && batch.meta === undefined) return;
    this.enqueue({ kind: 'checkpoint', batch, marks });
  }

  /**
   * Writes everything changed so far together with `key`, in one database transaction, and
   * resolves when it has committed. If the key had already committed (a retry), nothing is
   * written and it resolves with `replayed: true`.
   *
   * @example
   * async deposit(room, client, { txid, amount }) {
   *   const key = `deposit:${client.identity.userId}:${txid}`;
   *   if (await room.persist!.isCommitted(key)) return; // done before: just say ok
   *   client.data.gold += amount;                       // apply in memory
   *   await room.persist!.commit(key);                  // durable before the client hears ok
   * }
   */
  commit(key: string): Promise<{ replayed: boolean }> {
    const { batch, marks } = this.collect();
    this.inFlight.add(key);
    return new Promise((resolve, reject) => {
      this.enqueue({
        kind: 'commit',
        key,
        batch,
        marks,
        done: (replayed) => {
          this.inFlight.delete(key);
          resolve({ replayed });
        },
        fail: (err) => {
          this.inFlight.delete(key);
          reject(err);
        },
      });
    });
  }

  /** Whether a commit with this key has committed, or is on its way. */
  async isCommitted(key: string): Promise<boolean> {
    if (this.inFlight.has(key)) return true;
    return this.store.isCommitted(key);
  }

  /** Jobs waiting or being written. */
  get queueDepth(): number {
    return this.queue.length + (this.writing ? 1 : 0);
  }

  /** Counts of stored durable entities by type. */
  durableCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of this.keys.keys()) {
      const e = this.room.entities.get(id);
      if (e) out[e.type] = (out[e.type] ?? 0) + 1;
    }
    return out;
  }

  /** Writes a final checkpoint and waits for the queue to drain. */
  async flush(): Promise<void> {
    this.checkpointNow();
    await this.idle;
  }

  private entityData(e: AnyEntity): Record<string, unknown> {
    const { id: _id, type: _type, ...components } = (e as unknown as { toJSON(): Record<string, unknown> }).toJSON();
    return components;
  }

  private playerJson(client: RoomClient): string | undefined {
    if (!this.def.player) return undefined;
    try {
      const data = this.def.player.save(this.room, client);
      return data === undefined ? undefined : JSON.stringify(data);
    } catch (err) {
      this.logger.error({ err, user: client.identity.userId }, 'player save() threw');
      return undefined;
    }
  }

  /** What changed since the last batch, as a batch, with marks to undo if it is not written. */
  private collect(): { batch: CheckpointBatch; marks: Mark[] } {
    const marks: Mark[] = [];
    const upsertEntities: DurableEntityRow[] = [];
    const deleteEntities: string[] = [];
    const upsertPlayers: PlayerCheckpointRow[] = [];
    if (this.durable.size > 0) {
      for (const e of this.room.entities.all()) {
        if (!this.durable.has(e.type)) continue;
        let key = this.keys.get(e.id);
        if (!key) this.keys.set(e.id, (key = newKey(e.type)));
        const json = JSON.stringify(this.entityData(e));
        if (json === this.savedEntities.get(key)) continue;
        marks.push({ kind: 'entity', key, json: this.savedEntities.get(key) });
        this.savedEntities.set(key, json);
        upsertEntities.push({ key, type: e.type, data: JSON.parse(json) as unknown });
      }
      for (const [id, key] of this.keys) {
        if (this.room.entities.has(id) && recordOf(this.room.entities.get(id)!).alive) continue;
        this.keys.delete(id);
        marks.push({ kind: 'delete', key, json: this.savedEntities.get(key) });
        this.savedEntities.delete(key);
        deleteEntities.push(key);
      }
    }
    for (const key of this.pendingDeletes) {
      marks.push({ kind: 'delete', key, json: undefined });
      deleteEntities.push(key);
    }
    this.pendingDeletes.clear();
    const players = new Map<string, string | undefined>(this.leavingPlayers);
    this.leavingPlayers.clear();
    for (const c of this.room.clients.values()) players.set(c.identity.userId, this.playerJson(c));
    for (const [userId, json] of players) {
      if (json === undefined || json === this.savedPlayers.get(userId)) continue;
      marks.push({ kind: 'player', userId, json: this.savedPlayers.get(userId) });
      this.savedPlayers.set(userId, json);
      upsertPlayers.push({ userId, data: JSON.parse(json) as unknown });
    }
    let meta: unknown;
    if (this.def.meta) {
      const json = JSON.stringify(this.def.meta.save(this.room) ?? null);
      if (json !== this.savedMeta) {
        marks.push({ kind: 'meta', json: this.savedMeta });
        this.savedMeta = json;
        meta = JSON.parse(json);
      }
    }
    const batch: CheckpointBatch = { code: this.room.code, upsertEntities, deleteEntities, upsertPlayers, at: this.wallClock() };
    if (meta !== undefined) batch.meta = meta;
    return { batch, marks };
  }

  private enqueue(job: Job): void {
    const last = this.queue.at(-1);
    if (job.kind === 'checkpoint' && last?.kind === 'checkpoint') {
      // Still waiting: fold this one into it (later rows win), so the queue does not grow.
      merge(last.batch, job.batch);
      last.marks.push(...job.marks);
    } else {
      this.queue.push(job);
    }
    this.stats.queueDepth(this.room.code, this.queueDepth);
    if (!this.writing) this.idle = new Promise((r) => (this.resolveIdle = r));
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.queue.length > 0) {
      const job = this.queue.shift()!;
      const started = performance.now();
      try {
        if (job.kind === 'checkpoint') {
          await this.store.writeCheckpoint(job.batch);
        } else {
          const { replayed } = await this.store.transact(job.key, async () => undefined, { checkpoint: job.batch });
          if (replayed) this.undo(job.marks); // nothing was written: these changes still need saving
          job.done(replayed);
        }
        this.lastCommittedAt = job.batch.at;
        this.stats.checkpointWritten(performance.now() - started, job.batch.upsertEntities.length + job.batch.deleteEntities.length + job.batch.upsertPlayers.length);
      } catch (err) {
        this.stats.checkpointFailed();
        this.logger.error({ err, room: this.room.code }, 'writing a checkpoint failed; its changes will be written with the next one');
        this.undo(job.marks);
        if (job.kind === 'commit') job.fail(err);
        // Back off a little so a database that is down is not hammered every tick.
        await new Promise((r) => setTimeout(r, 250));
      }
      this.stats.queueDepth(this.room.code, this.queueDepth - 1);
    }
    this.writing = false;
    this.stats.queueDepth(this.room.code, 0);
    this.resolveIdle?.();
  }

  /** Forgets that these rows were saved, so the next checkpoint writes them again. */
  private undo(marks: readonly Mark[]): void {
    for (const m of marks) {
      if (m.kind === 'entity') {
        if (m.json === undefined) this.savedEntities.delete(m.key);
        else this.savedEntities.set(m.key, m.json);
      } else if (m.kind === 'delete') {
        this.pendingDeletes.add(m.key);
      } else if (m.kind === 'player') {
        if (m.json === undefined) this.savedPlayers.delete(m.userId);
        else this.savedPlayers.set(m.userId, m.json);
      } else this.savedMeta = m.json;
    }
    this.flushSoon = true;
  }
}

/** Folds `next` into `into`: later upserts win, deletes and upserts of one key cancel in order. */
function merge(into: CheckpointBatch, next: CheckpointBatch): void {
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
