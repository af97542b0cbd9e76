/**
 * Recordings: what came into one room from outside (joins, leaves, drops and resumes, each
 * tick's inputs and commands in the order they were applied, chat, the seed of the room's
 * random, and with storage what the room was loaded from and when its critical transactions
 * ran), so that a replay (replay.ts) drives a fresh room through the same calls and reaches the
 * same state. After each step the entity state hash is written too: a replay compares its own,
 * tick by tick, and names the first tick that differs.
 *
 * This module is the format's one definition (docs/netcode.md section 10): the writer, the
 * reader, which takes a file as hostile input (every count and length is bounded, and a bad
 * file is a RecordingError that says what is wrong), and the state hash both sides compute.
 * Inputs, commands and join options are written with the game protocol's own codecs, as on
 * the wire, so a recording is about as compact as the traffic it stands for.
 */
import { BitReader, BitWriter, ProtocolError, hashWord, type CommandInfo, type GameProtocol } from '@tickwire/protocol';
import { componentValues, type EntityRecords } from './entity-store.js';
import type { Identity } from './room-client.js';

/** The first bytes of every recording: "twrc". */
const MAGIC = [0x74, 0x77, 0x72, 0x63] as const;
export const RECORDING_VERSION = 1;

/** Bounds a recording is held to (the reader refuses more; the writer never writes more). */
export const RECORDING_LIMITS = {
  /** Most inputs and commands one step applies. */
  actionsPerStep: 65_536,
  /** Longest text: names, user ids, keys, chat lines, error messages (UTF-8 bytes). */
  text: 4096,
  /** Longest JSON document: claims, the stored room, a critical transaction's result (bytes). */
  json: 64 * 1024 * 1024,
  /** Most ticks one step may come after the one before (ticks dropped by catch-up). */
  gap: 1_000_000,
  /** The largest `maxBytes` a room may record. */
  maxBytes: 1024 * 1024 * 1024,
} as const;

/** What a room records at most unless its `record.maxBytes` says otherwise: 32 MiB (hours of a busy room). */
export const DEFAULT_MAX_RECORDING_BYTES = 32 * 1024 * 1024;

// Kind 0 starts no record: the zero bits that pad the last byte read as nothing.
const Kind = { STEP: 1, JOIN: 2, RESUME: 3, DROP: 4, LEAVE: 5, CHAT: 6, HYDRATED: 7, CHECK: 8, DONE: 9, FAILED: 10, END: 11 } as const;
const KIND_BITS = 4;
/** A time or seq within this of the one before is written as a difference. */
const NEAR = 1 << 20;

/** A recording that cannot be read or replayed; the message says why and what to do. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

export interface RecordingHeader {
  version: number;
  protocolName: string;
  protocolHash: number;
  /** The room's code and instance id (command keys are built from them). */
  code: string;
  instanceId: string;
  /** Seed of the room's random (`room.random()`). */
  seed: number;
  /** Server-clock ms of tick 0 (`room.epoch`). */
  epoch: number;
  tickRate: number;
  /** The room ran with storage: how it was loaded and its critical transactions are recorded. */
  storage: boolean;
}

/** An input or command as a step applied it. */
export type RecordedAction =
  | { kind: 'input'; client: number; seq: number; time: number; input: Record<string, unknown> }
  | { kind: 'command'; client: number; seq: number; time: number; entity: number; command: CommandInfo; payload: Record<string, unknown> };

/** One record of a recording, in the order things happened. */
export type RecordingEntry =
  /** A step of the loop: its tick, the actions it applied, the entity state hash after it. `batched`: it ran right after the one before, with no pause between (a catch-up). */
  | { kind: 'step'; tick: number; batched: boolean; actions: RecordedAction[]; hash: number }
  | { kind: 'join'; client: number; name: string; identity: Identity; options: Record<string, unknown> }
  | { kind: 'resume'; client: number }
  | { kind: 'drop'; client: number }
  | { kind: 'leave'; client: number; reason: string; connected: boolean }
  | { kind: 'chat'; client: number; text: string }
  /** What storage held for the room when it was loaded (null: nothing). */
  | { kind: 'hydrated'; stored: unknown }
  /** A critical transaction asked storage whether its key had committed, and heard this (the result as JSON), or an error. */
  | { kind: 'check'; key: string; found: boolean; resultJson: string; error: string | undefined }
  /** A critical transaction's commit came back with this result (as JSON). */
  | { kind: 'done'; key: string; replayed: boolean; resultJson: string }
  | { kind: 'failed'; key: string; code: string; message: string }
  | { kind: 'end'; truncated: boolean };

