/**
 * Replaying a recording (recording.ts): a fresh room of the same definition, with the recorded
 * code, instance id and seed, on a stepped clock and with no network, driven through the same
 * calls in the same order: joins through the same admission as a real one, leaves, drops and
 * resumes through the room's own methods, each step with the actions it applied, and with
 * storage a store that answers what the database answered, when it answered. After each step
 * the entity state hash is compared with the recorded one; the first tick that differs is the
 * divergence (a game that read the wall clock or Math.random, iterated a Map filled in a
 * different order, or changed since the recording).
 *
 * Promise callbacks run between steps as they did when recorded: steps that ran back to back
 * (a catch-up) run back to back here, and everything else waits until the callbacks queued so
 * far have run.
 */
import { ManualClock, TickwireError } from '@tickwire/protocol';
import { pino, type Logger } from 'pino';
import type { Room as GameRoom } from './game-api.js';
import type { Action } from './input-queue.js';
import { defaultLimits } from './limits.js';
import { enter } from './members.js';
import type { CheckpointBatch, PersistenceStats, RoomStore, StoredRoom } from './persistence.js';
import { RecordingError, RecordingReader, entityStates, stateHash, type EntityState, type RecordedAction, type RecordingHeader } from './recording.js';
import { RoomClient, type ClientConnection } from './room-client.js';
import type { AnyRoomDefinition, LeaveReason } from './room-definition.js';
import { Room, type RoomHost } from './room.js';
import type { RoomStats } from './stats.js';

export interface ReplayOptions {
  /** Go on past the first tick whose state differs from the recording (default: stop there). */
  keepGoing?: boolean;
  /** Stop after the step of this tick (and the promise callbacks it leaves), as the state was then. */
  untilTick?: number;
  /** Where the replayed room's log lines go (default: nowhere). */
  logger?: Logger;
}

export interface ReplayResult {
  header: RecordingHeader;
  /** The replayed room after its last step, as game code sees it (`room.state`, `room.clients`...). */
  room: GameRoom;
  /** The room's tick at the end. */
  tick: number;
  /** Each replayed step's tick, and the entity state hash after it. */
  ticks: number[];
  hashes: number[];
  /** The first step whose state differs from the recorded one, or null when none did. */
  divergence: { tick: number; recorded: number; replayed: number } | null;
  /** Every entity at the end, in id order. */
  entities: EntityState[];
  /** The recording stopped at its size limit, or was cut short: the replay ends where it does. */
  truncated: boolean;
  /** Game-code faults met on the way (hook names), as the room's fault boundary counted them. */
  faults: string[];
}

const LEAVE_REASONS: readonly LeaveReason[] = ['left', 'disconnected', 'timeout', 'closed', 'shutdown', 'kicked'];

/** A member's connection in a replay: it is there (or not), and what is sent to it goes nowhere. */
const detached: ClientConnection = {
  send: () => undefined,
  bufferedAmount: 0,
  close: () => undefined,
  tooSlow: () => undefined,
  lossy: false,
};

/** Lets every promise callback queued so far run (and those they queue). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What storage answered a room, queued per key in the order the recording heard it. */
class Answers<A> {
  private readonly waiting = new Map<string, ((answer: A) => void)[]>();
  private readonly ready = new Map<string, A[]>();

  wait(key: string): Promise<A> {
    const early = this.ready.get(key)?.shift();
    if (early !== undefined) return Promise.resolve(early);
    return new Promise((resolve) => {
      const list = this.waiting.get(key) ?? [];
      list.push(resolve);
      this.waiting.set(key, list);
    });
  }

  answer(key: string, answer: A): void {
    const waiter = this.waiting.get(key)?.shift();
    if (waiter) return waiter(answer);
    const list = this.ready.get(key) ?? [];
    list.push(answer);
    this.ready.set(key, list);
  }
}

/** A store's refusal as the recording heard it (its code is what the runtime looks at). */
class RecordedStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type CheckAnswer = { found: boolean; json: string; error: string | undefined };
type CommitAnswer = { replayed: boolean; json: string } | { code: string; message: string };

/**
 * The storage of a replayed room: it loads what the recording says the room was loaded from, and
 * answers each critical transaction's check and commit with what the database answered, when the
 * replay reaches the moment it did. Checkpoints are taken and dropped.
 */
