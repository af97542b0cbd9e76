import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, gammaBits } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';
import type { AnyField, WireValue } from './types.js';
import { RATE_ONE, Struct, bitsFor, linearAt, optional, t } from './types.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

function expectProtocolError(fn: () => unknown, code: ErrorCode): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(ProtocolError);
  expect((e as ProtocolError).code).toBe(code);
}

/** Encoder-side refusals are TickwireErrors (not ProtocolErrors: the peer did nothing wrong). */
function expectValueRefused(fn: () => unknown): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(TickwireError);
  expect(e).not.toBeInstanceOf(ProtocolError);
  expect((e as TickwireError).code).toBe(ErrorCode.VALUE_OUT_OF_RANGE);
}

/** Writes a wire value and reads it back, checking bits() against what was written. */
function roundTrip(f: AnyField, x: WireValue): WireValue {
  const w = new BitWriter();
  f.write(w, x);
  expect(w.bitLength).toBe(f.bits(x));
  const r = new BitReader(w.toBytes());
  const back = f.read(r);
  r.expectEnd();
  return back;
}

/** A reader over `n` raw bits holding `v` (to feed a field a wire value its writer never makes). */
function rawBits(v: number, n: number): BitReader {
  const w = new BitWriter();
  w.writeBits(v, n);
  return new BitReader(w.toBytes());
}

const nonFinite = [Number.NaN, Infinity, -Infinity];

describe('bitsFor', () => {
  it('counts the bits for 0..max', () => {
    expect([0, 1, 2, 3, 4, 100, 255, 256, 0xffffffff].map(bitsFor)).toEqual([0, 1, 2, 2, 3, 7, 8, 9, 32]);
  });
});

describe('t.bool', () => {
  it('is one bit and round-trips', () => {
    const f = t.bool();
    expect(f.bits(true)).toBe(1);
    expect(roundTrip(f, f.toWire(true))).toBe(true);
    expect(roundTrip(f, f.toWire(false))).toBe(false);
    expect(f.defaultValue).toBe(false);
    expect(f.changed(true, false)).toBe(true);
    expect(f.changed(true, true)).toBe(false);
  });
});

