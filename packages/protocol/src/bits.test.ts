import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, GAMMA_MAX, gammaBits, varuintBytes } from './bits.js';
import { ErrorCode, ProtocolError } from './errors.js';

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

function reader(w: BitWriter): BitReader {
  return new BitReader(w.toBytes());
}

/** The bits of a byte array as a string, in stream order (bit 0 of byte 0 first). */
function streamBits(bytes: Uint8Array, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (bytes[i >>> 3]! >>> (i & 7)) & 1;
  return s;
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

describe('bit order', () => {
  it('packs least-significant bit first within a byte', () => {
    // 1 (1 bit), 0 (1 bit), 0b101 (3 bits) land in bits 0, 1 and 2..4 of byte 0:
    // 0b000_101_0_1 = 0x15.
    const w = new BitWriter();
    w.writeBits(1, 1);
    w.writeBits(0, 1);
    w.writeBits(0b101, 3);
    expect([...w.toBytes()]).toEqual([0x15]);
    expect(w.bitLength).toBe(5);
    expect(w.byteLength).toBe(1);
  });

  it('puts the low byte of a multi-byte value first (little-endian)', () => {
    const w = new BitWriter();
    w.writeBits(0x1234, 16);
    expect([...w.toBytes()]).toEqual([0x34, 0x12]);
  });

  it('splits a value across a byte boundary low bits first', () => {
    // 0xF fills bits 0..3; the low nibble of 0xABC (0xC) fills bits 4..7, then 0xAB follows.
    const w = new BitWriter();
    w.writeBits(0xf, 4);
    w.writeBits(0xabc, 12);
    expect([...w.toBytes()]).toEqual([0xcf, 0xab]);
  });

  it('writes only the low n bits of the value', () => {
    const w = new BitWriter();
    w.writeBits(0xff, 4);
    w.writeBits(0, 4);
    expect([...w.toBytes()]).toEqual([0x0f]);
  });

  it('pads the last byte with zero bits', () => {
    const w = new BitWriter();
    w.writeBits(0b111, 3);
    expect([...w.toBytes()]).toEqual([0b111]);
  });
});

describe('writeBits / readBits', () => {
  it('round-trips every width 0..32 at every bit offset 0..7', () => {
    for (let n = 0; n <= 32; n++) {
      const max = 2 ** n - 1;
      const values = [...new Set([0, 1 % (max + 1), max, Math.floor(max / 3), max - 1 < 0 ? 0 : max - 1])];
      for (let off = 0; off < 8; off++) {
        const w = new BitWriter(1);
        w.writeBits(0b1010101, off);
        for (const v of values) w.writeBits(v, n);
        w.writeBits(1, 1); // a sentinel right after: catches a width that writes too many bits
        expect(w.bitLength).toBe(off + values.length * n + 1);
        const r = reader(w);
        expect(r.readBits(off)).toBe(0b1010101 & (2 ** off - 1));
        for (const v of values) expect(r.readBits(n)).toBe(v);
        expect(r.readBits(1)).toBe(1);
        r.expectEnd();
      }
    }
  });

  it('reads 32-bit values as unsigned', () => {
    const w = new BitWriter();
    w.writeBits(0xffffffff, 32);
    w.writeBits(0x80000000, 32);
    const r = reader(w);
    expect(r.readBits(32)).toBe(4294967295);
    expect(r.readBits(32)).toBe(2147483648);
  });

  it('width 0 writes and reads nothing', () => {
    const w = new BitWriter();
    w.writeBits(12345, 0);
    expect(w.bitLength).toBe(0);
    expect(new BitReader(new Uint8Array(0)).readBits(0)).toBe(0);
  });

  it('round-trips bools', () => {
    const w = new BitWriter();
    const bools = [true, false, false, true, true, true, false, true, true];
    for (const b of bools) w.writeBool(b);
    const r = reader(w);
    expect(bools.map(() => r.readBool())).toEqual(bools);
  });

  it('grows its buffer past the initial size on every write path', () => {
    const w = new BitWriter(1); // minimum 16 bytes
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff);
    w.writeBytes(bytes); // aligned bulk copy
    w.writeBits(1, 3);
    w.writeBytes(bytes); // unaligned
    w.appendBits(bytes, 800); // unaligned append
    w.align();
    w.appendBits(bytes, 800); // aligned append
    for (let i = 0; i < 50; i++) w.writeBits(0xdeadbeef, 32);
    const r = reader(w);
    expect([...r.readBytes(100)]).toEqual([...bytes]);
    expect(r.readBits(3)).toBe(1);
    expect([...r.readBytes(100)]).toEqual([...bytes]);
    expect([...r.readBytes(100)]).toEqual([...bytes]);
    r.align();
    expect([...r.readBytes(100)]).toEqual([...bytes]);
    for (let i = 0; i < 50; i++) expect(r.readBits(32)).toBe(0xdeadbeef);
    r.expectEnd();
  });

  it('reset clears the bytes (writes OR into the buffer, so stale bits would leak)', () => {
    const w = new BitWriter();
    w.writeBits(0xffffffff, 32);
    w.reset();
    expect(w.bitLength).toBe(0);
    w.writeBits(0, 20);
    expect([...w.toBytes()]).toEqual([0, 0, 0]);
  });

  it('toBytes is a copy, view is a live window', () => {
    const w = new BitWriter();
    w.writeBits(0xab, 8);
    const copy = w.toBytes();
    const view = w.view();
    w.reset();
    w.writeBits(0x01, 8);
    expect(copy[0]).toBe(0xab);
    expect(view[0]).toBe(0x01);
  });
});

