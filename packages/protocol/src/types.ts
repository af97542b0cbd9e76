/**
 * Field types: the vocabulary of every schema (entity components, inputs, commands, events and
 * the protocol's own messages).
 *
 * A field type is the single definition of a value's wire form: `toWire` quantizes a game value
 * into a wire value, `write`/`read` put it on and take it off a bit stream, `bits` measures it.
 * Nothing else encodes a field, so encoder, decoder and size cannot drift apart.
 */
import { BitReader, BitWriter, gammaBits } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';

export type WireValue = number | string | boolean | Uint8Array | null;

export type FieldKind = 'bool' | 'uint' | 'int' | 'float' | 'angle' | 'enum' | 'string' | 'ref' | 'f64' | 'varuint' | 'bytes';

export interface FieldType<V> {
  readonly kind: FieldKind;
  /** Canonical description; feeds the protocol hash and the docs. */
  readonly describe: string;
  readonly defaultValue: V;
  /**
   * Linear fields are replicated as (value, rate per tick) key frames: the client extrapolates
   * along the rate and the server sends a new key frame only when the true value leaves the
   * extrapolated path by more than the threshold.
   */
  readonly linear: boolean;
  /** How far (in wire units) a value must move before it is replicated again; 1 = any change. */
  readonly threshold: number;
  /** Largest wire value for numeric kinds (used to clamp extrapolation). */
  readonly maxWire: number;
  /** Converts a game value to its wire value: numbers are quantized and clamped; NaN throws. */
  toWire(v: V): WireValue;
  /** Numeric kinds: the value in wire steps before rounding (what a linear rate is measured in). */
  steps?(v: V): number;
  fromWire(w: WireValue): V;
  write(w: BitWriter, x: WireValue): void;
  /** Reads and validates a wire value; throws ProtocolError on anything out of range. */
  read(r: BitReader): WireValue;
  bits(x: WireValue): number;
  /** True when `next` differs from `prev` by at least the threshold. */
  changed(prev: WireValue, next: WireValue): boolean;
}

export type AnyField = FieldType<unknown>;
export type FieldsDef = Record<string, AnyField>;
export type ValueOf<F> = F extends FieldType<infer V> ? V : never;
export type ValuesOf<F extends FieldsDef> = { [K in keyof F]: ValueOf<F[K]> };

