import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from './bits.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { LIMITS, decodeServer } from './messages.js';
import type { EntityTypeInfo } from './schema.js';
import { defineProtocol } from './schema.js';
import type { QueuedEvent, SnapshotVisitor } from './snapshot.js';
import {
  SnapshotBodyWriter,
  readEvent,
  readEvents,
  readSnapshotBody,
  readSnapshotHead,
  allFieldsMask,
  writeChangedFields,
  writeCreatedFields,
  writeEvents,
  writeFullFields,
  writeSnapshotHead,
} from './snapshot.js';
import type { AnyField, FieldType, WireValue } from './types.js';
import { linearAt, optional, t } from './types.js';

const wide: Record<string, FieldType<number>> = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`w${i}`, t.uint(3)]));

const game = defineProtocol({
  name: 'snapshot-test',
  components: {
    pos: { x: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }), y: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }) },
    body: {
      hp: t.uint({ max: 100 }),
      alive: t.bool(),
      name: t.string(12),
      kind: t.enum(['a', 'b', 'c']),
      owner: optional(t.ref()),
      mass: t.f64(),
    },
    wide,
  },
  // Five types: 3 bits of type index, so indices 5..7 are undeclared.
  entities: { ship: ['pos', 'body'], rock: ['pos'], marker: ['body'], wide: ['wide'], empty: [] },
  events: { hit: { target: t.ref(), damage: t.uint(8) }, boom: {}, say: { text: t.string(20) } },
});

const ship = game.entityType('ship');
const rock = game.entityType('rock');
const marker = game.entityType('marker');
const wideType = game.entityType('wide');
const empty = game.entityType('empty');
const TYPE_BITS = game.entityTypeBits;

function expectProtocolError(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe(code);
}

type Logged =
  | { op: 'begin'; full: boolean; baselineTick: number }
  | { op: 'remove'; id: number }
  | { op: 'create'; id: number; type: string; mask: number; wire: WireValue[]; rates: number[]; keyTicks: number[] }
  | { op: 'update'; id: number; type: string; mask: number; fields: [index: number, wire: WireValue, rate: number, keyTick: number][] };

/** A client view that records every call, copying the scratch arrays it is handed. */
class Recorder implements SnapshotVisitor {
  readonly log: Logged[] = [];

  constructor(readonly held = new Map<number, EntityTypeInfo>()) {}

  typeOf(id: number): EntityTypeInfo | undefined {
    return this.held.get(id);
  }

  begin(full: boolean, baselineTick: number): void {
    if (full) this.held.clear();
    this.log.push({ op: 'begin', full, baselineTick });
  }

  remove(id: number): void {
    this.held.delete(id);
    this.log.push({ op: 'remove', id });
  }

  /** Logs the carried fields only (all of them, or a partial creation's masked ones), in order. */
  create(id: number, type: EntityTypeInfo, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[], mask: number): void {
    const carried = type.fields.map((_, i) => i).filter((i) => mask === -1 || (mask & (1 << i)) !== 0);
    this.held.set(id, type);
    this.log.push({ op: 'create', id, type: type.name, mask, wire: carried.map((i) => wire[i]!), rates: carried.map((i) => rates[i]!), keyTicks: carried.map((i) => keyTicks[i]!) });
  }

  update(id: number, type: EntityTypeInfo, mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): void {
    const fields: [number, WireValue, number, number][] = [];
    for (let i = 0; i < type.fields.length; i++) if (mask & (1 << i)) fields.push([i, wire[i]!, rates[i]!, keyTicks[i]!]);
    this.log.push({ op: 'update', id, type: type.name, mask, fields });
  }
}

interface RecordSpec {
  id: number;
  type: EntityTypeInfo;
  /** undefined: a created record; else an update of the masked fields. */
  mask?: number;
  /** A created record's fields: undefined for every field, else a partial creation's mask. */
  createMask?: number;
  wire: WireValue[];
  /** Per field; only linear fields' entries go on the wire. */
  rates?: number[];
  keyTicks?: number[];
}

interface BodySpec {
  tick: number;
  baselineTick: number;
  removed: number[];
  records: RecordSpec[];
}

