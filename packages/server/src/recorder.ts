/**
 * A room's recorder: the runtime tells it what comes into the room from outside, as it happens,
 * and it keeps a recording (recording.ts) for a replay (replay.ts) to drive a fresh room through
 * the same calls. A room records when its definition has `record`.
 *
 * What counts as from outside is what a replay cannot work out by itself: joins (who, with which
 * options), resumes, drops and leaves; the inputs and commands each step applies, in order;
 * chat lines the game sees; and, with storage, what the room was loaded from and when each
 * critical transaction heard from the database. Whatever game code does in a step (a
 * `room.close()` from a handler, its events, its entities) the replay does again, so nothing
 * that happens inside a step is recorded but the hash of the entities after it.
 */
import type { GameProtocol, JoinOptionsOf } from '@tickwire/protocol';
import type { Logger } from 'pino';
import type { Action } from './input-queue.js';
import type { RoomClient } from './room-client.js';
import type { EntityRecords } from './entity-store.js';
import type { RoomDefinition } from './room-definition.js';
import { DEFAULT_MAX_RECORDING_BYTES, RECORDING_LIMITS, RecordingWriter, stateHash, type RecordedAction, type RecordingHeader } from './recording.js';

/** What a room does with its recording. */
export interface RecordOptions {
  /**
   * Called once with the whole recording: when the room is disposed, or as soon as it reaches
   * `maxBytes` (then it stops recording, and `info.truncated` is true). Write it to a file, an
   * object store, a bug report. A throw or a rejection is logged; the room goes on.
   *
   * @example
   * record: { save: (bytes, info) => writeFileSync(`recordings/${info.code}-${info.instanceId}.twrec`, bytes) }
   */
  save(recording: Uint8Array, info: RecordingInfo): void | Promise<void>;
  /** Most bytes a recording may take (default 32 MiB, at most 1 GiB): a room records until then. */
  maxBytes?: number;
}

export interface RecordingInfo {
  code: string;
  instanceId: string;
  /** The room's tick when the recording ended. */
  ticks: number;
  bytes: number;
  /** The recording stopped at `maxBytes` before the room ended. */
  truncated: boolean;
}

/** The room as the recorder reads it. */
interface RecordedRoom {
  readonly code: string;
  readonly instanceId: string;
  readonly tick: number;
  readonly logger: Logger;
}

export class Recorder {
  private writer: RecordingWriter | null = null;
  private room: RecordedRoom | null = null;
  private entities: EntityRecords | null = null;
  /** Between the start and the end of a step: what happens now, the replay does again. */
  private inStep = false;
  /** Whether queued promise callbacks have run since the last step began (a pause between steps). */
  private drained = true;
  private stopped = false;
  private saved = false;

  constructor(
    private readonly protocol: GameProtocol,
    private readonly options: RecordOptions,
  ) {}

  /** Writes the header. Call once the room has its epoch and before game code runs. */
  begin(room: RecordedRoom, entities: EntityRecords, header: Omit<RecordingHeader, 'version' | 'protocolName' | 'protocolHash' | 'code' | 'instanceId'>): void {
    this.room = room;
    this.entities = entities;
    this.writer = new RecordingWriter(this.protocol, { ...header, code: room.code, instanceId: room.instanceId }, this.options.maxBytes ?? DEFAULT_MAX_RECORDING_BYTES);
  }

  /** Runs `write` unless the recording has stopped; stops it (and saves) when a record does not fit. */
  private write(write: (w: RecordingWriter) => boolean): void {
    const w = this.writer;
    if (!w || this.stopped) return;
    if (write(w)) return;
    this.stopped = true;
    void this.finish(true);
  }