/** Each client's last seq and time, per kind: what the next one is written relative to. */
class ActionContext {
  private readonly last = new Map<number, { input: number; command: number; time: number }>();

  of(client: number): { input: number; command: number; time: number } {
    let c = this.last.get(client);
    if (!c) this.last.set(client, (c = { input: 0, command: 0, time: 0 }));
    return c;
  }
}

function writeNear(w: BitWriter, value: number, before: number): void {
  const d = value - before;
  if (Math.abs(d) < NEAR) {
    w.writeBool(true);
    w.writeSignedGamma(d);
  } else {
    w.writeBool(false);
    w.writeVarUint(value);
  }
}

function readNear(r: BitReader, before: number): number {
  if (r.readBool()) return before + r.readSignedGamma();
  return r.readVarUint();
}

/**
 * Appends records to a growing recording of at most `maxBytes`. Each record is written apart
 * first and kept only if it fits (leaving room for the END record): a method answers false when
 * it did not, and the recording is then full.
 */
export class RecordingWriter {
  private readonly w = new BitWriter(4096);
  private readonly rec = new BitWriter(256);
  private readonly context = new ActionContext();
  private lastTick = 0;

  constructor(
    private readonly protocol: GameProtocol,
    header: Omit<RecordingHeader, 'version' | 'protocolName' | 'protocolHash'>,
    private readonly maxBytes = DEFAULT_MAX_RECORDING_BYTES,
  ) {
    const w = this.w;
    for (const b of MAGIC) w.writeBits(b, 8);
    w.writeBits(RECORDING_VERSION, 8);
    w.writeBits(protocol.hash >>> 0, 32);
    w.writeString(protocol.name);
    w.writeString(header.code);
    w.writeString(header.instanceId);
    w.writeBits(header.seed >>> 0, 32);
    w.writeFloat64(header.epoch);
    w.writeGamma(header.tickRate);
    w.writeBool(header.storage);
    // Records start on a byte boundary.
    w.align();
  }

  /** Bytes written so far (the last one padded). */
  get byteLength(): number {
    return this.w.byteLength;
  }

  /** Everything written so far, as a recording (without an END record: one cut short). */
  bytes(): Uint8Array {
    return this.w.toBytes();
  }

  private begin(kind: number): BitWriter {
    const rec = this.rec.reset();
    rec.writeBits(kind, KIND_BITS);
    return rec;
  }

  /** Keeps the record written since `begin` if it fits, with a byte left for END. */
  private commit(): boolean {
    const bits = this.w.bitLength + this.rec.bitLength + KIND_BITS + 1;
    if ((bits + 7) >>> 3 > this.maxBytes) return false;
    this.w.appendBits(this.rec.view(), this.rec.bitLength);
    return true;
  }

  /**
   * Starts a step's record: its tick and the actions it applies, written before game code sees
   * them (a handler that changes its payload changes nothing here). `stepEnd` finishes it.
   */
  stepStart(tick: number, batched: boolean, actions: readonly RecordedAction[]): void {
    const w = this.begin(Kind.STEP);
    w.writeGamma(tick - this.lastTick);
    this.lastTick = tick;
    w.writeBool(batched);
    w.writeGamma(actions.length);
    for (const a of actions) {
      const c = this.context.of(a.client);
      w.writeGamma(a.client);
      w.writeBool(a.kind === 'command');
      writeNear(w, a.time >>> 0, c.time);
      c.time = a.time >>> 0;
      if (a.kind === 'input') {
        writeNear(w, a.seq, c.input);
        c.input = a.seq;
        this.protocol.input.write(w, a.input);
      } else {
        writeNear(w, a.seq, c.command);
        c.command = a.seq;
        w.writeGamma(a.command.featureIndex);
        w.writeGamma(a.command.actionIndex);
        w.writeGamma(a.entity);
        a.command.payload.write(w, a.payload);
      }
    }
  }

