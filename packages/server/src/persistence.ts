/**
 * A room's durable state: what is saved, when, and how it comes back.
 *
 * The room definition says which entity types are durable and how to save and load a player
 * and the room's own data. Everything else (projectiles, previews, per-tick state) is
 * ephemeral. Every `checkpointMs` (and soon after a join or leave) the room collects what
 * changed and hands it to its write-behind queue (persistence-writer.ts); the tick never waits
 * on the database. Collecting costs what changed, not the size of the world: the entity store
 * marks a durable entity when one of its fields is written, or it is created or removed, and a
 * checkpoint walks only the marked ones.
 *
 * A critical transaction (`room.persist.once(key, { apply, undo })`) applies a change exactly
 * once per key: concurrent callers with one key share the first call, a key committed before
 * (even before a restart) applies nothing and answers the first result, and the change is
 * committed together with its key before the caller hears back (an output gate).
 *
 * Every call into game code from here (player and meta save/load, restore, undo) is guarded:
 * a throw is reported to `onFault` and the room goes on.
 *
 * Ownership: before loading the room, `hydrate` acquires it in the store (when the store fences),
 * which gives the room its fencing epoch; every batch carries it. Once another process acquires
 * the room, the store refuses this one's writes: persistence then stops (no more checkpoints,
 * critical transactions reject) and tells the room through `onFenced`, so a paused old owner that
 * wakes up cannot overwrite the new one.
 */
import { randomBytes, type Clock } from '@tickwire/protocol';
import type { Logger } from 'pino';
import { componentValues } from './entity-store.js';
import {
  CheckpointWriter,
  isStaleOwner,
  OwnershipLostError,
  type CheckpointBatch,
  type DurableEntityRow,
  type PersistenceStats,
  type PlayerCheckpointRow,
  type RoomStore,
  type StaleOwner,
} from './persistence-writer.js';
import type { CriticalStep, OnceOutcome, PersistenceDefinition, RoomPersistenceOptions } from './persistence-options.js';
import type { Room } from './room.js';
import type { RoomClient } from './room-client.js';

export type { CheckpointBatch, DurableEntityRow, PersistenceStats, PlayerCheckpointRow, RoomStore, StaleOwner, StoredRoom } from './persistence-writer.js';
export { isStaleOwner, OwnershipLostError, STALE_OWNER } from './persistence-writer.js';
export type { CriticalStep, OnceOutcome, PersistenceDefinition, RoomPersistenceOptions } from './persistence-options.js';