function writeBody(w: BitWriter, spec: BodySpec): void {
  const body = new SnapshotBodyWriter(w, TYPE_BITS);
  body.begin(spec.tick, spec.baselineTick, spec.removed, spec.records.length);
  for (const r of spec.records) {
    body.recordHeader(r.id, r.mask === undefined);
    const n = r.type.fields.length;
    const rates = r.rates ?? new Array<number>(n).fill(0);
    const keyTicks = r.keyTicks ?? new Array<number>(n).fill(spec.tick);
    if (r.mask === undefined && r.createMask === undefined) writeFullFields(w, TYPE_BITS, r.type, r.wire, rates, keyTicks, spec.tick);
    else if (r.mask === undefined) writeCreatedFields(w, TYPE_BITS, r.type, r.createMask!, r.wire, rates, keyTicks, spec.tick);
    else writeChangedFields(w, r.type, r.mask, r.wire, rates, keyTicks, spec.tick);
  }
  expect(body.done).toBe(true);
}

/** A body followed by its events (none by default), as a snapshot frame carries them. */
function encodeBody(spec: BodySpec, events: readonly QueuedEvent[] = []): Uint8Array {
  const w = new BitWriter();
  writeBody(w, spec);
  writeEvents(w, events);
  return w.toBytes();
}

/** What the reader should report: rates and key ticks only for linear fields (0 / tick otherwise). */
function expectedLog(spec: BodySpec): Logged[] {
  const log: Logged[] = [{ op: 'begin', full: spec.baselineTick === 0, baselineTick: spec.baselineTick }];
  for (const id of spec.removed) log.push({ op: 'remove', id });
  for (const r of spec.records) {
    const lin = (i: number) => r.type.fields[i]!.type.linear;
    const rate = (i: number) => (lin(i) ? r.rates![i]! : 0);
    const keyTick = (i: number) => (lin(i) ? r.keyTicks![i]! : spec.tick);
    if (r.mask === undefined) {
      // A mask naming every field is sent (and read back) as the complete form.
      const all = allFieldsMask(r.type);
      const mask = r.createMask === undefined || (r.createMask & all) === all ? -1 : (r.createMask & all) >>> 0;
      const idx = r.type.fields.map((_, i) => i).filter((i) => mask === -1 || (mask & (1 << i)) !== 0);
      log.push({ op: 'create', id: r.id, type: r.type.name, mask, wire: idx.map((i) => r.wire[i]!), rates: idx.map(rate), keyTicks: idx.map(keyTick) });
    } else {
      const fields: [number, WireValue, number, number][] = [];
      for (let i = 0; i < r.type.fields.length; i++) if (r.mask & (1 << i)) fields.push([i, r.wire[i]!, rate(i), keyTick(i)]);
      log.push({ op: 'update', id: r.id, type: r.type.name, mask: r.mask >>> 0, fields });
    }
  }
  return log;
}

function decodeBody(bytes: Uint8Array, tick: number, visitor: Recorder): number {
  const r = new BitReader(bytes);
  const baseline = readSnapshotBody(r, game, tick, visitor);
  readEvents(r, game);
  r.expectEnd();
  return baseline;
}

/** ship wire values: x, y, hp, alive, name, kind, owner, mass */
const shipWire = (x: number, hp: number, name: string): WireValue[] => [x, 5000, hp, true, name, 2, null, 72.5];

