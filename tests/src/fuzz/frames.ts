/**
 * Hostile client frames for the fuzz harness, built from the game's own protocol declaration.
 *
 * Every frame is one of: a valid frame (what an honest client would send now), random bytes, a
 * valid frame with its bytes mutated, a frame written field by field with one field at, around
 * or past its limit (the codec cannot write those: see raw.ts and edges.ts), a text frame, or a frame at or
 * over the server's size limit. The factory knows the connection's state (joined, its entity,
 * the last tick it saw, its input and command numbers) so valid and boundary frames are
 * plausible where plausibility gets a frame deeper into the server.
 */
import { BitWriter, GAMMA_MAX, Kind, LIMITS, MessageCodec, PROTOCOL_VERSION, type GameProtocol } from '@tickwire/protocol';
import { F64_EDGES, FieldWriter, GAMMA_EDGES, NASTY_TEXT, SEQ_EDGES, U32_EDGES, seqLabel } from './edges.js';
import { Rng, rawGamma, rawString, rawVarUint } from './raw.js';

export type FrameCategory = 'valid' | 'random' | 'mutated' | 'boundary' | 'text' | 'oversize';

export interface FuzzFrame {
  category: FrameCategory;
  /** A string is sent as a text frame. */
  data: Uint8Array | string;
  /** What the frame is, for a crash report (`INPUT seq=2^52`). */
  label: string;
}

/** What the factory needs to know about the connection it writes for. */
export interface ConnectionView {
  joined: boolean;
  /** The room a HELLO should name. */
  room: string;
  entity: number;
  lastTick: number;
  inputSeq: number;
  commandSeq: number;
  pingSeq: number;
}

const CLIENT_KINDS: readonly number[] = [Kind.HELLO, Kind.INPUT, Kind.COMMAND, Kind.PING, Kind.CHAT, Kind.ACK, Kind.LEAVE];
const utf8 = new TextEncoder();

export class FrameFactory {
  readonly codec: MessageCodec;
  private readonly fields: FieldWriter;

  constructor(
    readonly game: GameProtocol,
    private readonly rng: Rng,
    private readonly maxFrameBytes: number,
  ) {
    this.codec = new MessageCodec(game);
    this.fields = new FieldWriter(rng);
  }

  /** A frame of the given category for a connection in the given state. */
  make(category: FrameCategory, view: ConnectionView): FuzzFrame {
    switch (category) {
      case 'valid':
        return this.valid(view);
      case 'random':
        return this.random();
      case 'mutated':
        return this.mutated(view);
      case 'boundary':
        return this.boundary(view);
      case 'text':
        return this.text();
      case 'oversize':
        return this.oversize(view);
    }
  }

  /** A HELLO an honest client would send. */
  hello(room: string, name: string, resumeToken?: Uint8Array, protocolHash = this.game.hash): Uint8Array {
    return this.codec.hello({ room, name, token: '', resumeToken, protocolHash });
  }

  /** What an honest client would send now: an input, an ack, a ping, a command, a chat line. */
  valid(view: ConnectionView): FuzzFrame {
    const r = this.rng;
    if (!view.joined) return { category: 'valid', data: this.hello(view.room, `fz${r.int(1000)}`), label: 'HELLO' };
    const kind = r.weighted({ input: 6, ack: 2, ping: 1, command: 2, chat: 0.2 });
    switch (kind) {
      case 'input': {
        const n = r.range(1, 3);
        const inputs = [];
        const newest = ++view.inputSeq;
        const now = Date.now() >>> 0;
        for (let i = n - 1; i >= 0; i--) {
          if (newest - i < 0) continue;
          inputs.push({ seq: newest - i, time: (now - i * 50) >>> 0, input: this.fields.validValues(this.game.input) });
        }
        return { category: 'valid', data: this.codec.input(view.lastTick, inputs), label: `INPUT seq=${newest}` };
      }
      case 'ack':
        return { category: 'valid', data: this.codec.ack(view.lastTick), label: `ACK tick=${view.lastTick}` };
      case 'ping':
        return { category: 'valid', data: this.codec.ping(++view.pingSeq, performance.now()), label: 'PING' };
      case 'command': {
        const c = r.pick(this.game.commands);
        const seq = ++view.commandSeq;
        const w = new BitWriter();
        w.writeBits(PROTOCOL_VERSION, 8);
        w.writeBits(Kind.COMMAND, 8);
        w.writeVarUint(seq);
        w.writeGamma(c.featureIndex);
        w.writeGamma(c.actionIndex);
        w.writeGamma(r.chance(0.7) ? view.entity : 0);
        w.writeBits(Date.now() >>> 0, 32);
        this.fields.writeValid(w, c.payload);
        return { category: 'valid', data: w.toBytes(), label: `COMMAND ${c.feature}.${c.action} seq=${seq}` };
      }
      case 'chat':
        return { category: 'valid', data: this.codec.chat(`hello ${r.int(100)}`), label: 'CHAT' };
    }
  }

