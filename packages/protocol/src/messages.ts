/**
 * Protocol v2 messages: the envelope and every message kind, client to server and back.
 *
 * Each frame is one binary WebSocket message: a byte-aligned envelope (version, kind, seq as
 * LEB128) followed by a bit-packed payload padded with zeros to a whole byte. Fixed payloads
 * are Structs of field types; game payloads (input, command, event) use the game protocol's
 * Structs; the snapshot payload is written by the snapshot codec. docs/protocol.md describes
 * the same bytes, and the golden frames in golden.test.ts (read from the doc) hold the two together.
 */
import { BitReader, BitWriter, gammaBits } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';
import { InputList, readInputBody, writeInputBody, type InputHead, type InputStore } from './input-message.js';
import type { CommandInfo, GameProtocol, JoinOptionsOf } from './schema.js';
import { readSnapshotHead, type OwnState } from './snapshot.js';
import { Struct, optional, t } from './types.js';
import {
  SESSION_LIMITS,
  readSessionEvent,
  readSessionRequest,
  readSessionState,
  sessionSchema,
  writeSessionEvent,
  writeSessionRequest,
  writeSessionState,
  type SessionEventBody,
  type SessionRequest,
  type SessionStateBody,
} from './session-messages.js';
import type { FieldType, ValuesOf } from './types.js';

/**
 * The wire version every frame starts with. v2 (this one) added join options and explicit room
 * creation to HELLO; a v1 peer is refused with UNSUPPORTED_VERSION.
 */
export const PROTOCOL_VERSION = 2;

/** Message kinds. Client-to-server kinds are below 0x40, server-to-client kinds from 0x41. */
export const Kind = {
  HELLO: 0x01,
  INPUT: 0x02,
  COMMAND: 0x03,
  PING: 0x04,
  CHAT: 0x05,
  ACK: 0x06,
  LEAVE: 0x07,
  SESSION: 0x08,
  WELCOME: 0x41,
  SNAPSHOT: 0x42,
  COMMAND_RESULT: 0x43,
  PONG: 0x44,
  EVENT: 0x45,
  CHAT_MESSAGE: 0x46,
  ERROR: 0x47,
  SESSION_STATE: 0x48,
  SESSION_EVENT: 0x49,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const kindNames = new Map<number, string>(Object.entries(Kind).map(([k, v]) => [v, k]));
export function kindName(kind: number): string {
  return kindNames.get(kind) ?? `0x${kind.toString(16)}`;
}

export const LIMITS = {
  roomCodeBytes: 64,
  nameBytes: 32,
  tokenBytes: 4096,
  chatBytes: 256,
  errorMessageBytes: 1024,
  metadataBytes: 16384,
  /** HELLO's join options: the game's join struct, bit-packed and padded to a byte. */
  joinOptionsBytes: 1024,
  /** Inputs in one INPUT message (the newest plus redundant copies of older unacked ones). */
  inputsPerMessage: 16,
  /** Entity records or removals in one snapshot, and events in one frame. */
  snapshotItems: 1 << 20,
  /**
   * Largest envelope `seq` (input, command and ping numbers, server ticks) and snapshot
   * `ackInput`: 2^32 - 2, what a gamma code carries, so every number a client sends can be
   * echoed back (an input seq as the snapshot's ackInput, a command seq in its result, a ping
   * seq in its pong) and every tick acknowledged. At 60 inputs a second that is 2.2 years of
   * one connection; at 20 ticks a second, 6.8 years of one room.
   */
  maxSeq: 0xfffffffe,
  /** Largest gap in ms between consecutive inputs of one INPUT message (the encoder caps it). */
  maxInputAgeMs: 0xffff,
  /**
   * Largest PING `clientTime` (echoed in PONG): a clock reading in ms, 0 .. 2^53 - 1, which
   * covers both a page clock (performance.now) and wall-clock ms since 1970.
   */
  maxClientTimeMs: Number.MAX_SAFE_INTEGER,
  /** A session's display name (SESSION_STATE). */
  sessionNameBytes: SESSION_LIMITS.nameBytes,
  /** Members in one SESSION_STATE, and members in one round's results. */
  sessionMembers: SESSION_LIMITS.members,
  /** Chat lines of history in one SESSION_STATE. */
  sessionChatLines: SESSION_LIMITS.chatLines,
} as const;

export const RESUME_TOKEN_BYTES = 16;

/** Room codes: 1-64 letters, digits, '_', '-', '.', ':' (starting with a letter or digit). */
export const ROOM_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * A clock reading in ms: a finite f64 in 0..max. The PING time the server echoes in PONG, so
 * the same range holds both ways.
 */
function clockMs(max: number): FieldType<number> {
  const f64 = t.f64();
  const describe = `f64(min=0,max=${max})`;
  const inRange = (v: number): boolean => v >= 0 && v <= max;
  return {
    ...f64,
    describe,
    maxWire: max,
    toWire(v) {
      const x = f64.toWire(v) as number;
      if (!inRange(x)) throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${describe} needs a time in 0..${max} ms, got ${x}`);
      return x;
    },
    read(r) {
      const x = f64.read(r) as number;
      if (!inRange(x)) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `time ${x} is outside 0..${max} ms`);
      return x;
    },
  };
}

/**
 * A byte string of at most `max` bytes: gamma length, then the raw bytes. Carries HELLO's join
 * options, which only the room's protocol can read, so a server decodes HELLO before it knows
 * the room and reads the options once it does.
 */
function byteString(max: number): FieldType<Uint8Array> {
  const describe = `bytes(max=${max})`;
  return {
    kind: 'bytes',
    describe,
    defaultValue: new Uint8Array(0),
    linear: false,
    threshold: 1,
    maxWire: max,
    toWire(v) {
      if (!(v instanceof Uint8Array) || v.length > max) {
        throw new TickwireError(ErrorCode.COUNT_TOO_LARGE, `${describe} needs a Uint8Array of at most ${max} bytes`);
      }
      return v;
    },
    fromWire: (w) => w as Uint8Array,
    write(w, x) {
      const b = x as Uint8Array;
      w.writeGamma(b.length);
      w.writeBytes(b);
    },
    read(r) {
      const n = r.readGamma();
      if (n > max) throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${n} bytes of join options; the limit is ${max}`);
      return r.readBytes(n);
    },
    bits: (x) => gammaBits((x as Uint8Array).length) + (x as Uint8Array).length * 8,
    changed: (a, b) => a !== b,
  };
}