  /** Ends the step started last with the entity state hash after it. */
  stepEnd(hash: number): boolean {
    this.rec.writeBits(hash >>> 0, 32);
    return this.commit();
  }

  join(client: number, name: string, identity: Identity, options: Record<string, unknown>): boolean {
    const w = this.begin(Kind.JOIN);
    w.writeGamma(client);
    w.writeString(name);
    w.writeString(identity.userId);
    w.writeBool(identity.guest === true);
    w.writeBool(identity.claims !== undefined);
    if (identity.claims !== undefined) w.writeString(JSON.stringify(identity.claims));
    this.protocol.join.write(w, options);
    return this.commit();
  }

  client(kind: 'resume' | 'drop', client: number): boolean {
    this.begin(kind === 'resume' ? Kind.RESUME : Kind.DROP).writeGamma(client);
    return this.commit();
  }

  leave(client: number, reason: string, connected: boolean): boolean {
    const w = this.begin(Kind.LEAVE);
    w.writeGamma(client);
    w.writeString(reason);
    w.writeBool(connected);
    return this.commit();
  }

  chat(client: number, text: string): boolean {
    const w = this.begin(Kind.CHAT);
    w.writeGamma(client);
    w.writeString(text);
    return this.commit();
  }

  hydrated(stored: unknown): boolean {
    this.begin(Kind.HYDRATED).writeString(JSON.stringify(stored ?? null));
    return this.commit();
  }

  /** Storage's answer to whether `key` committed: found (with its result), not found, or an error. */
  check(key: string, answer: { found: true; result: unknown } | { found: false; error?: string }): boolean {
    const w = this.begin(Kind.CHECK);
    w.writeString(key);
    w.writeBool(answer.found);
    if (answer.found) w.writeString(JSON.stringify(answer.result ?? null));
    else {
      w.writeBool(answer.error !== undefined);
      if (answer.error !== undefined) w.writeString(answer.error.slice(0, 1000));
    }
    return this.commit();
  }

  done(key: string, replayed: boolean, result: unknown): boolean {
    const w = this.begin(Kind.DONE);
    w.writeString(key);
    w.writeBool(replayed);
    w.writeString(JSON.stringify(result ?? null));
    return this.commit();
  }

  failed(key: string, code: string, message: string): boolean {
    const w = this.begin(Kind.FAILED);
    w.writeString(key);
    w.writeString(code.slice(0, 100));
    w.writeString(message.slice(0, 1000));
    return this.commit();
  }

  /** The last record: whether the recording stopped at its size limit. */
  end(truncated: boolean): void {
    this.w.writeBits(Kind.END, KIND_BITS);
    this.w.writeBool(truncated);
  }
}

/**
 * A recording's header: its protocol (name and hash), room, seed and rate. Reads no further, and
 * needs no protocol: what tells a tool which room definition replays it.
 */
export function readRecordingHeader(bytes: Uint8Array): RecordingHeader {
  return readHeader(new BitReader(bytes));
}

function readHeader(r: BitReader): RecordingHeader {
  try {
    for (const b of MAGIC) if (r.readBits(8) !== b) throw new RecordingError('not a tickwire recording (it does not start with "twrc")');
    const version = r.readBits(8);
    if (version !== RECORDING_VERSION) throw new RecordingError(`recording format version ${version}; this tickwire reads version ${RECORDING_VERSION}`);
    const protocolHash = r.readBits(32) >>> 0;
    const protocolName = r.readString(RECORDING_LIMITS.text);
    const code = r.readString(RECORDING_LIMITS.text);
    const instanceId = r.readString(RECORDING_LIMITS.text);
    const seed = r.readBits(32) >>> 0;
    const epoch = r.readFloat64();
    if (!Number.isFinite(epoch)) throw new RecordingError(`the recording's epoch is ${epoch}, not a time`);
    const tickRate = r.readGamma();
    if (tickRate < 1 || tickRate > 240) throw new RecordingError(`the recording's tick rate is ${tickRate}, outside 1..240`);
    const storage = r.readBool();
    r.align();
    return { version, protocolName, protocolHash, code, instanceId, seed, epoch, tickRate, storage };
  } catch (err) {
    throw problem(err, 'its header');
  }
}

