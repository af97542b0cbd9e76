/**
 * Holds docs/protocol.md and the code together.
 *
 * The spec's worked examples are machine-readable: a fenced block tagged `hex golden=<name>`
 * holds a frame, one tagged `json golden=<name>` the message it encodes, and the table after
 * `<!-- breakdown golden=<name> -->` its bit-by-bit breakdown. For every golden frame this test
 * encodes the documented message with our encoder and expects exactly the documented bytes, and
 * decodes the documented bytes and expects exactly the documented message. It also checks the
 * breakdown tables against the bytes, and the spec's tables (kinds, error and close codes, wire
 * limits, primitive encodings, the example protocol's tables and hash) against the code. A change
 * to the wire format, or to the doc, fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BitWriter } from './bits.js';
import { CloseCode, ErrorCode } from './errors.js';
import { FrameEncoder, Kind, LIMITS, MessageCodec, PROTOCOL_VERSION, decodeHello, decodeJoinOptions, decodeServer, encodeJoinOptions } from './messages.js';
import type { ClientMessage, InputEntry } from './messages.js';
import type { SessionEventBody, SessionRequest, SessionStateBody } from './session-messages.js';
import { defineProtocol, fnv1a } from './schema.js';
import type { EntityTypeInfo } from './schema.js';
import {
  SnapshotBodyWriter,
  readEvents,
  readSnapshotBody,
  writeChangedFields,
  writeCreatedFields,
  writeEvents,
  writeSnapshotHead,
} from './snapshot.js';
import type { QueuedEvent, SnapshotVisitor } from './snapshot.js';
import { t } from './types.js';
import type { WireValue } from './types.js';

/** The example protocol of docs/protocol.md section 12.1 (the doc shows the same declaration). */
const dots = defineProtocol({
  name: 'dots',
  components: {
    position: { x: t.float({ min: 0, max: 100, precision: 1 }), y: t.float({ min: 0, max: 100, precision: 1 }) },
    hp: { hp: t.uint({ max: 7 }) },
    motion: { x: t.float({ min: 0, max: 100, precision: 1, linear: true }) },
  },
  entities: { dot: ['position', 'hp'], comet: ['motion'] },
  input: { dx: t.int({ min: -1, max: 1 }) },
  commands: {
    dot: { heal: { amount: t.uint({ max: 7 }) }, rename: { name: t.string(16) } },
    game: { reset: {} },
  },
  events: { popped: { id: t.ref() }, scored: { points: t.varuint() } },
  join: { team: t.uint({ max: 3 }), password: t.string(16) },
});

/** The example session protocol of docs/protocol.md section 12.19 (the doc shows the same declaration). */
const crew = defineProtocol({
  name: 'crew',
  components: { hull: { hp: t.uint({ max: 7 }) } },
  entities: { ship: ['hull'] },
  session: {
    roles: ['pilot', 'gunner'],
    maxGroups: 4,
    options: { ships: t.uint({ max: 4 }), hard: t.bool() },
    results: { session: { won: t.bool() }, group: { kills: t.uint({ max: 15 }) }, member: { shots: t.uint({ max: 15 }) } },
  },
});

/** Golden frames the spec must contain (it may contain more; those are checked too). */
const REQUIRED_GOLDENS = [
  'hello',
  'hello-create',
  'input',
  'command',
  'ping-seq7',
  'chat',
  'ack-tick42',
  'ack-tick0',
  'leave',
  'welcome',
  'snapshot-full',
  'snapshot-delta',
  'snapshot-linear',
  'command-result',
  'pong-seq7',
  'event',
  'chat-message',
  'error-room-full',
  'session-claim',
  'session-state',
  'session-event-seat',
  'session-event-results',
];

/** Message kinds whose golden frames use the `crew` protocol (sessions). */
const CREW_KINDS: readonly number[] = [Kind.SESSION, Kind.SESSION_STATE, Kind.SESSION_EVENT];

/* ------------------------------------------------------------------------------------------ */
/* Reading the doc                                                                             */
/* ------------------------------------------------------------------------------------------ */