/** Fixed message bodies. */
export const bodies = {
  hello: new Struct({
    room: t.string(LIMITS.roomCodeBytes),
    name: t.string(LIMITS.nameBytes),
    token: t.string(LIMITS.tokenBytes),
    resumeToken: optional(t.bytes(RESUME_TOKEN_BYTES)),
    protocolHash: t.uint(32),
    /** false: join the room whose code is `room`; true: create a room of the type named `room`. */
    create: t.bool(),
    /** The game's join options (see encodeJoinOptions), read once the room's protocol is known. */
    options: byteString(LIMITS.joinOptionsBytes),
  }),
  ping: new Struct({ clientTime: clockMs(LIMITS.maxClientTimeMs) }),
  chat: new Struct({ text: t.string(LIMITS.chatBytes) }),
  ack: new Struct({ tick: t.varuint() }),
  leave: new Struct({}),
  welcome: new Struct({
    room: t.string(LIMITS.roomCodeBytes),
    clientId: t.varuint(),
    entity: t.ref(),
    tickRate: t.uint(8),
    snapshotRate: t.uint(8),
    tick: t.varuint(),
    tickEpoch: t.f64(),
    serverTime: t.f64(),
    resumeToken: t.bytes(RESUME_TOKEN_BYTES),
    metadata: t.string(LIMITS.metadataBytes),
    /** The same membership as before this connection (a resume or a takeover), not a new one. */
    resumed: t.bool(),
  }),
  commandResult: new Struct({ ok: t.bool(), code: t.uint(16), message: t.string(LIMITS.errorMessageBytes) }),
  pong: new Struct({ clientTime: clockMs(LIMITS.maxClientTimeMs), serverTime: t.f64() }),
  chatMessage: new Struct({ from: t.varuint(), name: t.string(LIMITS.nameBytes), text: t.string(LIMITS.chatBytes) }),
  error: new Struct({ code: t.uint(16), fatal: t.bool(), message: t.string(LIMITS.errorMessageBytes) }),
};