describe('Elias-gamma codes', () => {
  it('has the documented code words', () => {
    // v -> (len-1) zeros, a one, the low (len-1) bits of v+1 (LSB first).
    const cases: [number, string][] = [
      [0, '1'],
      [1, '010'],
      [2, '011'],
      [3, '00100'],
      [6, '00111'],
      [7, '0001000'],
    ];
    for (const [v, bits] of cases) {
      const w = new BitWriter();
      w.writeGamma(v);
      expect(streamBits(w.toBytes(), w.bitLength)).toBe(bits);
      expect(gammaBits(v)).toBe(bits.length);
    }
  });

  it('round-trips boundary values with lengths matching gammaBits', () => {
    const values = [0, 1, 2, 3, 6, 7, 254, 255, 256, 65534, 65535, 2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, GAMMA_MAX - 1, GAMMA_MAX];
    for (const v of values) {
      const w = new BitWriter();
      w.writeBits(1, 5); // unaligned start
      w.writeGamma(v);
      expect(w.bitLength - 5).toBe(gammaBits(v));
      const r = reader(w);
      r.readBits(5);
      expect(r.readGamma()).toBe(v);
      r.expectEnd();
    }
    expect(gammaBits(GAMMA_MAX)).toBe(63);
  });

  it('refuses values it cannot encode', () => {
    const w = new BitWriter();
    for (const bad of [-1, 1.5, GAMMA_MAX + 1, Number.NaN, Infinity]) {
      expect(() => w.writeGamma(bad)).toThrow(RangeError);
    }
    expect(w.bitLength).toBe(0);
  });

  it('refuses a code with 32 or more leading zeros', () => {
    expectProtocolError(() => new BitReader(new Uint8Array(8)).readGamma(), ErrorCode.VALUE_OUT_OF_RANGE);
    // 31 zeros is still legal: the largest code, GAMMA_MAX.
    const w = new BitWriter();
    w.writeBits(0, 31);
    w.writeBits(1, 1);
    w.writeBits(0x7fffffff, 31);
    expect(reader(w).readGamma()).toBe(GAMMA_MAX);
  });

  it('signed gamma zig-zags small magnitudes to short codes', () => {
    const order = [0, -1, 1, -2, 2, -3];
    order.forEach((v, i) => {
      expect(zigzag(v)).toBe(i);
      const w = new BitWriter();
      w.writeSignedGamma(v);
      expect(w.bitLength).toBe(gammaBits(i));
      expect(reader(w).readSignedGamma()).toBe(v);
    });
    for (const v of [2147483647, -2147483647]) {
      const w = new BitWriter();
      w.writeSignedGamma(v);
      expect(reader(w).readSignedGamma()).toBe(v);
    }
  });

  it('property: gamma and signed gamma round-trip with gammaBits length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: GAMMA_MAX }), fc.integer({ min: -2147483647, max: 2147483647 }), (u, s) => {
        const w = new BitWriter();
        w.writeGamma(u);
        expect(w.bitLength).toBe(gammaBits(u));
        w.writeSignedGamma(s);
        expect(w.bitLength).toBe(gammaBits(u) + gammaBits(zigzag(s)));
        const r = reader(w);
        expect(r.readGamma()).toBe(u);
        expect(r.readSignedGamma()).toBe(s);
        r.expectEnd();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('LEB128 varuint', () => {
  it('encodes 7 bits a byte, low group first, high bit = more', () => {
    const w = new BitWriter();
    w.writeVarUint(300); // 300 = 0b10_0101100 -> 0xAC 0x02
    expect([...w.toBytes()]).toEqual([0xac, 0x02]);
  });

  it('round-trips boundaries up to MAX_SAFE_INTEGER with varuintBytes length', () => {
    const values = [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 32 - 1, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER];
    const sizes = [1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 8, 8];
    values.forEach((v, i) => {
      expect(varuintBytes(v)).toBe(sizes[i]);
      const w = new BitWriter();
      w.writeVarUint(v);
      expect(w.byteLength).toBe(sizes[i]);
      const r = reader(w);
      expect(r.readVarUint()).toBe(v);
      r.expectEnd();
    });
  });

  it('refuses values outside 0..MAX_SAFE_INTEGER on write', () => {
    const w = new BitWriter();
    for (const bad of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      expect(() => w.writeVarUint(bad)).toThrow(RangeError);
    }
  });

  it('refuses encodings longer than 53 bits on read', () => {
    // Nine bytes with the continuation bit set: never terminates within 8 bytes.
    expectProtocolError(() => new BitReader(new Uint8Array(9).fill(0x80)).readVarUint(), ErrorCode.VALUE_OUT_OF_RANGE);
    // Eight bytes that terminate but hold 2^53 (one past MAX_SAFE_INTEGER).
    const twoPow53 = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10);
    expectProtocolError(() => new BitReader(twoPow53).readVarUint(), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('reports a varuint cut short as TRUNCATED', () => {
    expectProtocolError(() => new BitReader(Uint8Array.of(0x80, 0x80)).readVarUint(), ErrorCode.TRUNCATED);
  });

  it('property: round-trips any safe integer at any bit offset', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 0, max: 7 }), (v, off) => {
        const w = new BitWriter();
        w.writeBits(0, off);
        w.writeVarUint(v);
        expect(w.bitLength).toBe(off + 8 * varuintBytes(v));
        const r = reader(w);
        r.readBits(off);
        expect(r.readVarUint()).toBe(v);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('float64', () => {
  it('round-trips special values bit for bit, aligned and unaligned', () => {
    const values = [0, -0, 1, -1.5, Math.PI, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, Number.NaN, 1e-310];
    for (const off of [0, 3]) {
      const w = new BitWriter();
      w.writeBits(0, off);
      for (const v of values) w.writeFloat64(v);
      expect(w.bitLength).toBe(off + 64 * values.length);
      const r = reader(w);
      r.readBits(off);
      for (const v of values) expect(Object.is(r.readFloat64(), v)).toBe(true);
    }
  });

  it('is little-endian IEEE-754', () => {
    const w = new BitWriter();
    w.writeFloat64(1); // 0x3FF0000000000000
    expect([...w.toBytes()]).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });
});

describe('strings and bytes', () => {
  const samples = ['', 'a', 'hello world', 'héllo', '日本語', '😀 emoji 🎮', '\u0000nul', '\uFEFFbom first', 'x'.repeat(300)];

  it('round-trips UTF-8 strings (incl. multi-byte and a leading BOM) at any offset', () => {
    const enc = new TextEncoder();
    for (const s of samples) {
      for (const off of [0, 1, 7]) {
        const w = new BitWriter();
        w.writeBits(0, off);
        w.writeString(s);
        const n = enc.encode(s).length;
        expect(w.bitLength).toBe(off + gammaBits(n) + 8 * n);
        const r = reader(w);
        r.readBits(off);
        expect(r.readString(1000)).toBe(s);
        r.expectEnd();
      }
    }
  });

  it('writes the gamma byte length then the raw UTF-8 bytes', () => {
    const w = new BitWriter();
    w.writeString('é'); // 2 bytes: gamma(2) = '011', then C3 A9
    expect(w.bitLength).toBe(3 + 16);
    const r = reader(w);
    expect(r.readGamma()).toBe(2);
    expect([...r.readBytes(2)]).toEqual([0xc3, 0xa9]);
  });

  it('refuses strings longer than the limit before reading them', () => {
    const w = new BitWriter();
    w.writeString('hello');
    expectProtocolError(() => reader(w).readString(4), ErrorCode.STRING_TOO_LONG);
    expect(reader(w).readString(5)).toBe('hello');
  });

  it('refuses invalid UTF-8', () => {
    const bad = [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80] /* encoded surrogate */, [0xc0, 0xaf] /* overlong */];
    for (const bytes of bad) {
      const w = new BitWriter();
      w.writeGamma(bytes.length);
      w.writeBytes(Uint8Array.from(bytes));
      expectProtocolError(() => reader(w).readString(64), ErrorCode.INVALID_UTF8);
    }
  });

  it('reports a string cut short as TRUNCATED', () => {
    const w = new BitWriter();
    w.writeString('truncated');
    const bytes = w.toBytes();
    expectProtocolError(() => new BitReader(bytes.subarray(0, bytes.length - 1)).readString(64), ErrorCode.TRUNCATED);
  });

  it('round-trips raw bytes aligned and unaligned; reads return copies', () => {
    const bytes = Uint8Array.of(0, 1, 0x7f, 0x80, 0xff, 0x55);
    for (const off of [0, 5]) {
      const w = new BitWriter();
      w.writeBits(0, off);
      w.writeBytes(bytes);
      const buf = w.toBytes();
      const r = new BitReader(buf);
      r.readBits(off);
      const out = r.readBytes(bytes.length);
      expect([...out]).toEqual([...bytes]);
      out[0] = 99;
      expect(new BitReader(buf).readBits(off + 8) >>> off).toBe(0);
    }
  });
});

describe('appendBits', () => {
  function source(bits: readonly [number, number][]): BitWriter {
    const w = new BitWriter();
    for (const [v, n] of bits) w.writeBits(v, n);
    return w;
  }

  it('appends at an aligned position, including a partial last byte', () => {
    const src = source([[0x3ff, 10]]);
    const w = new BitWriter();
    w.writeBits(0xaa, 8);
    w.appendBits(src.view(), src.bitLength);
    expect(w.bitLength).toBe(18);
    expect([...w.toBytes()]).toEqual([0xaa, 0xff, 0x03]);
  });

  it('appends at an unaligned position', () => {
    const src = source([[0x3ff, 10]]);
    const w = new BitWriter();
    w.writeBits(0b101, 3);
    w.appendBits(src.view(), src.bitLength);
    expect(w.bitLength).toBe(13);
    // bits 0..2 = 101, bits 3..12 = ten ones
    expect([...w.toBytes()]).toEqual([0xfd, 0x1f]);
  });

  it('ignores source bits past bitLength', () => {
    // A cached record buffer may hold other data after the record.
    for (const off of [0, 3]) {
      const w = new BitWriter();
      w.writeBits(0, off);
      w.appendBits(Uint8Array.of(0xff, 0xff, 0xff), 11);
      expect(w.bitLength).toBe(off + 11);
      const r = reader(w);
      r.readBits(off);
      expect(r.readBits(11)).toBe(0x7ff);
      r.expectEnd(); // the padding after bit off+11 is zero
    }
  });

  it('property: appending a record equals writing it in place, at any offset', () => {
    const chunk = fc.integer({ min: 0, max: 32 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: 2 ** n - 1 }), fc.constant(n)));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 6 }), fc.array(chunk, { maxLength: 12 }), fc.uint8Array({ minLength: 1, maxLength: 4 }), (prefix, rec, junk) => {
        const direct = source([...prefix, ...rec]);
        const src = source(rec);
        // Dirty the source past its end: those bits must not leak into the output.
        const dirty = new Uint8Array(src.byteLength + junk.length);
        dirty.set(src.view());
        if (src.bitLength & 7) dirty[src.byteLength - 1]! |= 0xff << (src.bitLength & 7);
        dirty.set(junk, src.byteLength);
        const appended = source(prefix);
        appended.appendBits(dirty, src.bitLength);
        expect(appended.bitLength).toBe(direct.bitLength);
        expect([...appended.toBytes()]).toEqual([...direct.toBytes()]);
        // The same record appended from inside another writer, after a byte-aligned prefix of junk.
        const holder = new BitWriter();
        holder.writeBytes(junk);
        holder.appendBits(dirty, src.bitLength);
        const fromWriter = source(prefix);
        fromWriter.appendFrom(holder, junk.length, src.bitLength);
        expect([...fromWriter.toBytes()]).toEqual([...direct.toBytes()]);
        // And as whole bytes, when the record is byte-sized.
        if ((src.bitLength & 7) === 0) {
          const bytes = source(prefix);
          bytes.writeBytes(src.toBytes());
          expect([...bytes.toBytes()]).toEqual([...direct.toBytes()]);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('align and expectEnd', () => {
  it('writer align pads with zeros to the next byte, and is a no-op when aligned', () => {
    const w = new BitWriter();
    w.align();
    expect(w.bitLength).toBe(0);
    w.writeBits(1, 3);
    w.align();
    expect(w.bitLength).toBe(8);
    w.align();
    expect(w.bitLength).toBe(8);
    w.writeBits(0xff, 8);
    expect([...w.toBytes()]).toEqual([1, 0xff]);
  });

  it('reader align skips to the next byte boundary', () => {
    const r = new BitReader(Uint8Array.of(0x01, 0x02));
    r.readBits(1);
    r.align();
    expect(r.bitPosition).toBe(8);
    r.align();
    expect(r.bitPosition).toBe(8);
    expect(r.readBits(8)).toBe(2);
    r.align();
    expect(r.bitsLeft).toBe(0);
  });

  it('reader can start at a byte offset', () => {
    const r = new BitReader(Uint8Array.of(1, 2, 3), 2);
    expect(r.bitPosition).toBe(16);
    expect(r.bitsLeft).toBe(8);
    expect(r.readBits(8)).toBe(3);
  });

  it('accepts the exact end and zero padding under one byte', () => {
    const r = new BitReader(Uint8Array.of(0b0000_0101));
    expect(r.readBits(3)).toBe(5);
    r.expectEnd();
    new BitReader(new Uint8Array(0)).expectEnd();
  });

  it('refuses non-zero padding', () => {
    const r = new BitReader(Uint8Array.of(0b1000_0101));
    r.readBits(3);
    expectProtocolError(() => r.expectEnd(), ErrorCode.TRAILING_DATA);
  });

  it('refuses a whole trailing byte, even a zero one', () => {
    const r = new BitReader(Uint8Array.of(7, 0));
    r.readBits(8);
    expectProtocolError(() => r.expectEnd(), ErrorCode.TRAILING_DATA);
    const r2 = new BitReader(Uint8Array.of(7, 0));
    r2.readBits(3);
    expectProtocolError(() => r2.expectEnd(), ErrorCode.TRAILING_DATA);
  });
});

describe('reads past the end', () => {
  const cases: [string, (r: BitReader) => unknown][] = [
    ['readBits', (r) => r.readBits(9)],
    ['readBits(32)', (r) => r.readBits(32)],
    ['readBool', (r) => (r.readBits(8), r.readBool())],
    ['readGamma', (r) => r.readGamma()],
    ['readSignedGamma', (r) => r.readSignedGamma()],
    ['readVarUint', (r) => r.readVarUint()],
    ['readFloat64', (r) => r.readFloat64()],
    ['readBytes', (r) => r.readBytes(2)],
    ['readString', (r) => r.readString(64)],
  ];
  for (const [name, read] of cases) {
    it(`${name} throws ProtocolError TRUNCATED`, () => {
      // One byte that starts a longer value: 0x80 is a varuint continuation, and as gamma
      // it is seven zeros then a one whose payload is missing.
      expectProtocolError(() => read(new BitReader(Uint8Array.of(0x80))), ErrorCode.TRUNCATED);
    });
  }

  it('does not move the position on a failed read', () => {
    const r = new BitReader(Uint8Array.of(0xff));
    r.readBits(3);
    expectProtocolError(() => r.readBits(6), ErrorCode.TRUNCATED);
    expect(r.bitPosition).toBe(3);
    expect(r.readBits(5)).toBe(0x1f);
  });

  it('reads nothing from an empty buffer', () => {
    const r = new BitReader(new Uint8Array(0));
    expect(r.bitsLeft).toBe(0);
    expectProtocolError(() => r.readBool(), ErrorCode.TRUNCATED);
  });
});

describe('property: every sequence of typed writes reads back identically', () => {
  type Op =
    | { k: 'bits'; n: number; v: number }
    | { k: 'bool'; v: boolean }
    | { k: 'gamma'; v: number }
    | { k: 'sgamma'; v: number }
    | { k: 'varuint'; v: number }
    | { k: 'f64'; v: number }
    | { k: 'string'; v: string }
    | { k: 'bytes'; v: Uint8Array }
    | { k: 'align' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.integer({ min: 0, max: 32 }).chain((n) => fc.integer({ min: 0, max: 2 ** n - 1 }).map((v): Op => ({ k: 'bits', n, v }))),
    fc.boolean().map((v): Op => ({ k: 'bool', v })),
    fc.oneof(fc.nat(20), fc.integer({ min: 0, max: GAMMA_MAX })).map((v): Op => ({ k: 'gamma', v })),
    fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -2147483647, max: 2147483647 })).map((v): Op => ({ k: 'sgamma', v })),
    fc.oneof(fc.nat(300), fc.maxSafeNat()).map((v): Op => ({ k: 'varuint', v })),
    fc.double().map((v): Op => ({ k: 'f64', v })),
    fc.string({ unit: 'binary', maxLength: 12 }).map((v): Op => ({ k: 'string', v })),
    fc.uint8Array({ maxLength: 12 }).map((v): Op => ({ k: 'bytes', v })),
    fc.constant<Op>({ k: 'align' }),
  );

  const enc = new TextEncoder();
  function size(o: Op, pos: number): number {
    switch (o.k) {
      case 'bits':
        return o.n;
      case 'bool':
        return 1;
      case 'gamma':
        return gammaBits(o.v);
      case 'sgamma':
        return gammaBits(zigzag(o.v));
      case 'varuint':
        return 8 * varuintBytes(o.v);
      case 'f64':
        return 64;
      case 'string': {
        const n = enc.encode(o.v).length;
        return gammaBits(n) + 8 * n;
      }
      case 'bytes':
        return 8 * o.v.length;
      case 'align':
        return (8 - (pos & 7)) & 7;
    }
  }

  it('round-trips with predicted bit lengths', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const w = new BitWriter(1);
        for (const o of ops) {
          const before = w.bitLength;
          switch (o.k) {
            case 'bits':
              w.writeBits(o.v, o.n);
              break;
            case 'bool':
              w.writeBool(o.v);
              break;
            case 'gamma':
              w.writeGamma(o.v);
              break;
            case 'sgamma':
              w.writeSignedGamma(o.v);
              break;
            case 'varuint':
              w.writeVarUint(o.v);
              break;
            case 'f64':
              w.writeFloat64(o.v);
              break;
            case 'string':
              w.writeString(o.v);
              break;
            case 'bytes':
              w.writeBytes(o.v);
              break;
            case 'align':
              w.align();
              break;
          }
          expect(w.bitLength - before).toBe(size(o, before));
        }
        const r = new BitReader(w.toBytes());
        for (const o of ops) {
          switch (o.k) {
            case 'bits':
              expect(r.readBits(o.n)).toBe(o.v);
              break;
            case 'bool':
              expect(r.readBool()).toBe(o.v);
              break;
            case 'gamma':
              expect(r.readGamma()).toBe(o.v);
              break;
            case 'sgamma':
              expect(r.readSignedGamma()).toBe(o.v);
              break;
            case 'varuint':
              expect(r.readVarUint()).toBe(o.v);
              break;
            case 'f64':
              expect(Object.is(r.readFloat64(), o.v)).toBe(true);
              break;
            case 'string':
              expect(r.readString(1 << 20)).toBe(o.v);
              break;
            case 'bytes':
              expect([...r.readBytes(o.v.length)]).toEqual([...o.v]);
              break;
            case 'align':
              r.align();
              break;
          }
        }
        expect(r.bitPosition).toBe(w.bitLength);
        r.expectEnd();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('appendFrom', () => {
  it('copies any bit range that starts on a byte, at any position, exactly as writing it would', () => {
    const chunk = fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 32 })), { maxLength: 12 });
    fc.assert(
      fc.property(fc.nat(7), chunk, chunk, chunk, (lead, before, record, after) => {
        const write = (w: BitWriter, parts: readonly [number, number][]) => {
          for (const [v, n] of parts) w.writeBits(v, n);
        };
        // The source: something, then the record from a byte boundary, then more that must not be copied.
        const src = new BitWriter(8);
        write(src, before);
        src.align();
        const offset = src.byteLength;
        write(src, record);
        const bits = src.bitLength - offset * 8;
        write(src, after);
        const got = new BitWriter(8);
        got.writeBits(0b1011011, lead);
        got.appendFrom(src, offset, bits);
        got.writeBits(1, 1);
        const want = new BitWriter(8);
        want.writeBits(0b1011011, lead);
        write(want, record);
        want.writeBits(1, 1);
        expect([...got.toBytes()]).toEqual([...want.toBytes()]);
        expect(got.bitLength).toBe(want.bitLength);
      }),
    );
  });
});
