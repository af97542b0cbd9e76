/**
 * Values at, around and past every limit, and writers for a schema's fields with them.
 *
 * The fuzz frames (frames.ts) pick the field to break; this module knows, for each kind of
 * field, what "at the limit" and "past it" are on the wire: the largest wire value and the ones
 * above it that still fit the field's bits, strings one byte too long or not UTF-8 or claiming a
 * length they do not have, gamma codes past 32 bits, NaN and infinite doubles.
 */
import { GAMMA_MAX, LIMITS, type AnyField, type BitWriter, type FieldsDef, type Struct } from '@tickwire/protocol';
import { rawGamma, rawString, wideBits, type Rng } from './raw.js';

const MAX_SEQ = BigInt(LIMITS.maxSeq);
/** Envelope seqs at and around every limit up to and past what an 8-byte LEB128 holds. */
export const SEQ_EDGES: readonly bigint[] = [0n, 1n, MAX_SEQ - 1n, MAX_SEQ, MAX_SEQ + 1n, 2n ** 32n, 2n ** 48n, 2n ** 52n - 1n, 2n ** 52n, 2n ** 52n + 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 56n - 1n, 2n ** 63n];
export const GAMMA_EDGES: readonly number[] = [0, 1, 2, 0xffff, 0x10000, GAMMA_MAX - 1, GAMMA_MAX, GAMMA_MAX + 1, 2 ** 32, 2 ** 40, 2 ** 52];
export const U32_EDGES: readonly number[] = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
export const F64_EDGES: readonly number[] = [0, -0, -1, 1.5, Number.MIN_VALUE, -Number.MIN_VALUE, LIMITS.maxClientTimeMs, 2 ** 53, 2 ** 53 + 2, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, Number.NaN];

const utf8 = new TextEncoder();
/** Strings that are valid UTF-8 but should not reach other players as they are. */
export const NASTY_TEXT: readonly string[] = [
  '',
  ' ',
  '\u0000',
  '\u001b[2J\u001b[31mred',
  'abc\u202edcba',
  'a\u200bb\u200c\u200d\u2060',
  '\ufeffbom',
  '\r\n\r\nHTTP/1.1 200 OK',
  '<script>alert(1)</script>',
  '👩‍👩‍👧‍👦'.repeat(8),
  'é'.repeat(200),
];
/** Byte strings that are not valid UTF-8. */
export const BAD_UTF8: readonly Uint8Array[] = [
  Uint8Array.of(0xff),
  Uint8Array.of(0xc0, 0xaf),
  Uint8Array.of(0xed, 0xa0, 0x80), // a lone surrogate
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
  Uint8Array.of(0x61, 0xe2, 0x82), // cut mid-character
];

export function seqLabel(v: bigint): string {
  for (const p of [63n, 56n, 53n, 52n, 48n, 32n]) {
    const d = v - 2n ** p;
    if (d >= -2n && d <= 2n) return `2^${p}${d === 0n ? '' : d > 0n ? `+${d}` : d}`;
  }
  return v.toString();
}

/** Writes a schema's fields: valid values, or one field at or past its limit. */
export class FieldWriter {
  constructor(private readonly rng: Rng) {}

  /** A string field: valid text, or an edge (length at/over the limit, bad UTF-8, nasty text). */
  stringEdge(w: BitWriter, max: number, edge: boolean, notes: string[], what: string): void {
    const r = this.rng;
    if (!edge) {
      rawString(w, utf8.encode(`t${r.int(1000)}`));
      return;
    }
    const choice = r.int(4);
    const bytes =
      choice === 0
        ? new Uint8Array(r.pick([max, max + 1])).fill(0x61)
        : choice === 1
          ? r.pick(BAD_UTF8)
          : choice === 2
            ? utf8.encode(r.pick(NASTY_TEXT))
            : utf8.encode('€'.repeat(Math.ceil(max / 3))); // multi-byte across the limit
    this.string(w, bytes, max, notes, what);
  }

  /** Writes a string, sometimes claiming a length it does not have (huge, or past the end). */
  string(w: BitWriter, bytes: Uint8Array, max: number, notes: string[], what: string): void {
    const r = this.rng;
    if (r.chance(0.1)) {
      const claimed = r.pick([max + 1, 2 ** 31, GAMMA_MAX, bytes.length + 10]);
      rawString(w, bytes, claimed);
      notes.push(`${what}.length=${claimed}/${bytes.length}`);
      return;
    }
    rawString(w, bytes);
    notes.push(`${what}(${bytes.length} bytes)`);
  }

  /** Random values within every field's range, written as wire values. */
  validValues(s: Struct<FieldsDef>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, f] of s.entries) {
      const w = this.validWire(f);
      out[k] = f.fromWire(w);
    }
    return out;
  }

  writeValid(w: BitWriter, s: Struct<FieldsDef>): void {
    for (const [, f] of s.entries) f.write(w, this.validWire(f));
  }

  validWire(f: AnyField): number | string | boolean | Uint8Array | null {
    const r = this.rng;
    if (f.describe.startsWith('optional(')) return null;
    switch (f.kind) {
      case 'bool':
        return r.chance(0.5);
      case 'string':
        return `s${r.int(100)}`;
      case 'f64':
        return r.float() * 1000;
      case 'bytes':
        return r.bytes(f.maxWire);
      case 'ref':
      case 'varuint':
        return r.int(Math.min(f.maxWire, 100) + 1);
      default:
        return r.int(f.maxWire + 1);
    }
  }

  /** Writes a struct with one field at or past its limit (the others valid). */
  writeEdge(w: BitWriter, s: Struct<FieldsDef>, notes: string[]): void {
    const r = this.rng;
    if (s.entries.length === 0) {
      // An empty payload: anything written is trailing data.
      w.writeBits(r.int(256), 8);
      notes.push('payload(extra byte)');
      return;
    }
    const target = r.int(s.entries.length);
    s.entries.forEach(([name, f], i) => {
      if (i !== target) return f.write(w, this.validWire(f));
      notes.push(`${name}=${this.fieldEdge(w, f)}`);
    });
  }

  /** Writes one field's edge value raw and says what it wrote. */
  private fieldEdge(w: BitWriter, f: AnyField): string {
    const r = this.rng;
    if (f.describe.startsWith('optional(')) {
      w.writeBool(true);
      w.writeBits(r.int(256), 8);
      return 'optional(junk)';
    }
    switch (f.kind) {
      case 'bool':
        w.writeBool(r.chance(0.5));
        return 'bool';
      case 'string': {
        const notes: string[] = [];
        this.stringEdge(w, f.maxWire, true, notes, 'string');
        return notes.join(',');
      }
      case 'f64': {
        const v = r.pick(F64_EDGES);
        w.writeFloat64(v);
        return String(v);
      }
      case 'bytes': {
        const n = r.int(f.maxWire + 1);
        w.writeBytes(r.bytes(n));
        return `${n}/${f.maxWire} bytes`;
      }
      case 'ref':
      case 'varuint': {
        const v = r.pick([0, f.maxWire, f.maxWire + 1, ...GAMMA_EDGES]);
        rawGamma(w, v);
        return String(v);
      }
      default: {
        const width = f.bits(0);
        const top = 2 ** width - 1;
        const v = r.pick([0, f.maxWire, Math.min(top, f.maxWire + 1), top]);
        wideBits(w, v, width);
        return `${v}/${f.maxWire}`;
      }
    }
  }
}