/** Bits needed for values 0..max. */
export function bitsFor(max: number): number {
  return max <= 0 ? 0 : 32 - Math.clz32(max);
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${what} must be a finite number, got ${String(v)}`);
  }
  return v;
}

function outOfRange(what: string, v: WireValue, max: number): never {
  throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `${what} value ${String(v)} is out of range 0..${max}`);
}

interface IntLike {
  kind: FieldKind;
  describe: string;
  bits: number;
  maxWire: number;
  threshold: number;
  linear: boolean;
  toWire: (v: number) => number;
  fromWire: (w: number) => number;
  steps?: (v: number) => number;
  circular?: boolean;
}

function intField(spec: IntLike): FieldType<number> {
  const { bits, maxWire, threshold, circular } = spec;
  const period = maxWire + 1;
  return {
    kind: spec.kind,
    describe: spec.describe,
    defaultValue: spec.fromWire(spec.toWire(0)),
    linear: spec.linear,
    threshold,
    maxWire,
    toWire: spec.toWire,
    steps: spec.steps,
    fromWire: (w) => spec.fromWire(w as number),
    write(w, x) {
      w.writeBits(x as number, bits);
    },
    read(r) {
      const v = r.readBits(bits);
      if (v > maxWire) outOfRange(spec.describe, v, maxWire);
      return v;
    },
    bits: () => bits,
    changed(prev, next) {
      let d = Math.abs((next as number) - (prev as number));
      if (circular) d = Math.min(d, period - d);
      return d >= threshold;
    },
  };
}

export interface UintOptions {
  /** Largest value; the field takes as many bits as that needs. */
  max: number;
  /** Replicate only when the value moved by at least this much (default 1: any change). */
  threshold?: number;
}

export interface IntOptions {
  min: number;
  max: number;
  threshold?: number;
}

export interface FloatOptions {
  min: number;
  max: number;
  /** Quantization step: the value is sent as round((v - min) / precision). */
  precision: number;
  /** Replicate only when the value moved by at least this much (default: one step). */
  threshold?: number;
  /**
   * Send (value, rate) key frames instead of every change: right for positions that move along
   * a velocity. The client extrapolates; a new key frame goes out only when the true value
   * leaves the extrapolated path by `threshold` or more (default: two steps).
   */
  linear?: boolean;
}

export interface AngleOptions {
  /** Bits per angle (default 16: a step of 0.0055 degrees). */
  bits?: number;
  /** Replicate only when the angle moved by at least this many radians (default: one step). */
  threshold?: number;
}

const TWO_PI = Math.PI * 2;

/** Rate fixed point: linear-field rates are sent in 1/16 of a wire step per tick. */
export const RATE_SHIFT = 4;
export const RATE_ONE = 1 << RATE_SHIFT;

/**
 * Value of a linear field `dt` ticks after a key frame (q, rate); the same integer arithmetic
 * on both sides keeps client and server in agreement.
 */
export function linearAt(q: number, rate: number, dt: number, maxWire: number): number {
  const v = q + Math.round((rate * dt) / RATE_ONE);
  return v < 0 ? 0 : v > maxWire ? maxWire : v;
}

/** Field type constructors. */
export const t = {
  bool(): FieldType<boolean> {
    return {
      kind: 'bool',
      describe: 'bool',
      defaultValue: false,
      linear: false,
      threshold: 1,
      maxWire: 1,
      toWire: (v) => v === true,
      fromWire: (w) => w === true,
      write: (w, x) => w.writeBool(x === true),
      read: (r) => r.readBool(),
      bits: () => 1,
      changed: (a, b) => a !== b,
    };
  },

  /** Unsigned integer 0..max (`t.uint(8)` is shorthand for 8 bits, max 255). */
  uint(opts: UintOptions | number): FieldType<number> {
    const o = typeof opts === 'number' ? { max: 2 ** opts - 1 } : opts;
    if (!Number.isInteger(o.max) || o.max < 1 || o.max > 0xffffffff) throw new RangeError(`uint max must be an integer in 1..2^32-1, got ${o.max}`);
    const describe = `uint(max=${o.max})`;
    return intField({
      kind: 'uint',
      describe,
      bits: bitsFor(o.max),
      maxWire: o.max,
      threshold: Math.max(1, o.threshold ?? 1),
      linear: false,
      toWire: (v) => {
        const n = Math.round(finite(v, describe));
        return n < 0 ? 0 : n > o.max ? o.max : n;
      },
      fromWire: (w) => w,
    });
  },

  /** Signed integer min..max, sent as an offset from min. */
  int(opts: IntOptions): FieldType<number> {
    const range = opts.max - opts.min;
    if (!Number.isInteger(opts.min) || !Number.isInteger(opts.max) || range < 1 || range > 0xffffffff) {
      throw new RangeError(`int needs integer min < max spanning at most 2^32-1, got ${opts.min}..${opts.max}`);
    }
    const describe = `int(min=${opts.min},max=${opts.max})`;
    return intField({
      kind: 'int',
      describe,
      bits: bitsFor(range),
      maxWire: range,
      threshold: Math.max(1, opts.threshold ?? 1),
      linear: false,
      toWire: (v) => {
        const n = Math.round(finite(v, describe)) - opts.min;
        return n < 0 ? 0 : n > range ? range : n;
      },
      fromWire: (w) => w + opts.min,
    });
  },

  /** A real number quantized to `precision` within [min, max]. */
  float(opts: FloatOptions): FieldType<number> {
    const { min, max, precision } = opts;
    if (!(precision > 0) || !(max > min)) throw new RangeError(`float needs max > min and precision > 0`);
    const steps = Math.round((max - min) / precision);
    if (steps > 0xffffffff) throw new RangeError(`float range/precision needs more than 32 bits: widen precision`);
    const describe = `float(min=${min},max=${max},precision=${precision}${opts.linear ? ',linear' : ''})`;
    return intField({
      kind: 'float',
      describe,
      bits: bitsFor(steps),
      maxWire: steps,
      // A linear field's own rounding wobbles by one step around its path: default to two.
      threshold: Math.max(1, Math.round((opts.threshold ?? (opts.linear ? 2 * precision : precision)) / precision)),
      linear: opts.linear === true,
      toWire: (v) => {
        const n = Math.round((finite(v, describe) - min) / precision);
        return n < 0 ? 0 : n > steps ? steps : n;
      },
      steps: (v) => (v - min) / precision,
      fromWire: (w) => min + w * precision,
    });
  },

  /** An angle in radians, normalised to [0, 2π) and sent in `bits` bits. */
  angle(opts: AngleOptions = {}): FieldType<number> {
    const bits = opts.bits ?? 16;
    if (!Number.isInteger(bits) || bits < 2 || bits > 24) throw new RangeError(`angle bits must be 2..24, got ${bits}`);
    const period = 2 ** bits;
    const step = TWO_PI / period;
    const describe = `angle(bits=${bits})`;
    return intField({
      kind: 'angle',
      describe,
      bits,
      maxWire: period - 1,
      threshold: Math.max(1, Math.round((opts.threshold ?? step) / step)),
      linear: false,
      circular: true,
      toWire: (v) => {
        const n = Math.round(finite(v, describe) / step) % period;
        return n < 0 ? n + period : n;
      },
      fromWire: (w) => w * step,
    });
  },

  /** One of a fixed list of strings, sent as its index. */
  enum<const T extends readonly string[]>(values: T): FieldType<T[number]> {
    if (values.length < 1 || values.length > 65536) throw new RangeError('enum needs 1..65536 values');
    const index = new Map<string, number>(values.map((v, i) => [v, i]));
    const bits = bitsFor(values.length - 1);
    const describe = `enum(${values.join('|')})`;
    return {
      kind: 'enum',
      describe,
      defaultValue: values[0] as T[number],
      linear: false,
      threshold: 1,
      maxWire: values.length - 1,
      toWire(v) {
        const i = index.get(v as string);
        if (i === undefined) {
          throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${String(v)} is not one of ${describe}`);
        }
        return i;
      },
      fromWire: (w) => values[w as number] as T[number],
      write: (w, x) => w.writeBits(x as number, bits),
      read(r) {
        const v = r.readBits(bits);
        if (v >= values.length) outOfRange(describe, v, values.length - 1);
        return v;
      },
      bits: () => bits,
      changed: (a, b) => a !== b,
    };
  },

  /** A UTF-8 string of at most `maxBytes` bytes; longer values are cut at a character boundary. */
  string(maxBytes = 64): FieldType<string> {
    const describe = `string(max=${maxBytes})`;
    const enc = new TextEncoder();
    return {
      kind: 'string',
      describe,
      defaultValue: '',
      linear: false,
      threshold: 1,
      maxWire: maxBytes,
      toWire(v) {
        if (typeof v !== 'string') throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${describe} needs a string, got ${typeof v}`);
        if (v.length * 3 <= maxBytes || enc.encode(v).length <= maxBytes) return v;
        // Cut after the last whole code point that fits (UTF-8 length per code point; a lone
        // surrogate encodes as U+FFFD, 3 bytes), so a surrogate pair is never split in two.
        let bytes = 0;
        let end = 0;
        for (const ch of v) {
          const cp = ch.codePointAt(0)!;
          bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
          if (bytes > maxBytes) break;
          end += ch.length;
        }
        return v.slice(0, end);
      },
      fromWire: (w) => w as string,
      write: (w, x) => w.writeString(x as string),
      read: (r) => r.readString(maxBytes),
      bits: (x) => {
        const n = enc.encode(x as string).length;
        return gammaBits(n) + n * 8;
      },
      changed: (a, b) => a !== b,
    };
  },

  /** An entity id (0 = none), gamma coded. */
  ref(): FieldType<number> {
    return varuintField('ref', 0xfffffffe);
  },

  /** A non-negative integer that is usually small, gamma coded (0 takes one bit). */
  varuint(max = 0xfffffffe): FieldType<number> {
    return varuintField('varuint', max);
  },

  /** A raw IEEE-754 double (64 bits). NaN and infinities are refused. */
  f64(): FieldType<number> {
    return {
      kind: 'f64',
      describe: 'f64',
      defaultValue: 0,
      linear: false,
      threshold: 1,
      maxWire: Number.MAX_VALUE,
      toWire: (v) => finite(v, 'f64'),
      fromWire: (w) => w as number,
      write: (w, x) => w.writeFloat64(x as number),
      read(r) {
        const v = r.readFloat64();
        if (!Number.isFinite(v)) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `f64 value ${v} is not finite`);
        return v;
      },
      bits: () => 64,
      changed: (a, b) => a !== b,
    };
  },

  /** Exactly `n` raw bytes. */
  bytes(n: number): FieldType<Uint8Array> {
    const describe = `bytes(${n})`;
    return {
      kind: 'bytes',
      describe,
      defaultValue: new Uint8Array(n),
      linear: false,
      threshold: 1,
      maxWire: n,
      toWire(v) {
        if (!(v instanceof Uint8Array) || v.length !== n) {
          throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${describe} needs a Uint8Array of length ${n}`);
        }
        return v;
      },
      fromWire: (w) => w as Uint8Array,
      write: (w, x) => w.writeBytes(x as Uint8Array),
      read: (r) => r.readBytes(n),
      bits: () => n * 8,
      changed: (a, b) => a !== b,
    };
  },
};