  /** Random bytes; often behind a valid version byte and kind, to get past the first check. */
  random(): FuzzFrame {
    const r = this.rng;
    const len = r.chance(0.9) ? r.int(64) : r.int(2048);
    const b = r.bytes(len);
    // Mostly behind a good version byte: another version closes the connection at once.
    if (len >= 2 && r.chance(0.9)) {
      b[0] = PROTOCOL_VERSION;
      b[1] = r.chance(0.8) ? r.pick(CLIENT_KINDS) : r.int(256);
    }
    return { category: 'random', data: b, label: `random ${len} bytes` };
  }

  /** A valid frame with one to four byte-level mutations. */
  mutated(view: ConnectionView): FuzzFrame {
    const r = this.rng;
    const base = r.chance(0.15) ? this.hello(view.room, 'mut') : this.valid({ ...view, joined: true }).data;
    const b = [...(base as Uint8Array)];
    const n = r.range(1, 4);
    for (let i = 0; i < n; i++) {
      const at = b.length ? r.int(b.length) : 0;
      switch (r.int(7)) {
        case 0:
          if (b.length) b[at] = b[at]! ^ (1 << r.int(8));
          break;
        case 1:
          if (b.length) b[at] = r.pick([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, r.int(256)]);
          break;
        case 2:
          b.length = at;
          break;
        case 3:
          b.push(...r.bytes(r.range(1, 8)));
          break;
        case 4:
          b.splice(at, 0, r.int(256));
          break;
        case 5:
          b.splice(at, 1);
          break;
        case 6:
          b.splice(at, 0, ...b.slice(at, at + r.range(1, 6)));
          break;
      }
    }
    return { category: 'mutated', data: Uint8Array.from(b), label: `mutated x${n}` };
  }