class ReplayStore implements RoomStore {
  stored: StoredRoom | undefined;
  readonly checks = new Answers<CheckAnswer>();
  readonly commits = new Answers<CommitAnswer>();

  async loadRoom(): Promise<StoredRoom | undefined> {
    return this.stored;
  }

  async writeCheckpoint(_batch: CheckpointBatch): Promise<void> {}

  async transact<T>(key: string): Promise<{ result: T; replayed: boolean }> {
    const a = await this.commits.wait(key);
    if ('code' in a) throw new RecordedStoreError(a.code, a.message);
    return { result: JSON.parse(a.json), replayed: a.replayed };
  }

  async committedResult<T>(key: string): Promise<{ result: T } | undefined> {
    const a = await this.checks.wait(key);
    if (a.error !== undefined) throw new Error(a.error);
    return a.found ? { result: JSON.parse(a.json) } : undefined;
  }
}

/** The stored room a recording carries, checked to have the shape storage gives. */
function storedRoom(value: unknown, code: string): StoredRoom | undefined {
  if (value === null) return undefined;
  const bad = () => new RecordingError('the stored room in the recording is not one storage could have given');
  if (typeof value !== 'object' || !('entities' in value) || !('players' in value) || !Array.isArray(value.entities) || !Array.isArray(value.players)) throw bad();
  const entities = value.entities.map((row: unknown) => {
    if (typeof row !== 'object' || row === null || !('key' in row) || !('type' in row) || typeof row.key !== 'string' || typeof row.type !== 'string') throw bad();
    return { key: row.key, type: row.type, data: 'data' in row ? row.data : null };
  });
  const players = value.players.map((row: unknown) => {
    if (typeof row !== 'object' || row === null || !('userId' in row) || typeof row.userId !== 'string') throw bad();
    return { userId: row.userId, data: 'data' in row ? row.data : null };
  });
  const checkpointAt = 'checkpointAt' in value && typeof value.checkpointAt === 'number' ? value.checkpointAt : null;
  return { code, meta: 'meta' in value ? value.meta : null, entities, players, checkpointAt };
}

/** Counts nothing but the game faults a replay meets. */
function replayStats(faults: string[]): RoomStats & PersistenceStats & { gameFault(hook: string): void } {
  const none = () => undefined;
  return {
    tickDuration: none,
    ticksDropped: none,
    snapshotSent: none,
    snapshotSkipped: none,
    viewDigestSent: none,
    fullSnapshotRequested: none,
    error: none,
    gameFault: (hook) => void faults.push(hook),
    queueDepth: none,
    checkpointWritten: none,
    checkpointFailed: none,
  };
}

/**
 * Replays a recording with a room definition (the one it was recorded with, or a changed one to
 * see where it departs): a fresh room, driven through the recorded calls on a stepped clock,
 * its entity state compared with the recorded hash after every step.
 *
 * @example
 * const result = await replayRecording(arenaRoom(), readFileSync('arena-1-5f3a9c.twrec'));
 * if (result.divergence) console.log(`differs from the recording at tick ${result.divergence.tick}`);
 */