  /**
   * The definition with its player hooks wrapped to record the events they stand for (a leave,
   * a drop, a resume, a chat line), called whether or not the game has a handler for them.
   */
  wrap<P extends GameProtocol, S, D>(def: RoomDefinition<P, S, D>): RoomDefinition<P, S, D> {
    const { onLeave, onDisconnect, onReconnect, onChat } = def;
    const wrapped: RoomDefinition<P, S, D> = {
      ...def,
      onLeave: (room, player, reason) => {
        if (!this.inStep) this.write((w) => w.leave(player.id, reason, player.connected));
        onLeave?.call(def, room, player, reason);
      },
      onDisconnect: (room, player) => {
        this.write((w) => w.client('drop', player.id));
        onDisconnect?.call(def, room, player);
      },
      onReconnect: (room, player) => {
        this.write((w) => w.client('resume', player.id));
        onReconnect?.call(def, room, player);
      },
    };
    if (onChat) {
      wrapped.onChat = (room, player, text) => {
        this.write((w) => w.chat(player.id, text));
        return onChat.call(def, room, player, text);
      };
    }
    return wrapped;
  }

  /** A client is about to become a member (data(), onJoin). */
  joined<P extends GameProtocol>(client: RoomClient<P>, options: JoinOptionsOf<P>): void {
    this.write((w) => w.join(client.id, client.name, client.identity, options));
  }

  /** A step begins with these actions (written now, before game code sees them). */
  stepping<C extends RoomClient>(tick: number, actions: readonly Action<C>[]): void {
    const w = this.writer;
    if (!w || this.stopped) return;
    // A step that did not get to its end (a runtime error) is recorded as it left the world.
    if (this.inStep) this.stepped();
    const batched = !this.drained;
    this.drained = false;
    queueMicrotask(() => (this.drained = true));
    const recorded: RecordedAction[] = actions.map((a) =>
      a.kind === 'input'
        ? { kind: 'input', client: a.client.id, seq: a.entry.seq, time: a.entry.time, input: a.entry.input }
        : { kind: 'command', client: a.client.id, seq: a.command.seq, time: a.command.time, entity: a.command.entity, command: a.command.command, payload: a.command.payload },
    );
    w.stepStart(tick, batched, recorded);
    this.inStep = true;
  }

  /** The step's game code has run: its entity state hash ends the step's record. */
  stepped(): void {
    if (!this.inStep) return;
    this.inStep = false;
    const entities = this.entities!;
    this.write((w) => w.stepEnd(stateHash(entities)));
  }

  /** The room was loaded from storage: what storage held (null: nothing). */
  hydrated(stored: unknown): void {
    this.write((w) => w.hydrated(stored));
  }

  /** A critical transaction heard from storage whether its key had committed (or an error). */
  checked(key: string, answer: { found: true; result: unknown } | { found: false; error?: string }): void {
    this.write((w) => w.check(key, answer));
  }

  /** A critical transaction's commit came back (or failed). */
  committed(key: string, outcome: { replayed: boolean; result: unknown } | { error: unknown }): void {
    if ('error' in outcome) {
      const err = outcome.error;
      const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
      this.write((w) => w.failed(key, code, err instanceof Error ? err.message : String(err)));
    } else this.write((w) => w.done(key, outcome.replayed, outcome.result));
  }

  /** Ends the recording and hands it to `save` (once). */
  async finish(truncated = false): Promise<void> {
    const w = this.writer;
    const room = this.room;
    if (!w || !room || this.saved) return;
    this.saved = true;
    this.stopped = true;
    w.end(truncated);
    const bytes = w.bytes();
    try {
      await this.options.save(bytes, { code: room.code, instanceId: room.instanceId, ticks: room.tick, bytes: bytes.length, truncated });
    } catch (err) {
      room.logger.error({ err, room: room.code }, 'saving the room recording failed');
    }
  }
}

/** Checks a definition's `record` option; throws a RangeError that says what to change. */
export function checkRecordOptions(options: RecordOptions, hasSession: boolean, where: string): void {
  if (typeof options.save !== 'function') throw new RangeError(`${where}: record needs a save(recording, info) function`);
  const max = options.maxBytes;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1024 && max <= RECORDING_LIMITS.maxBytes)) {
    throw new RangeError(`${where}: record.maxBytes must be a whole number of bytes in 1024..${RECORDING_LIMITS.maxBytes}, got ${max}`);
  }
  if (hasSession) throw new RangeError(`${where}: a session room cannot be recorded (its lobby requests and timers are not part of a recording); record the game rooms it starts instead`);
}