const DOC = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8').replace(/\r\n/g, '\n');

interface Block {
  lang: string;
  name: string;
  body: string;
}

const BLOCKS: Block[] = [...DOC.matchAll(/^```(\w+) golden=([\w-]+)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({
  lang: m[1]!,
  name: m[2]!,
  body: m[3]!.replace(/\n$/, ''),
}));

function block(lang: string, name: string): string {
  const found = BLOCKS.filter((b) => b.lang === lang && b.name === name);
  if (found.length !== 1) throw new Error(`docs/protocol.md needs exactly one \`\`\`${lang} golden=${name} block, found ${found.length}`);
  return found[0]!.body;
}

function parseHex(text: string, what: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(compact)) throw new Error(`${what}: not a list of hex bytes: ${text}`);
  return Uint8Array.from(compact.match(/../g)!, (h) => parseInt(h, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Splits a markdown table row into trimmed cells (escaped pipes stay inside their cell). */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Rows (cells, backticks removed) of the markdown table that follows an HTML comment marker. */
function tableAfter(marker: string): string[][] {
  const at = DOC.indexOf(marker);
  if (at < 0) throw new Error(`docs/protocol.md has no ${marker}`);
  const lines = DOC.slice(at + marker.length).split('\n');
  let i = 0;
  while (i < lines.length && !lines[i]!.trim().startsWith('|')) {
    if (lines[i]!.trim() !== '') throw new Error(`${marker} must be followed by a table`);
    i++;
  }
  const rows: string[][] = [];
  for (; i < lines.length && lines[i]!.trim().startsWith('|'); i++) rows.push(cells(lines[i]!));
  if (rows.length < 2 || !rows[1]!.every((c) => /^:?-+:?$/.test(c))) throw new Error(`${marker}: malformed table`);
  return rows.slice(2).map((r) => r.map((c) => c.replace(/`/g, '')));
}

/* ------------------------------------------------------------------------------------------ */
/* JSON helpers (the doc's messages are plain JSON)                                           */
/* ------------------------------------------------------------------------------------------ */

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be an object`);
  return v as Json;
}
function num(o: Json, k: string): number {
  const v = o[k];
  if (typeof v !== 'number') throw new Error(`'${k}' must be a number`);
  return v;
}
function str(o: Json, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`'${k}' must be a string`);
  return v;
}
function bool(o: Json, k: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new Error(`'${k}' must be a boolean`);
  return v;
}
function arr(o: Json, k: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new Error(`'${k}' must be an array`);
  return v;
}
function nums(o: Json, k: string): number[] {
  return arr(o, k).map((v) => {
    if (typeof v !== 'number') throw new Error(`'${k}' must hold numbers`);
    return v;
  });
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding a documented message, and decoding a frame back into the doc's JSON form          */
/* ------------------------------------------------------------------------------------------ */

const frames = new FrameEncoder();
const codec = new MessageCodec(dots);
const crewCodec = new MessageCodec(crew);

function fieldKey(type: EntityTypeInfo, i: number): string {
  const f = type.fields[i]!;
  return `${f.component}.${f.name}`;
}

function encodeSnapshot(m: Json): Uint8Array {
  const tick = num(m, 'tick');
  const w = new BitWriter();
  writeSnapshotHead(w, dots.entityTypeBits, tick, num(m, 'ackInput'));
  const records = arr(m, 'records').map((r, i) => obj(r, `records[${i}]`));
  const body = new SnapshotBodyWriter(w, dots.entityTypeBits);
  body.begin(tick, num(m, 'baselineTick'), nums(m, 'removed'), records.length);
  for (const rec of records) {
    const type = dots.entityType(str(rec, 'type'));
    const fields = obj(rec.fields, 'fields');
    const wire: WireValue[] = [];
    const rates: number[] = [];
    const keyTicks: number[] = [];
    let mask = 0;
    type.fields.forEach((f, i) => {
      const v = fields[fieldKey(type, i)];
      wire.push(0);
      rates.push(0);
      keyTicks.push(tick);
      if (v === undefined) return;
      mask |= 1 << i;
      if (f.type.linear) {
        const k = obj(v, fieldKey(type, i));
        wire[i] = num(k, 'value');
        rates[i] = num(k, 'rate');
        keyTicks[i] = num(k, 'keyTick');
      } else {
        if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') throw new Error(`bad wire value for ${fieldKey(type, i)}`);
        wire[i] = v;
      }
    });
    body.recordHeader(num(rec, 'id'), bool(rec, 'created'));
    if (bool(rec, 'created')) {
      // A created record that lists every field is the complete form; fewer is a partial creation.
      writeCreatedFields(w, dots.entityTypeBits, type, mask, wire, rates, keyTicks, tick);
    } else {
      writeChangedFields(w, type, mask >>> 0, wire, rates, keyTicks, tick);
    }
  }
  expect(body.done).toBe(true);
  const events: QueuedEvent[] = arr(m, 'events').map((e, i) => {
    const ev = obj(e, `events[${i}]`);
    const info = dots.event(str(ev, 'name'));
    if (!info) throw new Error(`undeclared event ${str(ev, 'name')}`);
    return { info, payload: obj(ev.payload, 'payload') };
  });
  writeEvents(w, events);
  return w.toBytes();
}

/** Encodes a documented message with our encoder. */
function encode(m: Json): Uint8Array {
  switch (str(m, 'kind')) {
    case 'hello': {
      const rt = m.resumeToken;
      return frames.hello({
        room: str(m, 'room'),
        name: str(m, 'name'),
        token: str(m, 'token'),
        resumeToken: rt === null ? undefined : parseHex(str(m, 'resumeToken'), 'resumeToken'),
        protocolHash: num(m, 'protocolHash'),
        create: bool(m, 'create'),
        options: encodeJoinOptions(dots, obj(m.options, 'options')),
      });
    }
    case 'input': {
      const inputs: InputEntry<Record<string, unknown>>[] = arr(m, 'inputs').map((e, i) => {
        const entry = obj(e, `inputs[${i}]`);
        return { seq: num(entry, 'seq'), time: num(entry, 'time'), input: obj(entry.input, 'input') };
      });
      return codec.input(num(m, 'ackTick'), inputs);
    }
    case 'command':
      return codec.command(num(m, 'seq'), str(m, 'feature'), str(m, 'action'), num(m, 'entity'), num(m, 'time'), obj(m.payload, 'payload'));
    case 'ping':
      return frames.ping(num(m, 'seq'), num(m, 'clientTime'));
    case 'chat':
      return frames.chat(str(m, 'text'));
    case 'ack':
      return frames.ack(num(m, 'tick'));
    case 'leave':
      return frames.leave();
    case 'welcome':
      return frames.welcome({
        room: str(m, 'room'),
        clientId: num(m, 'clientId'),
        entity: num(m, 'entity'),
        tickRate: num(m, 'tickRate'),
        snapshotRate: num(m, 'snapshotRate'),
        tick: num(m, 'tick'),
        tickEpoch: num(m, 'tickEpoch'),
        serverTime: num(m, 'serverTime'),
        resumeToken: parseHex(str(m, 'resumeToken'), 'resumeToken'),
        metadata: str(m, 'metadata'),
        resumed: m['resumed'] === true,
      });
    case 'snapshot':
      return encodeSnapshot(m);
    case 'commandResult':
      return frames.commandResult(num(m, 'seq'), { ok: bool(m, 'ok'), code: num(m, 'code'), message: str(m, 'message') });
    case 'pong':
      return frames.pong(num(m, 'seq'), { clientTime: num(m, 'clientTime'), serverTime: num(m, 'serverTime') });
    case 'event':
      return codec.event(num(m, 'seq'), str(m, 'name'), obj(m.payload, 'payload'));
    case 'chatMessage':
      return frames.chatMessage({ from: num(m, 'from'), name: str(m, 'name'), text: str(m, 'text') });
    case 'error':
      return frames.error(num(m, 'seq'), { code: num(m, 'code'), fatal: bool(m, 'fatal'), message: str(m, 'message') });
    // The session messages' JSON is their decoded form; the codec checks every value as it writes.
    case 'session':
      return crewCodec.session(num(m, 'seq'), obj(m.request, 'request') as SessionRequest);
    case 'sessionState':
      return crewCodec.sessionState(obj(m.state, 'state') as SessionStateBody);
    case 'sessionEvent':
      return crewCodec.sessionEvent(obj(m.event, 'event') as SessionEventBody);
    default:
      throw new Error(`no encoder for kind '${str(m, 'kind')}'`);
  }
}

function clientJson(msg: ClientMessage): Json {
  switch (msg.kind) {
    case 'hello':
      return {
        kind: 'hello',
        seq: msg.seq,
        room: msg.room,
        name: msg.name,
        token: msg.token,
        resumeToken: msg.resumeToken === undefined ? null : toHex(msg.resumeToken),
        protocolHash: msg.protocolHash,
        create: msg.create,
        // The doc shows the options as the values they decode to with the example's join struct.
        options: decodeJoinOptions(dots, msg.options),
      };
    case 'input':
      return { kind: 'input', seq: msg.seq, ackTick: msg.ackTick, inputs: msg.inputs.map((e) => ({ seq: e.seq, time: e.time, input: e.input })) };
    case 'command':
      return {
        kind: 'command',
        seq: msg.seq,
        feature: msg.command.feature,
        action: msg.command.action,
        entity: msg.entity,
        time: msg.time,
        payload: msg.payload,
      };
    case 'ping':
      return { kind: 'ping', seq: msg.seq, clientTime: msg.clientTime };
    case 'chat':
      return { kind: 'chat', seq: msg.seq, text: msg.text };
    case 'ack':
      return { kind: 'ack', seq: msg.seq, tick: msg.tick };
    case 'leave':
      return { kind: 'leave', seq: msg.seq };
    case 'session':
      return { kind: 'session', seq: msg.seq, request: msg.request };
  }
}

/** A snapshot visitor that records what it is told, in the doc's JSON form. */
class RecordingView implements SnapshotVisitor {
  full = false;
  baselineTick = -1;
  readonly removed: number[] = [];
  readonly records: Json[] = [];

  constructor(private readonly holds: Json) {}

  typeOf(id: number): EntityTypeInfo | undefined {
    const name = this.holds[String(id)];
    return typeof name === 'string' ? dots.entityType(name) : undefined;
  }

  begin(full: boolean, baselineTick: number): void {
    this.full = full;
    this.baselineTick = baselineTick;
  }

  remove(id: number): void {
    this.removed.push(id);
  }

  create(id: number, type: EntityTypeInfo, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[], mask: number): void {
    this.records.push({ id, created: true, type: type.name, fields: this.fields(type, mask, wire, rates, keyTicks) });
  }

  update(id: number, type: EntityTypeInfo, mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): void {
    this.records.push({ id, created: false, type: type.name, fields: this.fields(type, mask, wire, rates, keyTicks) });
  }

  private fields(type: EntityTypeInfo, mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): Json {
    const out: Json = {};
    type.fields.forEach((f, i) => {
      if (mask !== -1 && (mask & (1 << i)) === 0) return;
      out[fieldKey(type, i)] = f.type.linear ? { value: wire[i], rate: rates[i], keyTick: keyTicks[i] } : wire[i];
    });
    return out;
  }
}

/** Decodes a frame with our decoder into the doc's JSON form. `doc` supplies what is not on the wire. */
function decode(frame: Uint8Array, doc: Json): Json {
  const kind = frame[1];
  if (kind !== undefined && CREW_KINDS.includes(kind)) {
    return kind < 0x40 ? clientJson(crewCodec.decodeClient(frame)) : { ...decodeServer(frame, crew) };
  }
  if (kind !== undefined && kind < 0x40) {
    const msg = codec.decodeClient(frame);
    if (msg.kind === 'hello') expect(clientJson({ kind: 'hello', ...decodeHello(frame) })).toEqual(clientJson(msg));
    return clientJson(msg);
  }
  const msg = decodeServer(frame, dots);
  switch (msg.kind) {
    case 'snapshot': {
      const holds = doc.view === undefined ? {} : obj(doc.view, 'view');
      const view = new RecordingView(holds);
      const baselineTick = readSnapshotBody(msg.reader, dots, msg.tick, view);
      expect(view.baselineTick).toBe(baselineTick);
      expect(view.full).toBe(baselineTick === 0);
      const events = readEvents(msg.reader, dots);
      msg.reader.expectEnd();
      return {
        kind: 'snapshot',
        tick: msg.tick,
        ackInput: msg.ackInput,
        baselineTick,
        ...(doc.view === undefined ? {} : { view: holds }),
        removed: view.removed,
        records: view.records,
        events,
      };
    }
    case 'welcome':
      return { ...msg, resumeToken: toHex(msg.resumeToken) };
    default:
      return { ...msg };
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Breakdown tables                                                                            */
/* ------------------------------------------------------------------------------------------ */

function bitAt(frame: Uint8Array, p: number): string {
  return String((frame[p >> 3]! >> (p & 7)) & 1);
}

function checkBreakdown(name: string, frame: Uint8Array): void {
  const rows = tableAfter(`<!-- breakdown golden=${name} -->`);
  expect(rows.length, `breakdown of ${name} has rows`).toBeGreaterThan(0);
  let next = 0;
  for (const row of rows) {
    const range = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(row[0] ?? '');
    if (!range) throw new Error(`breakdown of ${name}: bad bit range '${row[0]}'`);
    const start = Number(range[1]);
    const end = range[2] === undefined ? start : Number(range[2]);
    expect(start, `breakdown of ${name}: row '${row.join(' | ')}' starts where the previous one ended`).toBe(next);
    const bits = (row[1] ?? '').replace(/\s+/g, '');
    expect(bits, `breakdown of ${name}: wire bits of row '${row.join(' | ')}'`).toMatch(/^[01]+$/);
    expect(bits.length, `breakdown of ${name}: bit count of row '${row.join(' | ')}'`).toBe(end - start + 1);
    let actual = '';
    for (let p = start; p <= end; p++) actual += bitAt(frame, p);
    expect(bits, `breakdown of ${name}: row '${row.join(' | ')}' against the frame`).toBe(actual);
    next = end + 1;
  }
  expect(next, `breakdown of ${name} covers the whole frame`).toBe(frame.length * 8);
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */
/* ------------------------------------------------------------------------------------------ */

const GOLDEN_NAMES = BLOCKS.filter((b) => b.lang === 'hex').map((b) => b.name);

describe('docs/protocol.md golden frames', () => {
  it('contains every required golden frame, each with its message and breakdown', () => {
    for (const name of REQUIRED_GOLDENS) expect(GOLDEN_NAMES, `golden '${name}'`).toContain(name);
    expect(new Set(GOLDEN_NAMES).size).toBe(GOLDEN_NAMES.length);
    for (const name of GOLDEN_NAMES) {
      expect(() => block('json', name)).not.toThrow();
      expect(DOC).toContain(`<!-- breakdown golden=${name} -->`);
    }
  });

  describe.each(GOLDEN_NAMES)('%s', (name) => {
    // Parsed inside each test, so a malformed block fails its own tests, not the whole file.
    const frame = (): Uint8Array => parseHex(block('hex', name), name);
    const message = (): Json => obj(JSON.parse(block('json', name)) as unknown, `json golden=${name}`);

    it('encoding the documented message gives the documented bytes', () => {
      expect(toHex(encode(message()))).toBe(toHex(frame()));
    });

    it('decoding the documented bytes gives the documented message', () => {
      const m = message();
      expect(decode(frame(), m)).toEqual(m);
    });

    it('has a breakdown table that matches the bytes bit for bit', () => {
      checkBreakdown(name, frame());
    });

    it(`starts with the version-${PROTOCOL_VERSION} envelope`, () => {
      const f = frame();
      expect(f[0]).toBe(PROTOCOL_VERSION);
      expect(Object.values(Kind)).toContain(f[1]);
    });
  });
});

describe('docs/protocol.md tables', () => {
  it('section 12.1: the example protocol tables, description and hash', () => {
    expect(block('text', 'dots-describe')).toBe(dots.describe());
    const doc = obj(JSON.parse(block('json', 'dots-protocol')) as unknown, 'dots-protocol');
    expect(doc).toEqual({
      name: dots.name,
      hash: `0x${dots.hash.toString(16).padStart(8, '0')}`,
      entityTypeBits: dots.entityTypeBits,
      entityTypes: dots.entityTypes.map((et) => ({ index: et.index, name: et.name, fields: et.fields.map((f) => `${f.component}.${f.name}`) })),
      commands: dots.commands.map((c) => ({ feature: c.feature, action: c.action, featureIndex: c.featureIndex, actionIndex: c.actionIndex })),
      events: dots.events.map((e) => ({ name: e.name, index: e.index })),
    });
    expect(fnv1a(block('text', 'dots-describe'))).toBe(dots.hash);
  });

  it('section 12.19: the example session protocol description and hash', () => {
    expect(block('text', 'crew-describe')).toBe(crew.describe());
    expect(block('text', 'crew-hash')).toBe(`0x${crew.hash.toString(16).padStart(8, '0')}`);
  });

  it('section 4.2: the message kinds', () => {
    const rows = tableAfter('<!-- table kinds -->');
    const documented = Object.fromEntries(rows.map((r) => [r[1]!, parseInt(r[0]!, 16)]));
    expect(documented).toEqual({ ...Kind });
    for (const r of rows) expect(r[0]).toMatch(/^0x[0-9a-f]{2}$/);
  });

  it('section 10.1: the error codes', () => {
    const rows = tableAfter('<!-- table error-codes -->');
    expect(Object.fromEntries(rows.map((r) => [r[1]!, Number(r[0])]))).toEqual({ ...ErrorCode });
    expect(rows.map((r) => Number(r[0]))).toEqual([...rows.map((r) => Number(r[0]))].sort((a, b) => a - b));
  });

  it('section 10.2: the WebSocket close codes', () => {
    const rows = tableAfter('<!-- table close-codes -->');
    expect(Object.fromEntries(rows.map((r) => [r[1]!, Number(r[0])]))).toEqual({ ...CloseCode });
  });

  it('section 11.1: the wire limits', () => {
    const rows = tableAfter('<!-- table limits -->');
    expect(Object.fromEntries(rows.map((r) => [r[0]!, Number(/^\d+/.exec(r[1]!)?.[0])]))).toEqual({ ...LIMITS });
  });

  it('sections 3.3 to 3.5: the primitive encoding examples', () => {
    const streamBits = (w: BitWriter): string => {
      const bytes = w.toBytes();
      let s = '';
      for (let p = 0; p < w.bitLength; p++) s += bitAt(bytes, p);
      return s;
    };
    const gamma = tableAfter('<!-- table gamma -->');
    const signed = tableAfter('<!-- table signed-gamma -->');
    const leb = tableAfter('<!-- table leb128 -->');
    expect(gamma.length * signed.length * leb.length).toBeGreaterThan(0);
    for (const [value, bits] of gamma) {
      const w = new BitWriter();
      w.writeGamma(Number(value));
      expect(streamBits(w), `gamma(${value})`).toBe(bits);
    }
    for (const [value, bits] of signed) {
      const w = new BitWriter();
      w.writeSignedGamma(Number(value));
      expect(streamBits(w), `signed gamma(${value})`).toBe(bits);
    }
    for (const [value, bytes] of leb) {
      const w = new BitWriter();
      w.writeVarUint(Number(value));
      expect(toHex(w.toBytes()), `LEB128(${value})`).toBe(bytes!.replace(/\s+/g, ''));
    }
  });
});