  /** A frame written field by field, one field (sometimes two) at, around or past its limit. */
  boundary(view: ConnectionView): FuzzFrame {
    const r = this.rng;
    const kind = r.pick(CLIENT_KINDS);
    const w = new BitWriter();
    const notes: string[] = [];
    w.writeBits(PROTOCOL_VERSION, 8);
    w.writeBits(kind, 8);
    // Which field gets the edge value: the envelope seq in a quarter of the frames.
    const breakSeq = r.chance(0.25);
    const seq = breakSeq ? r.pick(SEQ_EDGES) : BigInt(kind === Kind.INPUT ? ++view.inputSeq : kind === Kind.COMMAND ? ++view.commandSeq : kind === Kind.PING ? ++view.pingSeq : 0);
    if (breakSeq) notes.push(`seq=${seqLabel(seq)}`);
    if (breakSeq && r.chance(0.1)) {
      // An over-long LEB128: continuation bytes that never end within 8 bytes.
      for (let i = 0; i < r.range(8, 12); i++) w.writeBits(0x80, 8);
      w.writeBits(0, 8);
      notes.push('overlong');
    } else {
      rawVarUint(w, seq);
    }
    const edge = !breakSeq || r.chance(0.3);
    switch (kind) {
      case Kind.HELLO:
        this.helloBody(w, view, edge, notes);
        break;
      case Kind.INPUT:
        this.inputBody(w, view, Number(seq), edge, notes);
        break;
      case Kind.COMMAND:
        this.commandBody(w, view, edge, notes);
        break;
      case Kind.PING: {
        const t = edge ? r.pick(F64_EDGES) : performance.now();
        if (edge && r.chance(0.2)) {
          // NaN with a payload, and negative NaN: not what writeFloat64(NaN) writes.
          w.writeBits(r.int(2 ** 32) | 1, 32);
          w.writeBits(r.chance(0.5) ? 0x7ff00000 : 0xfff80000, 32);
          notes.push('clientTime=NaN(payload)');
        } else {
          w.writeFloat64(t);
          if (edge) notes.push(`clientTime=${t}`);
        }
        break;
      }
      case Kind.CHAT:
        this.fields.stringEdge(w, LIMITS.chatBytes, edge, notes, 'text');
        break;
      case Kind.ACK: {
        const t = edge ? r.pick([...GAMMA_EDGES, view.lastTick + 1, view.lastTick + 1000, Math.max(0, view.lastTick - 40)]) : view.lastTick;
        rawGamma(w, t);
        if (edge) notes.push(`tick=${t}`);
        break;
      }
      case Kind.LEAVE:
        break;
    }
    // Trailing junk or non-zero padding now and then: TRAILING_DATA.
    if (r.chance(0.05)) {
      w.writeBits(r.range(1, 127), 7);
      notes.push('padding');
    }
    return { category: 'boundary', data: w.toBytes(), label: `${kindLabel(kind)} ${notes.join(' ')}`.trim() };
  }

  /** Text frames: the protocol is binary only. */
  text(): FuzzFrame {
    const r = this.rng;
    const choice = r.int(5);
    const s =
      choice === 0
        ? ''
        : choice === 1
          ? JSON.stringify({ kind: 'hello', room: 'fuzz', name: 'text' })
          : choice === 2
            ? r.pick(NASTY_TEXT)
            : choice === 3
              ? '\ud800 lone surrogate'
              : 'x'.repeat(r.int(this.maxFrameBytes + 64));
    return { category: 'text', data: s, label: `text ${s.length} chars` };
  }

  /** Frames at the size limit (junk after a valid message) and past it. */
  oversize(view: ConnectionView): FuzzFrame {
    const r = this.rng;
    const size = r.pick([this.maxFrameBytes, this.maxFrameBytes + 1, this.maxFrameBytes * 4, 1 << 20]);
    const b = new Uint8Array(size).fill(r.int(256));
    const head = this.valid({ ...view, joined: true }).data as Uint8Array;
    b.set(head.subarray(0, Math.min(head.length, size)));
    return { category: 'oversize', data: b, label: `oversize ${size} bytes` };
  }

