/**
 * The SNAPSHOT message: what changed in a client's view since the snapshot it last acknowledged.
 *
 *   envelope (seq = server tick) | head: LEB128 | [own state, zero-padded to a byte] | body | events | zero padding
 *
 * head = ackInput * 2 + (own state follows ? 1 : 0), where ackInput is the last of this client's
 * inputs the server has applied. The own state (rooms that enable it, for client prediction)
 * is the exact current value of each entity the client plays: count-1 (gamma), then per entity
 * its id (gamma), type index and every field as a plain wire value (linear fields without rate
 * or age). It is padded to a byte so that everything up to here can be read, or skipped, by a
 * client that does not decode the body.
 *
 * The body starts on a byte boundary and holds nothing client-specific beyond the baseline, so
 * the server encodes it once for every client that shares a baseline and copies its bytes into
 * each frame. The body is bit-packed:
 *
 *   baselineGap: gamma (0 = full snapshot, else tick - baselineTick)
 *   removedCount: gamma, then each removed id as gamma(id - previous id - 1)
 *   recordCount: gamma, then each record:
 *     idGap: gamma(id - previous id - 1)
 *     created: 1 bit
 *     created: typeIndex (entityTypeBits bits), partial: 1 bit, then every field (partial 0), or
 *              a field mask (one bit per field of the type) and each field it names (partial 1)
 *     update:  change mask (one bit per field of the type), then each changed field
 *   a field is its type's wire value; a linear field's value is its key frame value, followed
 *   by the rate (signed gamma, in 1/16 wire step per tick) and the key frame's age in ticks
 *   (gamma, tick - keyTick): the value at tick T is value + round(rate * (T - keyTick) / 16)
 *
 * Events follow the body: count (gamma), then each as eventIndex (gamma) and its payload.
 */
import { BitReader, BitWriter } from './bits.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { Kind, LIMITS, writeEnvelope } from './messages.js';
import type { EntityTypeInfo, EventInfo, GameProtocol } from './schema.js';
import type { AnyField, WireValue } from './types.js';

/** Writes a snapshot body: removals first, then records, ids ascending. */
export class SnapshotBodyWriter {
  private prevId = 0;
  private recordsLeft = 0;

  constructor(
    readonly w: BitWriter,
    private readonly typeBits: number,
  ) {}

  /** Starts a body. `baselineTick` 0 means a full snapshot. */
  begin(tick: number, baselineTick: number, removed: readonly number[], recordCount: number): void {
    const w = this.w;
    w.writeGamma(baselineTick === 0 ? 0 : tick - baselineTick);
    w.writeGamma(removed.length);
    let prev = 0;
    for (const id of removed) {
      w.writeGamma(id - prev - 1);
      prev = id;
    }
    w.writeGamma(recordCount);
    this.prevId = 0;
    this.recordsLeft = recordCount;
  }

  /** Writes the id gap and the created flag of the next record; the caller writes the rest. */
  recordHeader(id: number, created: boolean): void {
    if (this.recordsLeft-- <= 0) throw new RangeError('more records written than announced');
    if (id <= this.prevId) throw new RangeError(`record ids must ascend (${id} after ${this.prevId})`);
    this.w.writeGamma(id - this.prevId - 1);
    this.w.writeBool(created);
    this.prevId = id;
  }

  get done(): boolean {
    return this.recordsLeft === 0;
  }
}

/** Writes a created entity with every field: type index, partial bit 0, then every field. */
export function writeFullFields(
  w: BitWriter,
  typeBits: number,
  type: EntityTypeInfo,
  wire: readonly WireValue[],
  rates: readonly number[],
  keyTicks: readonly number[],
  tick: number,
): void {
  writeCreatedFields(w, typeBits, type, -1, wire, rates, keyTicks, tick);
}

/** The mask naming every field of a type (-1 for a type of 32 fields). */
export function allFieldsMask(type: EntityTypeInfo): number {
  const n = type.fields.length;
  return n >= 32 ? -1 : (1 << n) - 1;
}

/**
 * Writes a created entity with the fields `mask` names: type index, then partial bit 0 and every
 * field when the mask names them all (or is -1), else partial bit 1, the mask and those fields.
 * Interest tiers create entities partially: a far entity arrives with the far tier's fields only.
 */