export type HelloBody = ValuesOf<typeof bodies.hello.fields>;
/** What the HELLO encoder takes: `create` defaults to false (a join), `options` to none. */
export type HelloInit = Omit<HelloBody, 'create' | 'options'> & Partial<Pick<HelloBody, 'create' | 'options'>>;
export type WelcomeBody = ValuesOf<typeof bodies.welcome.fields>;
export type CommandResultBody = ValuesOf<typeof bodies.commandResult.fields>;
export type PongBody = ValuesOf<typeof bodies.pong.fields>;
export type ChatMessageBody = ValuesOf<typeof bodies.chatMessage.fields>;
export type ErrorBody = ValuesOf<typeof bodies.error.fields>;

export interface Envelope {
  version: number;
  kind: number;
  seq: number;
}

/** Writes the envelope: version (u8), kind (u8), seq (LEB128, 0..LIMITS.maxSeq). */
export function writeEnvelope(w: BitWriter, kind: Kind, seq: number): void {
  if (!(seq <= LIMITS.maxSeq)) throw new RangeError(`envelope seq must be at most ${LIMITS.maxSeq}, got ${seq}`);
  w.writeBits(PROTOCOL_VERSION, 8);
  w.writeBits(kind, 8);
  w.writeVarUint(seq);
}

/**
 * Reads the envelope and leaves `r` at the payload. Throws UNSUPPORTED_VERSION for another
 * version (the message names both), TRUNCATED for frames under 3 bytes, VALUE_OUT_OF_RANGE for
 * a seq above LIMITS.maxSeq (it could not be echoed back). `out`: an object to fill and return
 * instead of a new one.
 */
export function readEnvelope(r: BitReader, out?: Envelope): Envelope {
  if (r.bitsLeft < 24) throw new ProtocolError(ErrorCode.TRUNCATED, 'frame shorter than the 3-byte envelope');
  const version = r.readBits(8);
  const kind = r.readBits(8);
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      ErrorCode.UNSUPPORTED_VERSION,
      `protocol version ${version} is not supported: this side speaks tickwire protocol ${PROTOCOL_VERSION}; upgrade the older side`,
    );
  }
  const seq = r.readVarUint();
  if (seq > LIMITS.maxSeq) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `seq ${seq} is above the limit of ${LIMITS.maxSeq}`);
  if (!out) return { version, kind, seq };
  out.version = version;
  out.kind = kind;
  out.seq = seq;
  return out;
}

export interface InputEntry<I> {
  seq: number;
  /** Server-clock milliseconds (mod 2^32) at which the client produced the input. */
  time: number;
  input: I;
}

export type ClientMessage<I = Record<string, unknown>, P = Record<string, unknown>> =
  | ({ kind: 'hello'; seq: number } & HelloBody)
  | { kind: 'input'; seq: number; ackTick: number; inputs: InputEntry<I>[] }
  | { kind: 'command'; seq: number; command: CommandInfo; entity: number; time: number; payload: P }
  | { kind: 'ping'; seq: number; clientTime: number }
  | { kind: 'chat'; seq: number; text: string }
  | { kind: 'ack'; seq: number; tick: number }
  | { kind: 'leave'; seq: number }
  | { kind: 'session'; seq: number; request: SessionRequest };

/**
 * A client frame decoded in place by {@link MessageCodec.decodeClientInto}: one object, reused for
 * every frame of a connection. INPUT and ACK, which every client sends every tick, leave only
 * numbers here (and INPUT its new inputs in the caller's store); any other kind is decoded as
 * decodeClient does, into `message`.
 */
export class DecodedFrame implements Envelope, InputHead {
  version = 0;
  kind = 0;
  seq = 0;
  /** INPUT: the snapshot tick acknowledged with it (0: no new one). ACK: the tick acknowledged. */
  tick = 0;
  /** INPUT: inputs newer than the store's newest, and how many of them (the oldest first) it took. */
  fresh = 0;
  kept = 0;
  /** Kinds other than INPUT and ACK: the message; null for those two. */
  message: ClientMessage | null = null;
}

/**
 * Encodes the messages whose payload does not depend on a game protocol. Holds a scratch
 * writer, so give each connection-owning object (server, room, client) its own instance.
 */
export class FrameEncoder {
  protected readonly w = new BitWriter(1024);

  protected begin(kind: Kind, seq: number): BitWriter {
    const w = this.w.reset();
    writeEnvelope(w, kind, seq);
    return w;
  }

  protected finish(): Uint8Array {
    return this.w.toBytes();
  }