/** What a batch claims was saved, to take back if its write fails. */
type Mark =
  | { kind: 'entity'; id: number; key: string; json: string | undefined }
  | { kind: 'delete'; key: string }
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
  /** Each player's latest data (stored, or taken since), loaded whenever they join. */
  private readonly knownPlayers = new Map<string, string>();
  /** Deletes whose write failed, to send again. */
  private readonly pendingDeletes = new Set<string>();
  /** Data of players who left since the last batch (taken before game code removed their entity). */
  private readonly leavingPlayers = new Map<string, string>();
  /** Critical transactions running, by key: the per-key lock of `once`. */
  private readonly critical = new Map<string, Promise<OnceOutcome<unknown>>>();
  private readonly writer: CheckpointWriter<Mark>;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly onFault: (where: string, err: unknown) => void;
  private readonly ownerEpoch: number;
  private epoch: number | undefined;
  readonly checkpointMs: number;
  private lastCheckpoint: number;
  private flushSoon = false;
  /** Epoch ms of the last checkpoint committed (null: never). */
  lastCommittedAt: number | null = null;

  constructor(
    private readonly room: Room,
    private readonly store: RoomStore,
    private readonly def: PersistenceDefinition<Room>,
    private readonly logger: Logger,
    stats: PersistenceStats,
    options: RoomPersistenceOptions,
  ) {
    this.clock = options.clock;
    const origin = Date.now() - this.clock.now();
    this.wallClock = options.wallClock ?? (() => Math.round(origin + this.clock.now()));
    this.onFault = options.onFault ?? ((where, err) => this.logger.error({ err, room: room.code, hook: where }, `persistence hook ${where} threw; the room goes on`));
    this.ownerEpoch = options.ownerEpoch ?? 0;
    const onFenced =
      options.onFenced ??
      ((err: StaleOwner) => this.logger.error({ err, room: room.code }, `room ${room.code} moved to another process: its writes from here are refused and nothing more is saved; close the room here`));
    this.checkpointMs = def.checkpointMs ?? 1000;
    this.lastCheckpoint = this.clock.now();
    this.writer = new CheckpointWriter<Mark>(room.code, store, this.clock, stats, logger, {
      unwritten: (marks) => this.unwritten(marks),
      written: (at) => (this.lastCommittedAt = at),
      fenced: onFenced,
    });
    room.entities.trackPersistence(def.durable ?? []);
  }

  /** Runs game code behind the guard; `undefined` when it threw. */
  private guard<T>(where: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.onFault(where, err);
      return undefined;
    }
  }

  /**
   * The room's fencing epoch, acquired by `hydrate` (undefined before, and with a store that does
   * not fence): every batch from then on carries it.
   */
  get fencingEpoch(): number | undefined {
    return this.epoch;
  }

  /** The store's refusal once another process owns the room (null while this one does). */
  get fenced(): StaleOwner | null {
    return this.writer.fenced;
  }

  /**
   * Acquires the room in the store (when it fences) and rebuilds the room from its last
   * checkpoint. Runs before the room takes its first client. Acquiring first means the load sees
   * every write of the room's previous owner: any later one is refused.
   */
  async hydrate(): Promise<void> {
    if (this.store.acquireRoom) this.epoch = await this.store.acquireRoom(this.room.code, this.ownerEpoch);
    const stored = await this.store.loadRoom(this.room.code);
    this.room.recorder?.hydrated(stored ?? null);
    if (!stored) return;
    this.lastCommittedAt = stored.checkpointAt;
    const restore = this.def.restore;
    for (const row of stored.entities) {
      const entity = this.guard(`persistence.restore (${row.type} ${row.key})`, () =>
        restore ? restore(this.room, row) : this.room.entities.create(row.type, row.data as never),
      );
      if (!entity) continue;
      const rec = this.room.entities.record(entity.id);
      if (!rec) continue;
      this.keys.set(entity.id, row.key);
      this.savedEntities.set(row.key, JSON.stringify(componentValues(rec)));
    }
    for (const p of stored.players) {
      const json = JSON.stringify(p.data);
      this.knownPlayers.set(p.userId, json);
      this.savedPlayers.set(p.userId, json);
    }
    const meta = this.def.meta;
    if (stored.meta !== null && stored.meta !== undefined && meta) {
      this.guard('persistence.meta.load', () => meta.load(this.room, stored.meta));
      this.savedMeta = JSON.stringify(stored.meta);
    }
    this.logger.info({ entities: stored.entities.length, players: stored.players.length, checkpointAt: stored.checkpointAt }, 'room hydrated');
  }

  /** A player joined: give them their data, stored or kept since they left, if any. */
  joined(client: RoomClient): void {
    const json = this.knownPlayers.get(client.identity.userId);
    const player = this.def.player;
    if (json !== undefined && player) this.guard('persistence.player.load', () => player.load(this.room, client, JSON.parse(json)));
    this.flushSoon = true;
  }

  /** A player is leaving: take their data now, before game code removes their entity. */
  leaving(client: RoomClient): void {
    const json = this.playerJson(client);
    if (json !== undefined) {
      this.knownPlayers.set(client.identity.userId, json);
      this.leavingPlayers.set(client.identity.userId, json);
    }
    this.flushSoon = true;
  }

  /** Called by the room every tick (with its clock's now); collects a checkpoint when one is due. Never waits. */
  tick(nowMs: number): void {
    if (!this.flushSoon && nowMs - this.lastCheckpoint < this.checkpointMs) return;
    this.lastCheckpoint = nowMs;
    this.checkpointNow();
  }

  /** Queues whatever changed since the last batch (nothing, if nothing did, or once fenced). */
  private checkpointNow(): void {
    this.flushSoon = false;
    if (this.writer.fenced) return;
    const { batch, marks } = this.collect();
    if (batch.upsertEntities.length === 0 && batch.deleteEntities.length === 0 && batch.upsertPlayers.length === 0 && batch.meta === undefined) return;
    this.writer.checkpoint(batch, marks);
  }

  /**
   * A critical transaction, exactly once per key: `apply` changes the room in memory, and
   * everything changed so far is committed together with `key` (and `apply`'s result) in one
   * database transaction before this resolves. A key that committed before (a retry, even after
   * a restart) applies nothing and resolves with the first result; a call while another with
   * the same key is running waits for it and resolves with its result. When the commit fails,
   * `undo` runs and this rejects with the error. Once another process owns the room, this rejects
   * with an {@link OwnershipLostError} (without calling `apply`, or after undoing it): the key is
   * left unused for the client to retry on the room's new process. Answer the client only once
   * it resolves.
   *
   * @example
   * async deposit(room, client, { txid, amount }) {
   *   const user = client.identity.userId;
   *   const balances = room.state.balances;
   *   await room.persist?.once(`deposit:${user}:${txid}`, {
   *     apply: () => balances.set(user, (balances.get(user) ?? 0) + amount).get(user),
   *     undo: () => balances.set(user, (balances.get(user) ?? 0) - amount),
   *   });
   * }
   */
  once<T>(key: string, step: CriticalStep<T>): Promise<OnceOutcome<T>> {
    if (typeof key !== 'string' || key.length === 0) {
      return Promise.reject(new TypeError('once() needs a non-empty key: pass the command\'s meta.key, or build one from the request (for example `deposit:${userId}:${txid}`)'));
    }
    const fenced = this.writer.fenced;
    if (fenced) return Promise.reject(new OwnershipLostError(this.room.code, key, fenced));
    const running = this.critical.get(key);
    // Same key, same handler: the running call's result is this call's type.
    if (running) return running.then((o) => ({ result: o.result as T, replayed: true }));
    const run = this.runOnce(key, step);
    this.critical.set(key, run);
    const release = () => void this.critical.delete(key);
    run.then(release, release);
    return run;
  }

  /** Asks storage whether `key` committed; a recording keeps the answer, so a replay hears the same. */
  private async committed<T>(key: string): Promise<{ result: T } | undefined> {
    const recorder = this.room.recorder;
    if (!recorder) return this.store.committedResult<T>(key);
    try {
      const found = await this.store.committedResult<T>(key);
      recorder.checked(key, found ? { found: true, result: found.result } : { found: false });
      return found;
    } catch (err) {
      recorder.checked(key, { found: false, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** Commits a critical change; a recording keeps when it came back and what with. */
  private async commit<T>(key: string, result: T, batch: CheckpointBatch, marks: Mark[]): Promise<{ result: T; replayed: boolean }> {
    try {
      const outcome = await this.writer.commit(key, result, batch, marks);
      this.room.recorder?.committed(key, outcome);
      return outcome;
    } catch (err) {
      this.room.recorder?.committed(key, { error: err });
      throw err;
    }
  }

  private async runOnce<T>(key: string, step: CriticalStep<T>): Promise<OnceOutcome<T>> {
    const earlier = await this.committed<T>(key);
    if (earlier) return { result: earlier.result, replayed: true };
    // A throw here (a refusal, or a bug) commits nothing; the caller hears it.
    const result = step.apply();
    // In the same synchronous step as apply: no checkpoint can carry the change without its key.
    const { batch, marks } = this.collect();
    try {
      const outcome = await this.commit(key, result, batch, marks);
      // Another writer committed this key between our check and our commit: ours was not written.
      if (outcome.replayed) this.guard('persistence.once undo', () => step.undo());
      return outcome;
    } catch (err) {
      if (isStaleOwner(err)) {
        // Refused inside its transaction: certainly not committed, and asking could find the key
        // committed by the room's new owner, whose change this room never made.
        this.guard('persistence.once undo', () => step.undo());
        throw err;
      }
      // The write failed, or its answer was lost on the way back: ask before undoing.
      const after = await this.committed<T>(key).catch(() => undefined);
      if (after) return { result: after.result, replayed: false };
      this.guard('persistence.once undo', () => step.undo());
      throw err;
    }
  }

  /** Jobs waiting or being written. */
  get queueDepth(): number {
    return this.writer.depth;
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

  /** Lets running critical transactions settle, writes a final checkpoint and waits for the queue to drain. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.critical.values()]);
    this.checkpointNow();
    this.writer.hurry();
    await this.writer.idle();
  }

  private playerJson(client: RoomClient): string | undefined {
    const player = this.def.player;
    if (!player) return undefined;
    const data = this.guard('persistence.player.save', () => player.save(this.room, client));
    if (data === undefined) return undefined;
    return this.guard('persistence.player.save (to JSON)', () => JSON.stringify(data));
  }

  /** What changed since the last batch, as a batch, with marks to take back if it is not written. */
  private collect(): { batch: CheckpointBatch; marks: Mark[] } {
    const marks: Mark[] = [];
    const upsertEntities: DurableEntityRow[] = [];
    const deleteEntities: string[] = [];
    const upsertPlayers: PlayerCheckpointRow[] = [];
    const dirty = this.room.entities.persistDirtyList;
    for (const rec of dirty) {
      rec.persistDirty = false;
      let key = this.keys.get(rec.id);
      if (!rec.alive) {
        if (key === undefined) continue; // created and removed between two checkpoints
        this.keys.delete(rec.id);
        this.savedEntities.delete(key);
        marks.push({ kind: 'delete', key });
        deleteEntities.push(key);
        continue;
      }
      if (key === undefined) this.keys.set(rec.id, (key = newKey(rec.type.name)));
      const data = componentValues(rec);
      const json = JSON.stringify(data);
      const saved = this.savedEntities.get(key);
      if (json === saved) continue; // written back to what was saved
      marks.push({ kind: 'entity', id: rec.id, key, json: saved });
      this.savedEntities.set(key, json);
      upsertEntities.push({ key, type: rec.type.name, data });
    }
    dirty.length = 0;
    for (const key of this.pendingDeletes) {
      marks.push({ kind: 'delete', key });
      deleteEntities.push(key);
    }
    this.pendingDeletes.clear();
    const players = new Map(this.leavingPlayers);
    this.leavingPlayers.clear();
    for (const c of this.room.clients.values()) {
      const json = this.playerJson(c);
      if (json !== undefined) players.set(c.identity.userId, json);
    }
    for (const [userId, json] of players) {
      this.knownPlayers.set(userId, json);
      const saved = this.savedPlayers.get(userId);
      if (json === saved) continue;
      marks.push({ kind: 'player', userId, json: saved });
      this.savedPlayers.set(userId, json);
      upsertPlayers.push({ userId, data: JSON.parse(json) as unknown });
    }
    let meta: unknown;
    const metaDef = this.def.meta;
    if (metaDef) {
      const json = this.guard('persistence.meta.save', () => JSON.stringify(metaDef.save(this.room) ?? null));
      if (json !== undefined && json !== this.savedMeta) {
        marks.push({ kind: 'meta', json: this.savedMeta });
        this.savedMeta = json;
        meta = JSON.parse(json);
      }
    }
    const batch: CheckpointBatch = { code: this.room.code, upsertEntities, deleteEntities, upsertPlayers, at: this.wallClock() };
    if (meta !== undefined) batch.meta = meta;
    if (this.epoch !== undefined) batch.epoch = this.epoch;
    return { batch, marks };
  }

  /** A batch was not written: forget that its rows were saved, so the next checkpoint writes them again. */
  private unwritten(marks: readonly Mark[]): void {
    for (const m of marks) {
      if (m.kind === 'entity') {
        if (m.json === undefined) this.savedEntities.delete(m.key);
        else this.savedEntities.set(m.key, m.json);
        const rec = this.room.entities.record(m.id);
        if (rec) this.room.entities.markPersistDirty(rec);
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