describe('snapshot body round trips', () => {
  it('full snapshot: every entity created, rates and key frames for linear fields', () => {
    const tick = 1000;
    const spec: BodySpec = {
      tick,
      baselineTick: 0,
      removed: [],
      records: [
        { id: 1, type: ship, wire: shipWire(100, 90, 'alpha'), rates: [37, -5, 0, 0, 0, 0, 0, 0], keyTicks: [988, 1000, 1000, 1000, 1000, 1000, 1000, 1000] },
        { id: 2, type: rock, wire: [0, 10000], rates: [0, 160], keyTicks: [1, 999] },
        { id: 40, type: marker, wire: [0, false, 'ünïcødé', 0, 7, -0] },
        { id: 41, type: empty, wire: [] },
        { id: 1_000_000, type: wideType, wire: Array.from({ length: 32 }, (_, i) => i % 8) },
      ],
    };
    const rec = new Recorder();
    expect(decodeBody(encodeBody(spec), tick, rec)).toBe(0);
    expect(rec.log).toEqual(expectedLog(spec));
    // Spot-check the expectation itself, so a bug shared by it and the codec cannot hide.
    expect(rec.log[1]).toEqual({
      op: 'create',
      id: 1,
      type: 'ship',
      mask: -1,
      wire: [100, 5000, 90, true, 'alpha', 2, null, 72.5],
      rates: [37, -5, 0, 0, 0, 0, 0, 0],
      keyTicks: [988, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    });
    expect(Object.is((rec.log[3] as { wire: WireValue[] }).wire[5], -0)).toBe(true); // f64 keeps -0
  });

  it('delta: removals in order, updates of the masked fields only, new entities', () => {
    const tick = 200;
    const held = new Map<number, EntityTypeInfo>([
      [5, ship],
      [9, rock],
      [3, rock],
      [4, marker],
      [50, ship],
    ]);
    const spec: BodySpec = {
      tick,
      baselineTick: 190,
      removed: [3, 4, 50],
      records: [
        // x (linear, bit 0) and hp (bit 2) changed
        { id: 5, type: ship, mask: 0b101, wire: [123, 0, 55, false, '', 0, null, 0], rates: [-16, 0, 0, 0, 0, 0, 0, 0], keyTicks: [195, 0, 0, 0, 0, 0, 0, 0] },
        { id: 7, type: marker, wire: [100, true, 'new', 1, 5, 1.5] },
        { id: 9, type: rock, mask: 0, wire: [0, 0] },
      ],
    };
    const rec = new Recorder(held);
    expect(decodeBody(encodeBody(spec), tick, rec)).toBe(190);
    expect(rec.log).toEqual(expectedLog(spec));
    expect(rec.log.slice(0, 4)).toEqual([
      { op: 'begin', full: false, baselineTick: 190 },
      { op: 'remove', id: 3 },
      { op: 'remove', id: 4 },
      { op: 'remove', id: 50 },
    ]);
    expect(rec.log[4]).toEqual({
      op: 'update',
      id: 5,
      type: 'ship',
      mask: 0b101,
      fields: [
        [0, 123, -16, 195],
        [2, 55, 0, 200],
      ],
    });
    expect([...rec.held.keys()].sort((a, b) => a - b)).toEqual([5, 7, 9]);
  });

  it('update mask covers all 32 fields, including bit 31', () => {
    const tick = 10;
    const wire = Array.from({ length: 32 }, (_, i) => 7 - (i % 8));
    const spec: BodySpec = { tick, baselineTick: 9, removed: [], records: [{ id: 3, type: wideType, mask: 0x80000001, wire }] };
    const rec = new Recorder(new Map([[3, wideType]]));
    decodeBody(encodeBody(spec), tick, rec);
    expect(rec.log[1]).toEqual({
      op: 'update',
      id: 3,
      type: 'wide',
      mask: 0x80000001,
      fields: [
        [0, 7, 0, 10],
        [31, 0, 0, 10],
      ],
    });
    const all: BodySpec = { tick, baselineTick: 9, removed: [], records: [{ id: 3, type: wideType, mask: 0xffffffff, wire }] };
    const rec2 = new Recorder(new Map([[3, wideType]]));
    decodeBody(encodeBody(all), tick, rec2);
    expect(rec2.log).toEqual(expectedLog(all));
  });

  it('partial creations carry a field mask and only the fields it names (interest tiers)', () => {
    const tick = 50;
    // A far ship: its position only (x linear, y); a wide entity with fields 0 and 31.
    const wideWire = Array.from({ length: 32 }, (_, i) => i % 8);
    const spec: BodySpec = {
      tick,
      baselineTick: 48,
      removed: [],
      records: [
        { id: 4, type: ship, createMask: 0b11, wire: shipWire(300, 0, ''), rates: [8, 0, 0, 0, 0, 0, 0, 0], keyTicks: [45, 50, 50, 50, 50, 50, 50, 50] },
        { id: 6, type: wideType, createMask: 0x80000001, wire: wideWire },
        { id: 7, type: rock, createMask: 0b11, wire: [1, 2] },
        { id: 8, type: marker, createMask: 0, wire: [0, false, '', 0, null, 0] },
      ],
    };
    const bytes = encodeBody(spec);
    const rec = new Recorder();
    decodeBody(bytes, tick, rec);
    expect(rec.log.slice(1)).toEqual([
      { op: 'create', id: 4, type: 'ship', mask: 0b11, wire: [300, 5000], rates: [8, 0], keyTicks: [45, 50] },
      { op: 'create', id: 6, type: 'wide', mask: 0x80000001, wire: [0, 7], rates: [0, 0], keyTicks: [50, 50] },
      // A mask naming every field is the complete form: one bit, no mask on the wire.
      { op: 'create', id: 7, type: 'rock', mask: -1, wire: [1, 2], rates: [0, 0], keyTicks: [50, 50] },
      { op: 'create', id: 8, type: 'marker', mask: 0, wire: [], rates: [], keyTicks: [] },
    ]);
    // The far ship costs its mask (8 bits) and two fields, not its whole state.
    const complete = encodeBody({ ...spec, records: [{ ...spec.records[0]!, createMask: undefined }] });
    const partial = encodeBody({ ...spec, records: [spec.records[0]!] });
    expect(partial.length).toBeLessThan(complete.length);
  });

  it('linear fields: the key frame value, rate and age give the value at any tick', () => {
    // Server: x was 500.0 (wire 5000) at tick 90, moving +0.25 wire steps/tick (rate 4/16).
    const tick = 100;
    const x = rock.fields[0]!.type;
    const spec: BodySpec = { tick, baselineTick: 0, removed: [], records: [{ id: 1, type: rock, wire: [5000, 10000], rates: [4, 1000], keyTicks: [90, 100] }] };
    const rec = new Recorder();
    decodeBody(encodeBody(spec), tick, rec);
    const c = rec.log[1];
    if (c?.op !== 'create') throw new Error('expected a create');
    expect(linearAt(c.wire[0] as number, c.rates[0]!, tick - c.keyTicks[0]!, x.maxWire)).toBe(5003); // 5000 + round(2.5)
    expect(linearAt(c.wire[1] as number, c.rates[1]!, 5, x.maxWire)).toBe(10000); // clamped at max
  });

  it('events follow the body', () => {
    const events: QueuedEvent[] = [
      { info: game.event('hit')!, payload: { target: 12, damage: 250 } },
      { info: game.event('boom')!, payload: {} },
      { info: game.event('say')!, payload: { text: 'gg wp 🎉' } },
    ];
    const w = new BitWriter();
    writeBody(w, { tick: 5, baselineTick: 0, removed: [], records: [] });
    writeEvents(w, events);
    const r = new BitReader(w.toBytes());
    readSnapshotBody(r, game, 5, new Recorder());
    expect(readEvents(r, game)).toEqual([
      { name: 'hit', payload: { target: 12, damage: 250 } },
      { name: 'boom', payload: {} },
      { name: 'say', payload: { text: 'gg wp 🎉' } },
    ]);
    r.expectEnd();

    const one = new BitWriter();
    one.writeGamma(0);
    game.event('hit')!.payload.write(one, { target: 1, damage: 2 });
    expect(readEvent(new BitReader(one.toBytes()), game)).toEqual({ name: 'hit', payload: { target: 1, damage: 2 } });
  });

  it('a body encoded once can be appended behind any client head', () => {
    // The server shares one body between clients with the same baseline: copy, no re-encode.
    const bodyW = new BitWriter();
    writeBody(bodyW, { tick: 300, baselineTick: 0, removed: [], records: [{ id: 2, type: rock, wire: [1, 2], rates: [3, 4], keyTicks: [300, 299] }] });
    for (const ackInput of [0, 127, 128, 1 << 40]) {
      const w = new BitWriter();
      writeSnapshotHead(w, game.entityTypeBits, 300, ackInput);
      expect(w.bitLength % 8).toBe(0);
      w.appendBits(bodyW.view(), bodyW.bitLength);
      writeEvents(w, []);
      const msg = decodeServer(w.toBytes(), game);
      if (msg.kind !== 'snapshot') throw new Error('expected a snapshot');
      expect(msg.ackInput).toBe(ackInput);
      const rec = new Recorder();
      readSnapshotBody(msg.reader, game, msg.tick, rec);
      expect(readEvents(msg.reader, game)).toEqual([]);
      msg.reader.expectEnd();
      expect(rec.log[1]).toEqual({ op: 'create', id: 2, type: 'rock', mask: -1, wire: [1, 2], rates: [3, 4], keyTicks: [300, 299] });
    }
  });

  it('readSnapshotHead reads ackInput (the low bit of the head flags own state)', () => {
    const w = new BitWriter();
    w.writeVarUint(99999 * 2);
    expect(readSnapshotHead(new BitReader(w.toBytes()), game)).toEqual({ ackInput: 99999, own: [] });
  });

  it('carries the exact own state in the head, byte-aligned, ahead of the shared body', () => {
    const w = new BitWriter();
    const own = [{ id: 7, type: rock, wire: [12, 34] }];
    writeSnapshotHead(w, game.entityTypeBits, 300, 5, own);
    expect(w.bitLength % 8).toBe(0);
    const bodyW = new BitWriter();
    writeBody(bodyW, { tick: 300, baselineTick: 0, removed: [], records: [] });
    w.appendBits(bodyW.view(), bodyW.bitLength);
    writeEvents(w, []);
    const msg = decodeServer(w.toBytes(), game);
    if (msg.kind !== 'snapshot') throw new Error('expected a snapshot');
    expect(msg.ackInput).toBe(5);
    expect(msg.own).toEqual([{ id: 7, type: rock, wire: [12, 34] }]);
    readSnapshotBody(msg.reader, game, 300, new Recorder());
    readEvents(msg.reader, game);
    msg.reader.expectEnd();
  });
});

describe('SnapshotBodyWriter checks its caller', () => {
  it('refuses more records than announced and ids that do not ascend', () => {
    const body = new SnapshotBodyWriter(new BitWriter(), TYPE_BITS);
    body.begin(1, 0, [], 2);
    expect(body.done).toBe(false);
    body.recordHeader(5, true);
    expect(() => body.recordHeader(5, true)).toThrow(RangeError);
    const body2 = new SnapshotBodyWriter(new BitWriter(), TYPE_BITS);
    body2.begin(1, 0, [], 1);
    body2.recordHeader(1, false);
    expect(body2.done).toBe(true);
    expect(() => body2.recordHeader(2, false)).toThrow(RangeError);
  });
});

describe('malformed bodies', () => {
  it('an update for an entity the view does not hold', () => {
    const bytes = encodeBody({ tick: 10, baselineTick: 9, removed: [], records: [{ id: 8, type: rock, mask: 1, wire: [1, 0], rates: [0, 0], keyTicks: [10, 10] }] });
    expectProtocolError(() => decodeBody(bytes, 10, new Recorder()), ErrorCode.VALUE_OUT_OF_RANGE);
    expectProtocolError(() => decodeBody(bytes, 10, new Recorder(new Map([[7, rock]]))), ErrorCode.VALUE_OUT_OF_RANGE);
    // The same body is fine for a view that holds entity 8.
    decodeBody(bytes, 10, new Recorder(new Map([[8, rock]])));
  });

  it('an undeclared entity type index', () => {
    for (const ti of [5, 6, 7]) {
      const w = new BitWriter();
      const body = new SnapshotBodyWriter(w, TYPE_BITS);
      body.begin(1, 0, [], 1);
      body.recordHeader(1, true);
      w.writeBits(ti, TYPE_BITS);
      expectProtocolError(() => decodeBody(w.toBytes(), 1, new Recorder()), ErrorCode.VALUE_OUT_OF_RANGE);
    }
  });

  it('a baseline or key frame before tick 0', () => {
    const delta = encodeBody({ tick: 100, baselineTick: 10, removed: [], records: [] });
    decodeBody(delta, 90, new Recorder()); // gap 90 at tick 90: baseline tick 0 is the limit
    expectProtocolError(() => decodeBody(delta, 89, new Recorder()), ErrorCode.VALUE_OUT_OF_RANGE);
    const old = encodeBody({ tick: 100, baselineTick: 0, removed: [], records: [{ id: 1, type: rock, wire: [0, 0], rates: [1, 1], keyTicks: [0, 100] }] });
    decodeBody(old, 100, new Recorder());
    expectProtocolError(() => decodeBody(old, 99, new Recorder()), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('counts over the limit', () => {
    const removals = new BitWriter();
    removals.writeGamma(0);
    removals.writeGamma(LIMITS.snapshotItems + 1);
    expectProtocolError(() => decodeBody(removals.toBytes(), 1, new Recorder()), ErrorCode.COUNT_TOO_LARGE);
    const records = new BitWriter();
    records.writeGamma(0);
    records.writeGamma(0);
    records.writeGamma(LIMITS.snapshotItems + 1);
    expectProtocolError(() => decodeBody(records.toBytes(), 1, new Recorder()), ErrorCode.COUNT_TOO_LARGE);
    const events = new BitWriter();
    events.writeGamma(LIMITS.snapshotItems + 1);
    expectProtocolError(() => readEvents(new BitReader(events.toBytes()), game), ErrorCode.COUNT_TOO_LARGE);
  });

  it('an entity id beyond 2^32-2', () => {
    const w = new BitWriter();
    w.writeGamma(0);
    w.writeGamma(0);
    w.writeGamma(1);
    w.writeGamma(0xfffffffe); // id = 0xffffffff
    w.writeBool(true);
    expectProtocolError(() => decodeBody(w.toBytes(), 1, new Recorder()), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('an out-of-range field value', () => {
    // marker's first field is hp (max 100 in 7 bits): 127 does not decode.
    const bytes = encodeBody({ tick: 1, baselineTick: 0, removed: [], records: [{ id: 1, type: marker, wire: [127, false, '', 0, null, 0] }] });
    expectProtocolError(() => decodeBody(bytes, 1, new Recorder()), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('an undeclared event index', () => {
    const w = new BitWriter();
    w.writeGamma(1);
    w.writeGamma(3);
    expectProtocolError(() => readEvents(new BitReader(w.toBytes()), game), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('a truncated body', () => {
    const bytes = encodeBody({ tick: 1, baselineTick: 0, removed: [], records: [{ id: 1, type: ship, wire: shipWire(1, 2, 'truncate me'), rates: new Array(8).fill(0), keyTicks: new Array(8).fill(1) }] });
    for (let n = 0; n < bytes.length; n++) expectProtocolError(() => decodeBody(bytes.subarray(0, n), 1, new Recorder()), ErrorCode.TRUNCATED);
  });
});

/* Random bodies. */

/** A random wire value that `f` can encode. */
function wireArb(f: AnyField): fc.Arbitrary<WireValue> {
  if (f.describe.startsWith('optional(')) {
    // The only optional in this game wraps a ref; maxWire is the inner field's.
    return fc.option(fc.integer({ min: 0, max: f.maxWire }), { nil: null });
  }
  switch (f.kind) {
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'binary', maxLength: 6 }).map((s) => f.toWire(s));
    case 'f64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'bytes':
      return fc.uint8Array({ minLength: f.maxWire, maxLength: f.maxWire });
    default:
      return fc.integer({ min: 0, max: f.maxWire });
  }
}

const bodyArb: fc.Arbitrary<{ spec: BodySpec; held: Map<number, EntityTypeInfo> }> = fc
  .record({
    tick: fc.integer({ min: 1, max: 1_000_000 }),
    full: fc.boolean(),
    gap: fc.integer({ min: 1, max: 100 }),
    removedGaps: fc.array(fc.oneof(fc.nat(5), fc.nat(100_000)), { maxLength: 6 }),
    records: fc.array(
      fc.record({
        gap: fc.oneof(fc.nat(3), fc.nat(100_000)),
        created: fc.boolean(),
        partial: fc.boolean(),
        typeIndex: fc.nat(game.entityTypes.length - 1),
        seed: fc.nat(),
      }),
      { maxLength: 6 },
    ),
  })
  .chain(({ tick, full: wantFull, gap, removedGaps, records }) => {
    const full = wantFull || gap >= tick; // a delta needs a baseline in 1..tick-1
    let id = 0;
    const removed = removedGaps.map((g) => (id += g + 1));
    id = 0;
    const recordArbs = records.map((r) => {
      const recordId = (id += r.gap + 1);
      const type = game.entityTypes[r.typeIndex]!;
      const n = type.fields.length;
      return fc
        .record({
          wire: fc.tuple(...type.fields.map((f) => wireArb(f.type))),
          rates: fc.array(fc.oneof(fc.integer({ min: -64, max: 64 }), fc.integer({ min: -2147483647, max: 2147483647 })), { minLength: n, maxLength: n }),
          ages: fc.array(fc.integer({ min: 0, max: tick }), { minLength: n, maxLength: n }),
          mask: n === 32 ? fc.integer({ min: 0, max: 0xffffffff }) : fc.nat(2 ** n - 1),
        })
        .map(({ wire, rates, ages, mask }): RecordSpec => {
          const spec: RecordSpec = { id: recordId, type, wire, rates, keyTicks: ages.map((a) => tick - a) };
          if (!(full || r.created)) spec.mask = mask;
          else if (r.partial) spec.createMask = mask;
          return spec;
        });
    });
    return fc.tuple(...recordArbs).map((recs) => {
      // The view holds the updated entities; a removal would drop one before its update.
      const held = new Map<number, EntityTypeInfo>(recs.filter((r) => r.mask !== undefined).map((r) => [r.id, r.type]));
      const spec: BodySpec = { tick, baselineTick: full ? 0 : tick - gap, removed: full ? [] : removed.filter((x) => !held.has(x)), records: recs };
      return { spec, held };
    });
  });

describe('property: random bodies round-trip', () => {
  it('every record, field, rate and key tick reads back', () => {
    fc.assert(
      fc.property(bodyArb, ({ spec, held }) => {
        const rec = new Recorder(held);
        const expected = expectedLog(spec);
        expect(decodeBody(encodeBody(spec), spec.tick, rec)).toBe(spec.baselineTick);
        expect(rec.log).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });
});

/* Hostile bodies: readSnapshotBody and readEvents throw only ProtocolError. */

function onlyProtocolErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (!(e instanceof ProtocolError)) {
      throw new Error(`decoder threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a ProtocolError`, { cause: e });
    }
  }
}

/** A view that holds ids 1..64 with types cycling through all five, so updates are decoded too. */
function seededView(): Recorder {
  return new Recorder(new Map(Array.from({ length: 64 }, (_, i) => [i + 1, game.entityTypes[i % game.entityTypes.length]!] as const)));
}

describe('hostile input: readSnapshotBody throws only ProtocolError', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.oneof(fc.nat(10), fc.nat(1_000_000)), (bytes, tick) => {
        onlyProtocolErrors(() => decodeBody(bytes, tick, seededView()));
      }),
      { numRuns: 10_000 },
    );
  });

  it('valid bodies with events, mutated, truncated or extended', () => {
    const eventsArb = fc.array(
      fc.oneof(
        fc.record({ target: fc.nat(), damage: fc.nat(255) }).map((p): QueuedEvent => ({ info: game.event('hit')!, payload: p })),
        fc.constant<QueuedEvent>({ info: game.event('boom')!, payload: {} }),
        fc.string({ maxLength: 8 }).map((text): QueuedEvent => ({ info: game.event('say')!, payload: { text } })),
      ),
      { maxLength: 3 },
    );
    const mutation = fc.oneof(
      fc.tuple(fc.constant('flip' as const), fc.nat(), fc.nat(7)),
      fc.tuple(fc.constant('set' as const), fc.nat(), fc.nat(255)),
      fc.tuple(fc.constant('cut' as const), fc.nat(), fc.constant(0)),
      fc.tuple(fc.constant('add' as const), fc.nat(255), fc.nat(3)),
    );
    fc.assert(
      fc.property(bodyArb, eventsArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: -2, max: 2 }), ({ spec, held }, events, muts, tickSkew) => {
        const bytes = [...encodeBody(spec, events)];
        for (const [k, a, b] of muts) {
          const at = bytes.length ? a % bytes.length : 0;
          if (k === 'flip' && bytes.length) bytes[at] = bytes[at]! ^ (1 << b);
          else if (k === 'set' && bytes.length) bytes[at] = b;
          else if (k === 'cut') bytes.length = at;
          else if (k === 'add') bytes.push(...new Array<number>(b + 1).fill(a));
        }
        const tick = Math.max(0, spec.tick + tickSkew);
        onlyProtocolErrors(() => decodeBody(Uint8Array.from(bytes), tick, new Recorder(new Map(held))));
        onlyProtocolErrors(() => decodeBody(Uint8Array.from(bytes), tick, seededView()));
      }),
      { numRuns: 5000 },
    );
  });
});