export async function replayRecording(definition: AnyRoomDefinition, recording: Uint8Array, options: ReplayOptions = {}): Promise<ReplayResult> {
  const reader = new RecordingReader(recording, definition.protocol);
  const header = reader.header;
  if ((definition.tickRate ?? 20) !== header.tickRate) {
    throw new RecordingError(`the recording runs at ${header.tickRate} ticks a second, the definition at ${definition.tickRate ?? 20}: replay it with the definition it was recorded with`);
  }
  const clock = new ManualClock(header.epoch);
  const store = header.storage ? new ReplayStore() : undefined;
  const faults: string[] = [];
  const host: RoomHost = {
    clock,
    logger: options.logger ?? pino({ level: 'silent' }),
    limits: defaultLimits,
    stats: replayStats(faults),
    ...(store ? { store } : {}),
    roomIdle: () => undefined,
  };
  const plain: AnyRoomDefinition = { ...definition };
  delete plain.record;
  const room = new Room(header.code, plain, host, null, { instanceId: header.instanceId, seed: header.seed });
  // A leave, drop or resume of someone no longer a member (the game closed the room in a step,
  // and the replay did too) changes nothing; an action of one is a replay gone astray.
  const member = (id: number): RoomClient | undefined => room.clients.get(id);
  const actor = (id: number, tick: number): RoomClient => {
    const client = room.clients.get(id);
    if (!client) throw new RecordingError(`the recording has client ${id} act at tick ${tick}, but it is not a member here: the replay departed from the recording before that`);
    return client;
  };
  const ticks: number[] = [];
  const hashes: number[] = [];
  let divergence: ReplayResult['divergence'] = null;
  let truncated = true;

  for (let e = reader.next(); e; e = reader.next()) {
    if (e.kind === 'end') {
      truncated = e.truncated;
      break;
    }
    if (e.kind !== 'step' || !e.batched) await settle();
    switch (e.kind) {
      case 'step': {
        clock.advance(Math.max(0, header.epoch + (e.tick * 1000) / header.tickRate - clock.now()));
        const actions = e.actions.map((a) => action(a, actor(a.client, e.tick)));
        // Ticks the recorded loop dropped in a catch-up are skipped here too.
        room.tick = e.tick - 1;
        room.step(actions);
        const hash = stateHash(room.entities);
        ticks.push(e.tick);
        hashes.push(hash);
        if (hash !== e.hash && !divergence) divergence = { tick: e.tick, recorded: e.hash, replayed: hash };
        break;
      }
      case 'join': {
        const client = new RoomClient(e.client, e.name, e.identity, new Uint8Array(16), detached, room.historySize, clock.now());
        try {
          enter(room, client, e.options);
        } catch (err) {
          // A join the game refused when recorded is refused again.
          if (!(err instanceof TickwireError)) throw err;
        }
        break;
      }
      case 'resume': {
        const client = member(e.client);
        if (!client) break;
        client.connection = detached;
        client.disconnectedAt = 0;
        room.resumed(client);
        break;
      }
      case 'drop': {
        const client = member(e.client);
        if (!client) break;
        client.connection = null;
        client.disconnectedAt = clock.now();
        const onDisconnect = room.definition.onDisconnect;
        if (onDisconnect) room.guard('onDisconnect', () => onDisconnect.call(room.definition, room, client), undefined);
        break;
      }
      case 'leave': {
        const client = member(e.client);
        const reason = LEAVE_REASONS.find((r) => r === e.reason);
        if (!reason) throw new RecordingError(`a leave for a reason this tickwire does not know ('${e.reason}')`);
        if (!client) break;
        if (!e.connected) client.connection = null;
        room.removeClient(client, reason);
        break;
      }
      case 'chat': {
        const client = member(e.client);
        const onChat = room.definition.onChat;
        if (client && onChat) room.guard('onChat', () => onChat.call(room.definition, room, client, e.text), false);
        break;
      }
      case 'hydrated':
        if (!store || !room.persist) throw new RecordingError('the recording loads the room from storage, but the definition has no persistence');
        store.stored = storedRoom(e.stored, header.code);
        await room.persist.hydrate();
        break;
      case 'check':
        store?.checks.answer(e.key, { found: e.found, json: e.resultJson, error: e.error });
        break;
      case 'done':
        store?.commits.answer(e.key, { replayed: e.replayed, json: e.resultJson });
        break;
      case 'failed':
        store?.commits.answer(e.key, { code: e.code, message: e.message });
        break;
    }
    if (divergence && !options.keepGoing) break;
    if (e.kind === 'step' && options.untilTick !== undefined && e.tick >= options.untilTick) {
      truncated = false;
      break;
    }
  }
  await settle();
  return { header, room, tick: room.tick, ticks, hashes, divergence, entities: entityStates(room.entities), truncated, faults };
}

/** A recorded action, for the room's step. */
function action(a: RecordedAction, client: RoomClient): Action<RoomClient> {
  if (a.kind === 'input') return { kind: 'input', client, entry: { seq: a.seq, time: a.time, input: a.input }, order: 0 };
  return { kind: 'command', client, command: { seq: a.seq, time: a.time, entity: a.entity, command: a.command, payload: a.payload }, order: 0 };
}