  private helloBody(w: BitWriter, view: ConnectionView, edge: boolean, notes: string[]): void {
    const r = this.rng;
    const field = edge ? r.int(5) : -1;
    if (field === 0) {
      const room = r.pick(['', 'a'.repeat(64), 'a'.repeat(65), '-lead', 'has space', '../etc', 'zoë', 'x\u0000y', 'fuzz-main\u202e']);
      this.fields.string(w, utf8.encode(room), LIMITS.roomCodeBytes, notes, 'room');
    } else {
      rawString(w, utf8.encode(view.room));
    }
    if (field === 1) this.fields.stringEdge(w, LIMITS.nameBytes, true, notes, 'name');
    else rawString(w, utf8.encode(`fz${r.int(100)}`));
    if (field === 2) {
      const token = r.pick(['a'.repeat(LIMITS.tokenBytes), 'a'.repeat(LIMITS.tokenBytes + 1), 'anon:', `anon:${'a'.repeat(64)}`, `anon:${'a'.repeat(65)}`, 'anon:../x', `anon.${'0'.repeat(32)}.${'A'.repeat(22)}`, 'anon.', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.']);
      this.fields.string(w, utf8.encode(token), LIMITS.tokenBytes, notes, 'token');
    } else {
      rawString(w, new Uint8Array(0));
    }
    if (field === 3) {
      w.writeBool(true);
      const n = r.chance(0.8) ? 16 : r.int(16);
      w.writeBytes(r.chance(0.5) ? new Uint8Array(n) : r.bytes(n));
      notes.push(`resumeToken(${n} bytes)`);
    } else {
      w.writeBool(false);
    }
    if (field === 4) {
      const h = r.pick([0, this.game.hash ^ 1, 0xffffffff]);
      w.writeBits(h, 32);
      notes.push(`protocolHash=${h}`);
    } else {
      w.writeBits(this.game.hash, 32);
    }
  }

  private inputBody(w: BitWriter, view: ConnectionView, seq: number, edge: boolean, notes: string[]): void {
    const r = this.rng;
    const field = edge ? r.pick(['ackTick', 'count', 'time', 'age', 'input'] as const) : undefined;
    const ackTick = field === 'ackTick' ? r.pick([...GAMMA_EDGES, view.lastTick + 1, view.lastTick + 100_000]) : view.lastTick;
    rawGamma(w, ackTick);
    let countLess1 = r.int(3);
    if (field === 'count') countLess1 = r.pick([LIMITS.inputsPerMessage - 1, LIMITS.inputsPerMessage, LIMITS.inputsPerMessage + 1, GAMMA_MAX, 2 ** 40]);
    else if (seq < countLess1) countLess1 = 0;
    rawGamma(w, countLess1);
    const time = field === 'time' ? r.pick(U32_EDGES) : Date.now() >>> 0;
    w.writeBits(time, 32);
    if (field) notes.push(field === 'ackTick' ? `ackTick=${ackTick}` : field === 'count' ? `count-1=${countLess1}` : field === 'time' ? `time=${time}` : field);
    // A huge count is refused before any input is read; write a few so the frame is not just short.
    const written = Math.min(countLess1, LIMITS.inputsPerMessage + 1);
    for (let i = 0; i <= written; i++) {
      if (i > 0) rawGamma(w, field === 'age' && r.chance(0.5) ? r.pick([LIMITS.maxInputAgeMs, LIMITS.maxInputAgeMs + 1, ...GAMMA_EDGES]) : r.int(60));
      if (field === 'input' && r.chance(0.5)) this.fields.writeEdge(w, this.game.input, notes);
      else this.fields.writeValid(w, this.game.input);
    }
  }

  private commandBody(w: BitWriter, view: ConnectionView, edge: boolean, notes: string[]): void {
    const r = this.rng;
    const c = r.pick(this.game.commands);
    const field = edge ? r.pick(['index', 'entity', 'time', 'payload', 'short'] as const) : undefined;
    if (field === 'index') {
      const fi = r.pick([c.featureIndex, ...GAMMA_EDGES]);
      const ai = r.pick([c.actionIndex, 65535, 65536, ...GAMMA_EDGES]);
      rawGamma(w, fi);
      rawGamma(w, ai);
      notes.push(`command=${fi}/${ai}`);
    } else {
      w.writeGamma(c.featureIndex);
      w.writeGamma(c.actionIndex);
      notes.push(`${c.feature}.${c.action}`);
    }
    const entity = field === 'entity' ? r.pick([0, view.entity + 1, r.range(1, 40), ...GAMMA_EDGES]) : view.entity;
    rawGamma(w, entity);
    if (field === 'entity') notes.push(`entity=${entity}`);
    const time = field === 'time' ? r.pick(U32_EDGES) : Date.now() >>> 0;
    w.writeBits(time, 32);
    if (field === 'time') notes.push(`time=${time}`);
    if (field === 'payload') this.fields.writeEdge(w, c.payload, notes);
    else if (field !== 'short') this.fields.writeValid(w, c.payload);
  }
}

export function kindLabel(kind: number): string {
  for (const [name, k] of Object.entries(Kind)) if (k === kind) return name;
  return `0x${kind.toString(16)}`;
}

export function toHex(b: Uint8Array, max = 64): string {
  const s = Array.from(b.subarray(0, max), (x) => x.toString(16).padStart(2, '0')).join('');
  return b.length > max ? `${s}...(${b.length} bytes)` : s;
}