/** Wraps a field so it may be absent: one presence bit, then the value. */
export function optional<V>(inner: FieldType<V>): FieldType<V | undefined> {
  return {
    kind: inner.kind,
    describe: `optional(${inner.describe})`,
    defaultValue: undefined,
    linear: false,
    threshold: 1,
    maxWire: inner.maxWire,
    toWire: (v) => (v === undefined ? NONE : inner.toWire(v)),
    fromWire: (w) => (w === NONE ? undefined : inner.fromWire(w)),
    write(w, x) {
      w.writeBool(x !== NONE);
      if (x !== NONE) inner.write(w, x);
    },
    read: (r) => (r.readBool() ? inner.read(r) : NONE),
    bits: (x) => 1 + (x === NONE ? 0 : inner.bits(x)),
    changed: (a, b) => a !== b,
  };
}

/** Wire value of an absent optional field. */
const NONE = null;

function varuintField(kind: 'ref' | 'varuint', max: number): FieldType<number> {
  const describe = `${kind}(max=${max})`;
  return {
    kind,
    describe,
    defaultValue: 0,
    linear: false,
    threshold: 1,
    maxWire: max,
    toWire(v) {
      const n = finite(v, describe);
      if (!Number.isInteger(n) || n < 0 || n > max) {
        throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${describe} needs an integer in 0..${max}, got ${n}`);
      }
      return n;
    },
    fromWire: (w) => w as number,
    write: (w, x) => w.writeGamma(x as number),
    read(r) {
      const v = r.readGamma();
      if (v > max) outOfRange(describe, v, max);
      return v;
    },
    bits: (x) => gammaBits(x as number),
    changed: (a, b) => a !== b,
  };
}

/**
 * A struct codec: fields in declaration order, no tags, no padding. Used for inputs, command and
 * event payloads, and the protocol's own fixed messages.
 */
export class Struct<F extends FieldsDef> {
  readonly entries: readonly (readonly [string, AnyField])[];
  readonly describe: string;

  constructor(readonly fields: F) {
    this.entries = Object.entries(fields);
    this.describe = `{${this.entries.map(([k, f]) => `${k}:${f.describe}`).join(',')}}`;
  }

  /** Validates and converts game values, then writes them. Missing fields take their default. */
  write(w: BitWriter, value: Partial<ValuesOf<F>>): void {
    const v = value as Record<string, unknown>;
    for (const [k, f] of this.entries) {
      const x = v[k];
      f.write(w, f.toWire(x === undefined ? f.defaultValue : x));
    }
  }

  read(r: BitReader): ValuesOf<F> {
    const out: Record<string, unknown> = {};
    for (const [k, f] of this.entries) out[k] = f.fromWire(f.read(r));
    return out as ValuesOf<F>;
  }

  /**
   * Reads a value as `read` does (the same checks, the same errors) into `into`, overwriting each
   * field, and returns it: a decoder that reads every message of a kind into one object (the
   * server's inputs) allocates nothing for numeric, bool and enum fields. A throw leaves `into`
   * partly written.
   *
   * @example
   * const input = protocol.input.readInto(reader, scratch); // scratch: an object of the input's shape, reused
   */
  readInto(r: BitReader, into: ValuesOf<F>): ValuesOf<F> {
    const out = into as Record<string, unknown>;
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      out[e[0]] = e[1].fromWire(e[1].read(r));
    }
    return into;
  }

  /** Reads and checks a value as `read` does, without building it (a repeat nobody will use). */
  skip(r: BitReader): void {
    for (const [, f] of this.entries) f.fromWire(f.read(r));
  }

  bits(value: Partial<ValuesOf<F>>): number {
    const v = value as Record<string, unknown>;
    let n = 0;
    for (const [k, f] of this.entries) {
      const x = v[k];
      n += f.bits(f.toWire(x === undefined ? f.defaultValue : x));
    }
    return n;
  }
}