describe('t.uint', () => {
  it('takes as many bits as max needs', () => {
    expect(t.uint({ max: 100 }).bits(0)).toBe(7);
    expect(t.uint({ max: 1 }).bits(0)).toBe(1);
    const u8 = t.uint(8);
    expect(u8.maxWire).toBe(255);
    expect(u8.bits(0)).toBe(8);
    expect(u8.describe).toBe('uint(max=255)');
    const u32 = t.uint(32);
    expect(u32.maxWire).toBe(0xffffffff);
    expect(roundTrip(u32, 0xffffffff)).toBe(0xffffffff);
  });

  it('rounds to the nearest integer and clamps into 0..max', () => {
    const f = t.uint({ max: 100 });
    expect(f.toWire(3.4)).toBe(3);
    expect(f.toWire(3.5)).toBe(4);
    expect(f.toWire(-5)).toBe(0);
    expect(f.toWire(100.4)).toBe(100);
    expect(f.toWire(1e9)).toBe(100);
    expect(f.fromWire(f.toWire(42))).toBe(42);
    expect(f.defaultValue).toBe(0);
  });

  it('refuses NaN and infinities', () => {
    const f = t.uint({ max: 100 });
    for (const v of nonFinite) expectValueRefused(() => f.toWire(v));
  });

  it('refuses an out-of-range wire value on read', () => {
    // max 100 in 7 bits: 101..127 fit the bits but are not valid values.
    const f = t.uint({ max: 100 });
    expect(f.read(rawBits(100, 7))).toBe(100);
    expectProtocolError(() => f.read(rawBits(101, 7)), ErrorCode.VALUE_OUT_OF_RANGE);
    expectProtocolError(() => f.read(rawBits(127, 7)), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('refuses a max it cannot represent', () => {
    for (const max of [0, -1, 1.5, 2 ** 32]) expect(() => t.uint({ max })).toThrow(RangeError);
  });

  it('replicates only past the threshold', () => {
    const f = t.uint({ max: 100, threshold: 5 });
    expect(f.threshold).toBe(5);
    expect(f.changed(10, 14)).toBe(false);
    expect(f.changed(10, 15)).toBe(true);
    expect(f.changed(15, 10)).toBe(true);
    expect(f.changed(15, 11)).toBe(false);
    // Default threshold: every change counts.
    expect(t.uint({ max: 100 }).changed(10, 11)).toBe(true);
    expect(t.uint({ max: 100 }).changed(10, 10)).toBe(false);
  });
});

describe('t.int', () => {
  const f = t.int({ min: -10, max: 10 });

  it('is sent as an offset from min', () => {
    expect(f.bits(0)).toBe(5); // range 20
    expect(f.maxWire).toBe(20);
    expect(f.toWire(-10)).toBe(0);
    expect(f.toWire(0)).toBe(10);
    expect(f.toWire(10)).toBe(20);
    expect(f.fromWire(0)).toBe(-10);
    expect(f.fromWire(roundTrip(f, f.toWire(-3)))).toBe(-3);
  });

  it('rounds and clamps', () => {
    expect(f.toWire(-2.6)).toBe(7); // -3 - (-10)
    expect(f.toWire(-11)).toBe(0);
    expect(f.toWire(1e12)).toBe(20);
    for (const v of nonFinite) expectValueRefused(() => f.toWire(v));
  });

  it('refuses an out-of-range wire value on read', () => {
    expectProtocolError(() => f.read(rawBits(21, 5)), ErrorCode.VALUE_OUT_OF_RANGE);
    expectProtocolError(() => f.read(rawBits(31, 5)), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('refuses bad bounds', () => {
    expect(() => t.int({ min: 0, max: 0 })).toThrow(RangeError);
    expect(() => t.int({ min: 1, max: 0 })).toThrow(RangeError);
    expect(() => t.int({ min: 0.5, max: 3 })).toThrow(RangeError);
    expect(() => t.int({ min: -(2 ** 31), max: 2 ** 31 })).toThrow(RangeError);
    expect(t.int({ min: -(2 ** 31), max: 2 ** 31 - 1 }).bits(0)).toBe(32);
  });
});

describe('t.float', () => {
  const f = t.float({ min: 0, max: 10, precision: 0.5 });

  it('quantizes to round((v - min) / precision) and clamps', () => {
    expect(f.maxWire).toBe(20);
    expect(f.bits(0)).toBe(5);
    expect(f.toWire(2.26)).toBe(5); // 4.52 steps
    expect(f.fromWire(5)).toBe(2.5);
    expect(f.toWire(-1)).toBe(0);
    expect(f.toWire(11)).toBe(20);
    expect(f.defaultValue).toBe(0);
    const g = t.float({ min: -100, max: 100, precision: 0.25 });
    expect(g.toWire(-100)).toBe(0);
    expect(g.fromWire(g.toWire(0))).toBe(0);
    expect(g.fromWire(g.toWire(99.9))).toBe(100);
  });

  it('refuses NaN and infinities', () => {
    for (const v of nonFinite) expectValueRefused(() => f.toWire(v));
  });

  it('refuses an out-of-range wire value on read', () => {
    expectProtocolError(() => f.read(rawBits(21, 5)), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('property: quantization error is at most half a step inside the range', () => {
    const g = t.float({ min: -50, max: 50, precision: 0.01 });
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), (v) => {
        const back = g.fromWire(roundTrip(g, g.toWire(v)));
        expect(Math.abs(back - v)).toBeLessThanOrEqual(0.005 + 1e-9);
      }),
      { numRuns: 1000 },
    );
  });

  it('takes its threshold in steps (default one step)', () => {
    expect(f.threshold).toBe(1);
    const g = t.float({ min: 0, max: 100, precision: 0.1, threshold: 1 });
    expect(g.threshold).toBe(10);
    expect(g.changed(100, 109)).toBe(false);
    expect(g.changed(100, 110)).toBe(true);
    expect(g.changed(110, 100)).toBe(true);
  });

  it('marks linear fields and names them in describe', () => {
    const lin = t.float({ min: 0, max: 1000, precision: 0.1, linear: true });
    expect(lin.linear).toBe(true);
    expect(lin.describe).toBe('float(min=0,max=1000,precision=0.1,linear)');
    expect(f.linear).toBe(false);
    expect(f.describe).toBe('float(min=0,max=10,precision=0.5)');
  });

  it('refuses bad bounds and ranges needing more than 32 bits', () => {
    expect(() => t.float({ min: 0, max: 1, precision: 0 })).toThrow(RangeError);
    expect(() => t.float({ min: 0, max: 1, precision: -1 })).toThrow(RangeError);
    expect(() => t.float({ min: 1, max: 1, precision: 0.1 })).toThrow(RangeError);
    expect(() => t.float({ min: 0, max: 1e10, precision: 1 })).toThrow(RangeError);
  });
});

describe('t.angle', () => {
  it('normalises radians into [0, 2π) in 16 bits by default', () => {
    const f = t.angle();
    expect(f.bits(0)).toBe(16);
    expect(f.maxWire).toBe(65535);
    expect(f.toWire(0)).toBe(0);
    expect(f.toWire(Math.PI)).toBe(32768);
    expect(f.toWire(-Math.PI / 2)).toBe(49152);
    expect(f.toWire(2 * Math.PI)).toBe(0);
    expect(f.toWire(4 * Math.PI + Math.PI / 2)).toBe(16384);
    expect(f.toWire(-0.0001)).toBe(65535); // just below zero wraps to the top
    expect(f.fromWire(16384)).toBeCloseTo(Math.PI / 2, 12);
    for (const v of nonFinite) expectValueRefused(() => f.toWire(v));
  });

  it('accepts every wire value on read', () => {
    const f = t.angle({ bits: 4 });
    for (let v = 0; v < 16; v++) expect(roundTrip(f, v)).toBe(v);
  });

  it('measures change the short way round', () => {
    const f = t.angle({ bits: 8 }); // period 256, threshold one step
    expect(f.changed(255, 0)).toBe(true);
    expect(f.changed(0, 0)).toBe(false);
    const g = t.angle({ bits: 8, threshold: (4 * 2 * Math.PI) / 256 }); // four steps
    expect(g.threshold).toBe(4);
    expect(g.changed(254, 1)).toBe(false); // 3 steps across zero, not 253
    expect(g.changed(1, 254)).toBe(false);
    expect(g.changed(252, 0)).toBe(true); // 4 steps across zero
    expect(g.changed(0, 128)).toBe(true);
  });

  it('refuses a bit count outside 2..24', () => {
    for (const bits of [1, 25, 2.5]) expect(() => t.angle({ bits })).toThrow(RangeError);
  });
});

describe('t.enum', () => {
  const f = t.enum(['idle', 'run', 'jump']);

  it('sends the index in as few bits as the count needs', () => {
    expect(f.bits(0)).toBe(2);
    expect(f.toWire('run')).toBe(1);
    expect(f.fromWire(roundTrip(f, f.toWire('jump')))).toBe('jump');
    expect(f.defaultValue).toBe('idle');
    expect(f.describe).toBe('enum(idle|run|jump)');
    expect(t.enum(['only']).bits(0)).toBe(0);
  });

  it('refuses unknown values and out-of-range indices', () => {
    expectValueRefused(() => f.toWire('fly' as 'run'));
    expectProtocolError(() => f.read(rawBits(3, 2)), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('needs at least one value', () => {
    expect(() => t.enum([])).toThrow(RangeError);
  });
});

describe('t.string', () => {
  const enc = new TextEncoder();
  const utf8 = (s: string): number => enc.encode(s).length;

  it('round-trips multi-byte strings; bits are gamma(length) plus the bytes', () => {
    const f = t.string(64);
    for (const s of ['', 'abc', 'héllo', '日本', '🎮🎮']) {
      expect(roundTrip(f, f.toWire(s))).toBe(s);
      expect(f.bits(s)).toBe(gammaBits(utf8(s)) + 8 * utf8(s));
    }
  });

  it('truncates long values at a character boundary', () => {
    expect(t.string(4).toWire('abcdef')).toBe('abcd');
    expect(t.string(4).toWire('aé€')).toBe('aé'); // € (3 bytes) would make 6
    expect(t.string(5).toWire('ab😀')).toBe('ab'); // never half a surrogate pair
    expect(t.string(3).toWire('😀')).toBe('');
    expect(t.string(6).toWire('ab😀c')).toBe('ab😀');
  });

  it('property: truncation keeps the longest whole-character prefix that fits', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (s, max) => {
        const wire = t.string(max).toWire(s);
        expect(typeof wire).toBe('string');
        const out = wire as string;
        const chars = Array.from(s);
        const kept = Array.from(out);
        expect(chars.slice(0, kept.length).join('')).toBe(out);
        expect(utf8(out)).toBeLessThanOrEqual(max);
        if (kept.length < chars.length) expect(utf8(out + chars[kept.length]!)).toBeGreaterThan(max);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses non-strings and reads over the limit', () => {
    expectValueRefused(() => t.string(8).toWire(5 as unknown as string));
    const w = new BitWriter();
    t.string(100).write(w, 'hello');
    expectProtocolError(() => t.string(4).read(new BitReader(w.toBytes())), ErrorCode.STRING_TOO_LONG);
  });
});

describe('t.ref and t.varuint', () => {
  it('are gamma coded: 0 is one bit', () => {
    const f = t.ref();
    expect(f.bits(0)).toBe(1);
    expect(f.bits(1)).toBe(3);
    for (const v of [0, 1, 2, 1000, 0xfffffffe]) expect(roundTrip(f, f.toWire(v))).toBe(v);
  });

  it('refuses negative, fractional, non-finite and too-large values', () => {
    const f = t.varuint(1000);
    for (const v of [-1, 1.5, 1001, ...nonFinite]) expectValueRefused(() => f.toWire(v));
    for (const v of [-1, 2 ** 32 - 1]) expectValueRefused(() => t.ref().toWire(v));
  });

  it('refuses a decoded value above max', () => {
    const w = new BitWriter();
    w.writeGamma(11);
    expectProtocolError(() => t.varuint(10).read(new BitReader(w.toBytes())), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('compares exactly', () => {
    expect(t.ref().changed(3, 3)).toBe(false);
    expect(t.ref().changed(3, 4)).toBe(true);
  });
});

describe('t.f64', () => {
  const f = t.f64();

  it('round-trips finite doubles exactly, including -0', () => {
    for (const v of [0, -0, 1e-310, -1.5, Number.MAX_VALUE, Math.E]) {
      expect(Object.is(roundTrip(f, f.toWire(v)), v)).toBe(true);
    }
    expect(f.bits(0)).toBe(64);
  });

  it('refuses non-finite values on write and on read', () => {
    for (const v of nonFinite) expectValueRefused(() => f.toWire(v));
    for (const v of nonFinite) {
      const w = new BitWriter();
      w.writeFloat64(v);
      expectProtocolError(() => f.read(new BitReader(w.toBytes())), ErrorCode.VALUE_OUT_OF_RANGE);
    }
  });
});

describe('t.bytes', () => {
  const f = t.bytes(4);

  it('round-trips exactly n bytes', () => {
    const v = Uint8Array.of(1, 2, 250, 0);
    expect([...(roundTrip(f, f.toWire(v)) as Uint8Array)]).toEqual([1, 2, 250, 0]);
    expect(f.bits(v)).toBe(32);
    expect(f.defaultValue).toEqual(new Uint8Array(4));
  });

  it('refuses the wrong length or type', () => {
    expectValueRefused(() => f.toWire(new Uint8Array(3)));
    expectValueRefused(() => f.toWire([1, 2, 3, 4] as unknown as Uint8Array));
  });

  it('reports a short read as TRUNCATED', () => {
    expectProtocolError(() => f.read(new BitReader(new Uint8Array(3))), ErrorCode.TRUNCATED);
  });
});

describe('optional', () => {
  const f = optional(t.uint({ max: 100 }));

  it('adds a presence bit', () => {
    expect(f.toWire(undefined)).toBeNull();
    expect(f.bits(null)).toBe(1);
    expect(f.bits(5)).toBe(8);
    expect(roundTrip(f, f.toWire(undefined))).toBeNull();
    expect(f.fromWire(roundTrip(f, f.toWire(42)))).toBe(42);
    expect(f.fromWire(null)).toBeUndefined();
    expect(f.defaultValue).toBeUndefined();
    expect(f.describe).toBe('optional(uint(max=100))');
  });

  it('keeps the inner validation', () => {
    expect(f.toWire(500)).toBe(100);
    expectValueRefused(() => f.toWire(Number.NaN));
    expectProtocolError(() => f.read(rawBits(0b1111_1111, 8)), ErrorCode.VALUE_OUT_OF_RANGE); // present, 127
  });

  it('detects presence changes', () => {
    expect(f.changed(null, 0)).toBe(true);
    expect(f.changed(null, null)).toBe(false);
    expect(f.changed(3, 3)).toBe(false);
  });
});

describe('linearAt', () => {
  it('extrapolates in 1/16 steps per tick and rounds', () => {
    expect(RATE_ONE).toBe(16);
    expect(linearAt(100, 16, 5, 1000)).toBe(105);
    expect(linearAt(100, 3, 5, 1000)).toBe(101); // 15/16 rounds up
    expect(linearAt(100, 8, 1, 1000)).toBe(101); // exactly half rounds up (Math.round)
    expect(linearAt(100, -8, 1, 1000)).toBe(100); // -0.5 rounds towards +infinity
    expect(linearAt(100, -24, 1, 1000)).toBe(99); // -1.5 -> -1
    expect(linearAt(100, 1234, 0, 1000)).toBe(100);
  });

  it('clamps into 0..maxWire', () => {
    expect(linearAt(10, -160, 2, 1000)).toBe(0);
    expect(linearAt(990, 160, 2, 1000)).toBe(1000);
  });
});

describe('property: bits() equals the bits actually written', () => {
  // Each case: a field and an arbitrary game value for it (including out-of-range ones,
  // which toWire clamps).
  const cases: fc.Arbitrary<[AnyField, unknown]>[] = [
    fc.tuple(fc.constant(t.bool() as AnyField), fc.boolean()),
    fc.tuple(fc.constant(t.uint({ max: 1000 }) as AnyField), fc.double({ min: -10, max: 2000, noNaN: true })),
    fc.tuple(fc.constant(t.uint(32) as AnyField), fc.double({ min: -1, max: 2 ** 33, noNaN: true })),
    fc.tuple(fc.constant(t.int({ min: -500, max: 500 }) as AnyField), fc.integer({ min: -1000, max: 1000 })),
    fc.tuple(fc.constant(t.float({ min: -10, max: 10, precision: 0.01, linear: true }) as AnyField), fc.double({ min: -20, max: 20, noNaN: true })),
    fc.tuple(fc.constant(t.angle({ bits: 12 }) as AnyField), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
    fc.tuple(fc.constant(t.enum(['a', 'b', 'c', 'd', 'e']) as AnyField), fc.constantFrom('a', 'b', 'c', 'd', 'e')),
    fc.tuple(fc.constant(t.string(24) as AnyField), fc.string({ unit: 'binary', maxLength: 30 })),
    fc.tuple(fc.constant(t.ref() as AnyField), fc.integer({ min: 0, max: 0xfffffffe })),
    fc.tuple(fc.constant(t.varuint(5000) as AnyField), fc.nat(5000)),
    fc.tuple(fc.constant(t.f64() as AnyField), fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.tuple(fc.constant(t.bytes(3) as AnyField), fc.uint8Array({ minLength: 3, maxLength: 3 })),
    fc.tuple(fc.constant(optional(t.string(8)) as AnyField), fc.option(fc.string({ maxLength: 10 }), { nil: undefined })),
    fc.tuple(fc.constant(optional(t.varuint()) as AnyField), fc.option(fc.nat(), { nil: undefined })),
  ];

  it('for every field type, and the value reads back as written', () => {
    fc.assert(
      fc.property(fc.oneof(...cases), fc.integer({ min: 0, max: 7 }), ([f, v], off) => {
        const x = f.toWire(v);
        const w = new BitWriter();
        w.writeBits(0, off);
        f.write(w, x);
        expect(w.bitLength - off).toBe(f.bits(x));
        const r = new BitReader(w.toBytes());
        r.readBits(off);
        const back = f.read(r);
        // Numbers compare with ===: quantizers may hand out -0 (Math.round(-0.3)), which
        // goes on the wire as 0. That is the same wire value.
        if (typeof x === 'number') expect(back === x).toBe(true);
        else expect(back).toEqual(x);
        r.expectEnd();
        expect(f.changed(x, x)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Struct', () => {
  const s = new Struct({ hp: t.uint({ max: 100 }), name: t.string(8), alive: t.bool(), tag: optional(t.ref()) });

  it('writes fields in declaration order and reads them back', () => {
    const w = new BitWriter();
    s.write(w, { hp: 73, name: 'zed', alive: true, tag: 9 });
    expect(w.bitLength).toBe(s.bits({ hp: 73, name: 'zed', alive: true, tag: 9 }));
    const r = new BitReader(w.toBytes());
    expect(r.readBits(7)).toBe(73); // hp comes first, in 7 bits
    const r2 = new BitReader(w.toBytes());
    expect(s.read(r2)).toEqual({ hp: 73, name: 'zed', alive: true, tag: 9 });
    r2.expectEnd();
  });

  it('fills missing fields with their defaults', () => {
    const w = new BitWriter();
    s.write(w, { name: 'x' });
    expect(s.read(new BitReader(w.toBytes()))).toEqual({ hp: 0, name: 'x', alive: false, tag: undefined });
  });

  it('describes itself canonically', () => {
    expect(s.describe).toBe('{hp:uint(max=100),name:string(max=8),alive:bool,tag:optional(ref(max=4294967294))}');
    expect(new Struct({}).describe).toBe('{}');
  });

  it('propagates field refusals', () => {
    expectValueRefused(() => s.write(new BitWriter(), { hp: Number.NaN }));
  });
});