  hello(body: HelloInit): Uint8Array {
    bodies.hello.write(this.begin(Kind.HELLO, 0), body);
    return this.finish();
  }

  ping(seq: number, clientTime: number): Uint8Array {
    bodies.ping.write(this.begin(Kind.PING, seq), { clientTime });
    return this.finish();
  }

  chat(text: string): Uint8Array {
    bodies.chat.write(this.begin(Kind.CHAT, 0), { text });
    return this.finish();
  }

  ack(tick: number): Uint8Array {
    bodies.ack.write(this.begin(Kind.ACK, 0), { tick });
    return this.finish();
  }

  leave(): Uint8Array {
    this.begin(Kind.LEAVE, 0);
    return this.finish();
  }

  welcome(body: WelcomeBody): Uint8Array {
    bodies.welcome.write(this.begin(Kind.WELCOME, 0), body);
    return this.finish();
  }

  commandResult(seq: number, body: CommandResultBody): Uint8Array {
    bodies.commandResult.write(this.begin(Kind.COMMAND_RESULT, seq), body);
    return this.finish();
  }

  pong(seq: number, body: PongBody): Uint8Array {
    bodies.pong.write(this.begin(Kind.PONG, seq), body);
    return this.finish();
  }

  chatMessage(body: ChatMessageBody): Uint8Array {
    bodies.chatMessage.write(this.begin(Kind.CHAT_MESSAGE, 0), body);
    return this.finish();
  }

  error(seq: number, body: ErrorBody): Uint8Array {
    bodies.error.write(this.begin(Kind.ERROR, seq), body);
    return this.finish();
  }
}

/** Encodes and decodes one game protocol's messages (adds input, command and event). */
export class MessageCodec<G extends GameProtocol = GameProtocol> extends FrameEncoder {
  constructor(readonly game: G) {
    super();
  }

  /**
   * INPUT: ackTick, count-1, newest time (32 bits), then inputs newest first, each older one
   * preceded by its age in ms relative to the one before it.
   */
  input(ackTick: number, inputs: readonly InputEntry<Record<string, unknown>>[]): Uint8Array {
    const w = this.begin(Kind.INPUT, inputs.at(-1)?.seq ?? 0);
    writeInputBody(w, this.game.input, ackTick, inputs);
    return this.finish();
  }

  command(seq: number, feature: string, action: string, entity: number, time: number, payload: Record<string, unknown>): Uint8Array {
    const info = this.game.command(feature, action);
    if (!info) throw new TickwireError(ErrorCode.UNKNOWN_COMMAND, `the protocol '${this.game.name}' declares no command ${feature}.${action}`);
    const w = this.begin(Kind.COMMAND, seq);
    w.writeGamma(info.featureIndex);
    w.writeGamma(info.actionIndex);
    w.writeGamma(entity);
    w.writeBits(time >>> 0, 32);
    info.payload.write(w, payload);
    return this.finish();
  }

  /**
   * SESSION: a request to the session (claim a seat, ready, start, chat...). Its seq comes from
   * the same counter as COMMAND's: the server answers it with a COMMAND_RESULT of that seq.
   */
  session(seq: number, request: SessionRequest): Uint8Array {
    writeSessionRequest(this.begin(Kind.SESSION, seq), sessionSchema(this.game.session, this.game.name), request);
    return this.finish();
  }

  /** SESSION_STATE: the whole session as one member sees it. */
  sessionState(body: SessionStateBody): Uint8Array {
    writeSessionState(this.begin(Kind.SESSION_STATE, 0), sessionSchema(this.game.session, this.game.name), body);
    return this.finish();
  }

  /** SESSION_EVENT: one change to the session. */
  sessionEvent(event: SessionEventBody): Uint8Array {
    writeSessionEvent(this.begin(Kind.SESSION_EVENT, 0), sessionSchema(this.game.session, this.game.name), event);
    return this.finish();
  }