export function writeCreatedFields(
  w: BitWriter,
  typeBits: number,
  type: EntityTypeInfo,
  mask: number,
  wire: readonly WireValue[],
  rates: readonly number[],
  keyTicks: readonly number[],
  tick: number,
): void {
  w.writeBits(type.index, typeBits);
  const fields = type.fields;
  const all = allFieldsMask(type);
  const partial = (mask & all) !== all;
  w.writeBool(partial);
  if (partial) w.writeBits((mask & all) >>> 0, fields.length);
  for (let i = 0; i < fields.length; i++) {
    if (!partial || (mask & (1 << i)) !== 0) writeField(w, fields[i]!.type, wire[i]!, rates[i]!, keyTicks[i]!, tick);
  }
}

/** Writes an updated entity's changed fields: change mask, then the fields it names. */
export function writeChangedFields(
  w: BitWriter,
  type: EntityTypeInfo,
  mask: number,
  wire: readonly WireValue[],
  rates: readonly number[],
  keyTicks: readonly number[],
  tick: number,
): void {
  const fields = type.fields;
  w.writeBits(mask, fields.length);
  for (let i = 0; i < fields.length; i++) {
    if ((mask & (1 << i)) !== 0) writeField(w, fields[i]!.type, wire[i]!, rates[i]!, keyTicks[i]!, tick);
  }
}

function writeField(w: BitWriter, f: AnyField, wire: WireValue, rate: number, keyTick: number, tick: number): void {
  f.write(w, wire);
  if (f.linear) {
    w.writeSignedGamma(rate);
    w.writeGamma(tick - keyTick);
  }
}

function readField(r: BitReader, f: AnyField, i: number, tick: number, wire: WireValue[], rates: number[], keyTicks: number[]): void {
  wire[i] = f.read(r);
  if (f.linear) {
    rates[i] = r.readSignedGamma();
    const age = r.readGamma();
    if (age > tick) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `key frame age ${age} reaches before tick 0`);
    keyTicks[i] = tick - age;
  } else {
    rates[i] = 0;
    keyTicks[i] = tick;
  }
}

export interface QueuedEvent {
  readonly info: EventInfo;
  readonly payload: Record<string, unknown>;
}

/** An entity's exact current state, sent to the client that plays it (for prediction). */
export interface OwnState {
  readonly id: number;
  readonly type: EntityTypeInfo;
  /** Plain wire values of every field (linear fields as their current value). */
  readonly wire: readonly WireValue[];
}

/** Writes the per-client head of a snapshot frame: envelope, ackInput, own state; ends byte-aligned. */
export function writeSnapshotHead(w: BitWriter, typeBits: number, tick: number, ackInput: number, own: readonly OwnState[] = []): void {
  if (!(ackInput <= LIMITS.maxSeq)) throw new RangeError(`ackInput must be at most ${LIMITS.maxSeq}, got ${ackInput}`);
  writeEnvelope(w, Kind.SNAPSHOT, tick);
  w.writeVarUint(ackInput * 2 + (own.length > 0 ? 1 : 0));
  if (own.length === 0) return;
  w.writeGamma(own.length - 1);
  for (const o of own) {
    w.writeGamma(o.id);
    w.writeBits(o.type.index, typeBits);
    const fields = o.type.fields;
    for (let i = 0; i < fields.length; i++) fields[i]!.type.write(w, o.wire[i]!);
  }
  w.align();
}

export function writeEvents(w: BitWriter, events: readonly QueuedEvent[]): void {
  w.writeGamma(events.length);
  for (const e of events) {
    w.writeGamma(e.info.index);
    e.info.payload.write(w, e.payload);
  }
}

/** Receives a decoded snapshot body. */
export interface SnapshotVisitor {
  /** The type of an entity the client holds, for update records; undefined if unknown. */
  typeOf(id: number): EntityTypeInfo | undefined;
  /** Called before records; `full` snapshots replace the whole view. */
  begin(full: boolean, baselineTick: number): void;
  remove(id: number): void;
  /**
   * `wire`, `rates` and `keyTicks` are scratch arrays reused for the next record: copy what you
   * keep. For linear fields `wire` holds the key frame value at `keyTicks[i]`. `mask` names the
   * fields the record carries: -1 for all of them; a partial creation (interest tiers) carries
   * some, and the entity has no value yet for the others.
   */
  create(id: number, type: EntityTypeInfo, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[], mask: number): void;
  update(id: number, type: EntityTypeInfo, mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): void;
}