function problem(err: unknown, where: string): Error {
  if (err instanceof RecordingError) return err;
  if (err instanceof ProtocolError) return new RecordingError(`the recording is damaged in ${where}: ${err.message}`);
  return err instanceof Error ? err : new Error(String(err));
}

/** Reads a recording made with `protocol`, record by record. */
export class RecordingReader {
  readonly header: RecordingHeader;
  private readonly r: BitReader;
  private readonly context = new ActionContext();
  private lastTick = 0;
  private ended = false;

  constructor(
    bytes: Uint8Array,
    private readonly protocol: GameProtocol,
  ) {
    this.r = new BitReader(bytes);
    this.header = readHeader(this.r);
    if (this.header.protocolHash !== protocol.hash >>> 0) {
      throw new RecordingError(
        `the recording is of protocol '${this.header.protocolName}' (hash ${this.header.protocolHash.toString(16)}), not '${protocol.name}' (hash ${(protocol.hash >>> 0).toString(16)}): replay it with the room definition it was recorded with`,
      );
    }
  }


  /** The records from here to the end. */
  *[Symbol.iterator](): Iterator<RecordingEntry> {
    for (let e = this.next(); e; e = this.next()) yield e;
  }

  /** The next record, or undefined at the end (a recording cut short ends without an END record). */
  next(): RecordingEntry | undefined {
    const left = this.r.bitsLeft;
    if (this.ended || left === 0) return undefined;
    const at = this.r.bitPosition;
    try {
      const kind = this.r.readBits(Math.min(KIND_BITS, left));
      if (kind === 0 && left < 8) {
        // The last byte's padding: zero bits and nothing else.
        if (left > KIND_BITS && this.r.readBits(left - KIND_BITS) !== 0) throw new RecordingError('the last byte of the recording holds stray bits');
        this.ended = true;
        return undefined;
      }
      const entry = this.read(kind);
      if (entry.kind === 'end') this.ended = true;
      return entry;
    } catch (err) {
      throw problem(err, `the record at bit ${at}`);
    }
  }

  private read(kind: number): RecordingEntry {
    const r = this.r;
    switch (kind) {
      case Kind.STEP:
        return this.readStep();
      case Kind.JOIN: {
        const client = this.id();
        const name = r.readString(RECORDING_LIMITS.text);
        const userId = r.readString(RECORDING_LIMITS.text);
        const guest = r.readBool();
        const identity: Identity = { userId };
        if (guest) identity.guest = true;
        if (r.readBool()) {
          const claims = this.json();
          if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new RecordingError('a join carries claims that are not an object');
          identity.claims = Object.fromEntries(Object.entries(claims));
        }
        return { kind: 'join', client, name, identity, options: this.protocol.join.read(r) };
      }
      case Kind.RESUME:
        return { kind: 'resume', client: this.id() };
      case Kind.DROP:
        return { kind: 'drop', client: this.id() };
      case Kind.LEAVE:
        return { kind: 'leave', client: this.id(), reason: r.readString(RECORDING_LIMITS.text), connected: r.readBool() };
      case Kind.CHAT:
        return { kind: 'chat', client: this.id(), text: r.readString(RECORDING_LIMITS.text) };
      case Kind.HYDRATED:
        return { kind: 'hydrated', stored: this.json() };
      case Kind.CHECK: {
        const key = r.readString(RECORDING_LIMITS.text);
        if (r.readBool()) return { kind: 'check', key, found: true, resultJson: this.jsonText(), error: undefined };
        return { kind: 'check', key, found: false, resultJson: 'null', error: r.readBool() ? r.readString(RECORDING_LIMITS.text) : undefined };
      }
      case Kind.DONE:
        return { kind: 'done', key: r.readString(RECORDING_LIMITS.text), replayed: r.readBool(), resultJson: this.jsonText() };
      case Kind.FAILED:
        return { kind: 'failed', key: r.readString(RECORDING_LIMITS.text), code: r.readString(RECORDING_LIMITS.text), message: r.readString(RECORDING_LIMITS.text) };
      case Kind.END:
        return { kind: 'end', truncated: r.readBool() };
      default:
        throw new RecordingError(`unknown record kind ${kind}: the recording is damaged, or from a newer tickwire`);
    }
  }