  /** A standalone EVENT frame (events raised during a tick ride in the snapshot instead). */
  event(tick: number, name: string, payload: Record<string, unknown>): Uint8Array {
    const info = this.game.event(name);
    if (!info) throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `the protocol '${this.game.name}' declares no event '${name}'`);
    const w = this.begin(Kind.EVENT, tick);
    w.writeGamma(info.index);
    info.payload.write(w, payload);
    return this.finish();
  }

  /** Reads every frame decodeClientInto reads; one reader, as decoding never nests. */
  private readonly reader = new BitReader(new Uint8Array(0));
  private readonly ackBody: ValuesOf<typeof bodies.ack.fields> = { tick: 0 };

  /**
   * Decodes a client-to-server frame. Throws ProtocolError (and only that) on anything
   * malformed. For COMMAND frames the envelope is valid even when the payload is not, so a
   * caller can answer that command by seq: see {@link peekEnvelope}.
   *
   * `inputsAfter`: INPUT entries with a seq at or below it (redundant copies the receiver has
   * already queued) are read and checked but not built, and left out of `inputs`.
   */
  decodeClient(frame: Uint8Array, inputsAfter = -1): ClientMessage {
    const r = new BitReader(frame);
    const { kind, seq } = readEnvelope(r);
    let msg: ClientMessage;
    if (kind === Kind.INPUT) {
      const list = new InputList(inputsAfter);
      const head: InputHead = { tick: 0, fresh: 0, kept: 0 };
      readInputBody(r, this.game.input, seq, list, head);
      msg = { kind: 'input', seq, ackTick: head.tick, inputs: list.entries };
    } else msg = this.readBody(r, kind, seq);
    r.expectEnd();
    return msg;
  }

  /**
   * Decodes a client-to-server frame as decodeClient does (the same checks, the same errors),
   * without allocating for the two kinds every client sends every tick: INPUT's new inputs go
   * into `inputs` (its entries, reused) and its ack into `out.tick`; ACK's tick into `out.tick`.
   * Other kinds are built as decodeClient builds them, into `out.message`. Returns `out`.
   *
   * @example
   * const f = codec.decodeClientInto(frame, client.inputs, decoded);
   * if (f.kind === Kind.INPUT) client.inputs.commit(f.seq - f.fresh + 1, f.kept);
   */
  decodeClientInto(frame: Uint8Array, inputs: InputStore, out: DecodedFrame): DecodedFrame {
    const r = this.reader.reset(frame);
    readEnvelope(r, out);
    out.message = null;
    if (out.kind === Kind.INPUT) readInputBody(r, this.game.input, out.seq, inputs, out);
    else if (out.kind === Kind.ACK) out.tick = bodies.ack.readInto(r, this.ackBody).tick;
    else out.message = this.readBody(r, out.kind, out.seq);
    r.expectEnd();
    return out;
  }

  /** A client message of any kind but INPUT, its envelope read. */
  private readBody(r: BitReader, kind: number, seq: number): ClientMessage {
    switch (kind) {
      case Kind.HELLO:
        return { kind: 'hello', seq, ...bodies.hello.read(r) };
      case Kind.COMMAND: {
        const fi = r.readGamma();
        const ai = r.readGamma();
        const command = this.game.commandAt(fi, ai);
        if (!command) throw new ProtocolError(ErrorCode.UNKNOWN_COMMAND, `no command at feature #${fi}, action #${ai}`);
        const entity = r.readGamma();
        const time = r.readBits(32);
        return { kind: 'command', seq, command, entity, time, payload: command.payload.read(r) };
      }
      case Kind.PING:
        return { kind: 'ping', seq, ...bodies.ping.read(r) };
      case Kind.CHAT:
        return { kind: 'chat', seq, ...bodies.chat.read(r) };
      case Kind.ACK:
        return { kind: 'ack', seq, ...bodies.ack.read(r) };
      case Kind.LEAVE:
        return { kind: 'leave', seq };
      case Kind.SESSION:
        return { kind: 'session', seq, request: readSessionRequest(r, sessionSchema(this.game.session, this.game.name)) };
      default:
        throw new ProtocolError(ErrorCode.UNKNOWN_KIND, `unknown client message kind ${kindName(kind)}`);
    }
  }
}

export type ServerMessage =
  | ({ kind: 'welcome'; seq: number } & WelcomeBody)
  | { kind: 'snapshot'; seq: number; tick: number; ackInput: number; own: OwnState[]; reader: BitReader }
  | ({ kind: 'commandResult'; seq: number } & CommandResultBody)
  | ({ kind: 'pong'; seq: number } & PongBody)
  | { kind: 'event'; seq: number; name: string; payload: Record<string, unknown> }
  | ({ kind: 'chatMessage'; seq: number } & ChatMessageBody)
  | ({ kind: 'error'; seq: number } & ErrorBody)
  | { kind: 'sessionState'; seq: number; state: SessionStateBody }
  | { kind: 'sessionEvent'; seq: number; event: SessionEventBody };