export interface SnapshotHead {
  ackInput: number;
  own: OwnState[];
}

/** Reads a snapshot's head after the envelope; leaves `r` at the body (byte-aligned). */
export function readSnapshotHead(r: BitReader, game: GameProtocol): SnapshotHead {
  const head = r.readVarUint();
  const ackInput = Math.floor(head / 2);
  if (ackInput > LIMITS.maxSeq) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `ackInput ${ackInput} is above the limit of ${LIMITS.maxSeq}`);
  const own: OwnState[] = [];
  if (head % 2 === 1) {
    const count = r.readGamma() + 1;
    if (count > LIMITS.snapshotItems) throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${count} own entities in one snapshot`);
    for (let k = 0; k < count; k++) {
      const id = r.readGamma();
      const ti = r.readBits(game.entityTypeBits);
      const type = game.entityTypes[ti];
      if (!type) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `entity type #${ti} is not declared`);
      own.push({ id, type, wire: type.fields.map((f) => f.type.read(r)) });
    }
    r.align();
  }
  return { ackInput, own };
}

/**
 * Reads a snapshot body into a visitor and returns the baseline tick (0 = full). Validates
 * every count, gap, type index and field value; throws ProtocolError on anything malformed,
 * including an update for an entity the visitor does not know.
 */
export function readSnapshotBody(r: BitReader, game: GameProtocol, tick: number, visitor: SnapshotVisitor): number {
  const gap = r.readGamma();
  if (gap > tick) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `baseline gap ${gap} reaches before tick 0`);
  const baselineTick = gap === 0 ? 0 : tick - gap;
  visitor.begin(gap === 0, baselineTick);
  const removed = r.readGamma();
  if (removed > LIMITS.snapshotItems) throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${removed} removals in one snapshot`);
  let id = 0;
  for (let i = 0; i < removed; i++) {
    id += r.readGamma() + 1;
    visitor.remove(id);
  }
  const records = r.readGamma();
  if (records > LIMITS.snapshotItems) throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${records} records in one snapshot`);
  const types = game.entityTypes;
  const typeBits = game.entityTypeBits;
  const scratchWire: WireValue[] = new Array<WireValue>(32);
  const scratchRates: number[] = new Array<number>(32);
  const scratchKeys: number[] = new Array<number>(32);
  id = 0;
  for (let i = 0; i < records; i++) {
    id += r.readGamma() + 1;
    if (id > 0xfffffffe) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, 'entity id beyond 2^32-2');
    const created = r.readBool();
    if (created) {
      const ti = r.readBits(typeBits);
      const type = types[ti];
      if (!type) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `entity type #${ti} is not declared`);
      const fields = type.fields;
      const mask = r.readBool() ? r.readBits(fields.length) : -1;
      for (let f = 0; f < fields.length; f++) {
        if (mask === -1 || (mask & (1 << f)) !== 0) readField(r, fields[f]!.type, f, tick, scratchWire, scratchRates, scratchKeys);
      }
      visitor.create(id, type, scratchWire, scratchRates, scratchKeys, mask);
    } else {
      const type = visitor.typeOf(id);
      if (!type) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `update for entity ${id}, which this view does not hold`);
      const fields = type.fields;
      const mask = r.readBits(fields.length);
      for (let f = 0; f < fields.length; f++) {
        if ((mask & (1 << f)) !== 0) readField(r, fields[f]!.type, f, tick, scratchWire, scratchRates, scratchKeys);
      }
      visitor.update(id, type, mask, scratchWire, scratchRates, scratchKeys);
    }
  }
  return baselineTick;
}

/** Reads the events that follow a snapshot body (or an EVENT frame's single event). */
export function readEvents(r: BitReader, game: GameProtocol): { name: string; payload: Record<string, unknown> }[] {
  const n = r.readGamma();
  if (n > LIMITS.snapshotItems) throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${n} events in one frame`);
  const out: { name: string; payload: Record<string, unknown> }[] = [];
  for (let i = 0; i < n; i++) out.push(readEvent(r, game));
  return out;
}

export function readEvent(r: BitReader, game: GameProtocol): { name: string; payload: Record<string, unknown> } {
  const index = r.readGamma();
  const info = game.events[index];
  if (!info) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `event #${index} is not declared`);
  return { name: info.name, payload: info.payload.read(r) };
}