  private readStep(): RecordingEntry {
    const r = this.r;
    const gap = r.readGamma();
    if (gap < 1 || gap > RECORDING_LIMITS.gap) throw new RecordingError(`a step ${gap} ticks after the one before`);
    const tick = (this.lastTick += gap);
    const batched = r.readBool();
    const count = r.readGamma();
    if (count > RECORDING_LIMITS.actionsPerStep) throw new RecordingError(`a step with ${count} actions (at most ${RECORDING_LIMITS.actionsPerStep})`);
    const actions: RecordedAction[] = [];
    for (let i = 0; i < count; i++) {
      const client = this.id();
      const isCommand = r.readBool();
      const c = this.context.of(client);
      const time = (c.time = readNear(r, c.time) >>> 0);
      if (!isCommand) {
        const seq = (c.input = readNear(r, c.input));
        actions.push({ kind: 'input', client, seq, time, input: this.protocol.input.read(r) });
        continue;
      }
      const seq = (c.command = readNear(r, c.command));
      const featureIndex = r.readGamma();
      const actionIndex = r.readGamma();
      const command = this.protocol.commandAt(featureIndex, actionIndex);
      if (!command) throw new RecordingError(`a command ${featureIndex}.${actionIndex} the protocol does not declare`);
      const entity = r.readGamma();
      actions.push({ kind: 'command', client, seq, time, entity, command, payload: command.payload.read(r) });
    }
    return { kind: 'step', tick, batched, actions, hash: r.readBits(32) >>> 0 };
  }

  private id(): number {
    const id = this.r.readGamma();
    if (id < 1) throw new RecordingError('a client id of 0');
    return id;
  }

  private json(): unknown {
    return parseJson(this.jsonText());
  }

  /** A JSON document's text, checked to parse. */
  private jsonText(): string {
    const text = this.r.readString(RECORDING_LIMITS.json);
    parseJson(text);
    return text;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RecordingError('a JSON document in the recording does not parse');
  }
}

// One float64 seen as two 32-bit words, for hashing numbers exactly.
const f64 = new Float64Array(1);
const words = new Uint32Array(f64.buffer);

/**
 * The entity state hash: every live entity in id order, its id, type and every field's value
 * exactly as game code holds it (numbers to the bit, not as the wire rounds them).
 */
export function stateHash(entities: EntityRecords): number {
  let h = 0x2f6b1d37;
  for (const rec of entities.liveRecords()) {
    h = hashWord(hashWord(h, rec.id), rec.type.index);
    const values = rec.values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        f64[0] = v;
        h = hashWord(hashWord(hashWord(h, 1), words[0]!), words[1]!);
      } else if (typeof v === 'boolean') h = hashWord(h, v ? 3 : 2);
      else if (typeof v === 'string') {
        h = hashWord(hashWord(h, 4), v.length);
        for (let j = 0; j < v.length; j++) h = hashWord(h, v.charCodeAt(j));
      } else h = hashWord(h, 5);
    }
  }
  return h >>> 0;
}

/** An entity as game code holds it: its components' values, exactly. */
export interface EntityState {
  id: number;
  type: string;
  values: Record<string, Record<string, unknown>>;
}

/** Every live entity's state, in id order: what a replay's end is compared by. */
export function entityStates(entities: EntityRecords): EntityState[] {
  const out: EntityState[] = [];
  for (const rec of entities.liveRecords()) out.push({ id: rec.id, type: rec.type.name, values: componentValues(rec) });
  return out;
}