/**
 * Decodes a server-to-client frame. A snapshot is returned with its reader positioned at the
 * body, for the caller's snapshot visitor (see readSnapshotBody); everything else is decoded
 * whole. Throws ProtocolError on anything malformed.
 */
export function decodeServer(frame: Uint8Array, game: GameProtocol): ServerMessage {
  const r = new BitReader(frame);
  const { kind, seq } = readEnvelope(r);
  let msg: ServerMessage;
  switch (kind) {
    case Kind.SNAPSHOT:
      return { kind: 'snapshot', seq, tick: seq, ...readSnapshotHead(r, game), reader: r };
    case Kind.WELCOME:
      msg = { kind: 'welcome', seq, ...bodies.welcome.read(r) };
      break;
    case Kind.COMMAND_RESULT:
      msg = { kind: 'commandResult', seq, ...bodies.commandResult.read(r) };
      break;
    case Kind.PONG:
      msg = { kind: 'pong', seq, ...bodies.pong.read(r) };
      break;
    case Kind.EVENT: {
      const index = r.readGamma();
      const info = game.events[index];
      if (!info) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `event #${index} is not declared`);
      msg = { kind: 'event', seq, name: info.name, payload: info.payload.read(r) };
      break;
    }
    case Kind.CHAT_MESSAGE:
      msg = { kind: 'chatMessage', seq, ...bodies.chatMessage.read(r) };
      break;
    case Kind.ERROR:
      msg = { kind: 'error', seq, ...bodies.error.read(r) };
      break;
    case Kind.SESSION_STATE:
      msg = { kind: 'sessionState', seq, state: readSessionState(r, sessionSchema(game.session, game.name)) };
      break;
    case Kind.SESSION_EVENT:
      msg = { kind: 'sessionEvent', seq, event: readSessionEvent(r, sessionSchema(game.session, game.name)) };
      break;
    default:
      throw new ProtocolError(ErrorCode.UNKNOWN_KIND, `unknown server message kind ${kindName(kind)}`);
  }
  r.expectEnd();
  return msg;
}

/** Decodes a HELLO frame (the only message a connection may send before it has joined). */
export function decodeHello(frame: Uint8Array): { seq: number } & HelloBody {
  const r = new BitReader(frame);
  const { kind, seq } = readEnvelope(r);
  if (kind !== Kind.HELLO) throw new ProtocolError(ErrorCode.NOT_JOINED, `expected HELLO, got ${kindName(kind)}: send HELLO first`);
  const hello = bodies.hello.read(r);
  r.expectEnd();
  return { seq, ...hello };
}

/**
 * Encodes a game's join options for HELLO: the protocol's `join` struct, bit-packed and padded
 * to a byte (no options declared: zero bytes). Values are range-checked and quantized like any
 * field; a struct that would not fit LIMITS.joinOptionsBytes is a TickwireError.
 *
 * @example
 * const options = encodeJoinOptions(arena, { team: 2, password: 'hunter2' });
 */
export function encodeJoinOptions<P extends GameProtocol>(protocol: P, options: Partial<JoinOptionsOf<P>>): Uint8Array {
  const w = new BitWriter(64);
  protocol.join.write(w, options);
  const bytes = w.toBytes();
  if (bytes.length > LIMITS.joinOptionsBytes) {
    throw new TickwireError(ErrorCode.COUNT_TOO_LARGE, `join options take ${bytes.length} bytes; the limit is ${LIMITS.joinOptionsBytes}: declare shorter strings`);
  }
  return bytes;
}

/**
 * Decodes HELLO's join options with the room's protocol. Throws ProtocolError (and only that)
 * on anything malformed: a value past its field's limit, a truncated struct, or bytes left over.
 */
export function decodeJoinOptions<P extends GameProtocol>(protocol: P, bytes: Uint8Array): JoinOptionsOf<P> {
  const r = new BitReader(bytes);
  const options = protocol.join.read(r);
  r.expectEnd();
  return options as JoinOptionsOf<P>;
}

/** Reads only the envelope of a frame, or undefined when even that is malformed. */
export function peekEnvelope(frame: Uint8Array): Envelope | undefined {
  try {
    return readEnvelope(new BitReader(frame));
  } catch {
    return undefined;
  }
}
