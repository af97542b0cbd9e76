/**
 * INPUT, the message every client sends every tick: its body is written and read here, once for
 * both decoders, the one that builds a message of fresh objects (MessageCodec.decodeClient) and
 * the one that reads straight into the receiver's reused storage (MessageCodec.decodeClientInto,
 * the server's hot path), so the two check the same things and cannot drift apart.
 *
 * Body: ackTick (gamma), count - 1 (gamma), the newest input's time (32 bits), then the inputs
 * newest first (seq, seq - 1, ...), each older one preceded by its age in ms relative to the one
 * before it. docs/protocol.md gives the same bytes.
 */
import type { BitReader, BitWriter } from './bits.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { LIMITS, type InputEntry } from './messages.js';
import type { FieldsDef, Struct } from './types.js';

/**
 * Where an INPUT frame's new inputs are read to. The decoder asks for entries and reads into
 * them; nothing counts as stored until the caller has the whole frame decoded and commits it (a
 * frame that turns out malformed halfway leaves only scratch writes behind).
 */
export interface InputStore {
  /** The newest input seq already stored: a frame's entries at or below it are repeats, read and checked only. */
  readonly newestSeq: number;
  /** How many of `fresh` new inputs (the oldest first) it has room for; the newer rest are read and checked only. */
  room(fresh: number): number;
  /**
   * The entry to read the frame's `k`th stored input into (0: the oldest new one). Called newest
   * first, once per k below what `room` answered; its `input` is overwritten field by field.
   */
  entry(k: number): InputEntry<Record<string, unknown>>;
}

/** What an INPUT body carries besides its inputs. */
export interface InputHead {
  /** The snapshot tick the client acknowledges with it (0: no new one). */
  tick: number;
  /** Inputs newer than the store's newest. */
  fresh: number;
  /** How many of those, the oldest first, were read into the store (`room`'s answer). */
  kept: number;
}

/** Writes an INPUT body: 1..LIMITS.inputsPerMessage entries with consecutive seqs, oldest first. */
export function writeInputBody(w: BitWriter, input: Struct<FieldsDef>, ackTick: number, inputs: readonly InputEntry<Record<string, unknown>>[]): void {
  if (inputs.length < 1 || inputs.length > LIMITS.inputsPerMessage) {
    throw new RangeError(`an INPUT message carries 1..${LIMITS.inputsPerMessage} inputs, got ${inputs.length}`);
  }
  const newest = inputs[inputs.length - 1]!;
  w.writeGamma(ackTick);
  w.writeGamma(inputs.length - 1);
  w.writeBits(newest.time >>> 0, 32);
  let prevTime = newest.time >>> 0;
  for (let i = inputs.length - 1; i >= 0; i--) {
    const e = inputs[i]!;
    if (e.seq !== newest.seq - (inputs.length - 1 - i)) throw new RangeError('input sequence numbers must be consecutive');
    if (i !== inputs.length - 1) {
      const age = (prevTime - (e.time >>> 0)) >>> 0;
      w.writeGamma(Math.min(age, LIMITS.maxInputAgeMs));
      prevTime = e.time >>> 0;
    }
    input.write(w, e.input);
  }
}

/**
 * Reads an INPUT body whose envelope carried `seq` (the newest input's): its new inputs into
 * `store` (as many as it has room for), the rest read and checked, and the head into `out`.
 * Throws ProtocolError on anything malformed, exactly as for inputs nobody keeps.
 */
export function readInputBody(r: BitReader, input: Struct<FieldsDef>, seq: number, store: InputStore, out: InputHead): void {
  const ackTick = r.readGamma();
  const count = r.readGamma() + 1;
  if (count > LIMITS.inputsPerMessage) {
    throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${count} inputs in one message; the limit is ${LIMITS.inputsPerMessage}`);
  }
  if (seq < count - 1) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, 'input sequence numbers would go below zero');
  let time = r.readBits(32);
  // Entries run newest first: the first `fresh` are newer than the store's newest.
  const fresh = Math.max(0, Math.min(count, seq - store.newestSeq));
  const kept = fresh > 0 ? Math.max(0, Math.min(fresh, store.room(fresh))) : 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      const age = r.readGamma();
      if (age > LIMITS.maxInputAgeMs) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `input age ${age} ms is above the limit of ${LIMITS.maxInputAgeMs}`);
      time = (time - age) >>> 0;
    }
    // This entry's place among the new ones, the oldest first (negative: a repeat).
    const k = fresh - 1 - i;
    if (k >= 0 && k < kept) {
      const e = store.entry(k);
      e.seq = seq - i;
      e.time = time;
      input.readInto(r, e.input);
    } else input.skip(r);
  }
  out.tick = ackTick;
  out.fresh = fresh;
  out.kept = kept;
}

/** A store that keeps every new input in fresh objects: what decodeClient returns as `inputs`. */
export class InputList implements InputStore {
  readonly entries: InputEntry<Record<string, unknown>>[] = [];

  constructor(readonly newestSeq: number) {}

  room(fresh: number): number {
    for (let k = this.entries.length; k < fresh; k++) this.entries.push({ seq: 0, time: 0, input: {} });
    return fresh;
  }

  entry(k: number): InputEntry<Record<string, unknown>> {
    return this.entries[k]!;
  }
}
