/**
 * Bit-level writer and reader: the only place that touches raw bytes.
 *
 * Bits are packed least-significant first: the first bit written is bit 0 of byte 0, and a
 * multi-bit value puts its low bits first. Everything else in the protocol (envelope, fields,
 * snapshot records) is expressed in terms of these calls, so the format has one definition of
 * byte order. Uses Uint8Array/DataView only: runs unchanged in Node and browsers.
 */
import { ErrorCode, ProtocolError } from './errors.js';

const textEncoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is string content, not a byte-order mark to drop.
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Number of bits in the Elias-gamma code of `v` (see {@link BitWriter.writeGamma}). */
export function gammaBits(v: number): number {
  const len = 32 - Math.clz32(v + 1);
  return 2 * len - 1;
}

/** Number of bytes in the LEB128 encoding of `v`. */
export function varuintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Largest value {@link BitWriter.writeGamma} accepts. */
export const GAMMA_MAX = 0xfffffffe;

export class BitWriter {
  private buf: Uint8Array;
  private pos = 0; // in bits
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(Math.max(16, initialBytes));
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.pos;
  }

  /** Bytes needed to hold what was written (the last byte padded with zero bits). */
  get byteLength(): number {
    return (this.pos + 7) >>> 3;
  }

  /** Forgets everything written, keeping the allocated buffer. */
  reset(): this {
    this.buf.fill(0, 0, this.byteLength);
    this.pos = 0;
    return this;
  }

  private ensure(bits: number): void {
    const needed = (this.pos + bits + 7) >>> 3;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.byteLength));
    this.buf = next;
  }

  /** Writes the low `n` bits of `value` (0 <= n <= 32). */
  writeBits(value: number, n: number): void {
    if (n === 0) return;
    this.ensure(n);
    const buf = this.buf;
    const pos = this.pos;
    let i = pos >>> 3;
    const off = pos & 7;
    const v = n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0;
    // Bytes past `pos` are zero (reset() clears them), so the first byte is OR-ed and the rest set.
    buf[i]! |= (v << off) & 0xff;
    for (let done = 8 - off; done < n; done += 8) buf[++i] = (v >>> done) & 0xff;
    this.pos = pos + n;
  }

  writeBool(b: boolean): void {
    this.writeBits(b ? 1 : 0, 1);
  }

  /**
   * Elias-gamma code of a non-negative integer: small values are short (0 -> 1 bit,
   * 1..2 -> 3 bits, 3..6 -> 5 bits). Written as (len-1) zero bits, a one bit, then the low
   * (len-1) bits of v+1, where len is the bit length of v+1.
   */
  writeGamma(v: number): void {
    if (!(v >= 0 && v <= GAMMA_MAX) || !Number.isInteger(v)) {
      throw new RangeError(`gamma-coded value must be an integer in 0..${GAMMA_MAX}, got ${v}`);
    }
    const n = v + 1;
    const len = 32 - Math.clz32(n);
    this.writeBits(0, len - 1);
    this.writeBits(1, 1);
    if (len > 1) this.writeBits(n, len - 1);
  }

  /** Zig-zag then gamma: a signed integer whose magnitude is usually small. */
  writeSignedGamma(v: number): void {
    this.writeGamma(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** LEB128 (7 bits a byte, high bit = more), written as whole bytes. Used in the envelope. */
  writeVarUint(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER) || !Number.isInteger(v)) {
      throw new RangeError(`varuint must be a safe non-negative integer, got ${v}`);
    }
    while (v >= 0x80) {
      this.writeBits((v % 128) | 0x80, 8);
      v = Math.floor(v / 128);
    }
    this.writeBits(v, 8);
  }

  writeFloat64(v: number): void {
    this.scratch.setFloat64(0, v, true);
    this.writeBits(this.scratch.getUint32(0, true), 32);
    this.writeBits(this.scratch.getUint32(4, true), 32);
  }

  /** Writes raw bytes at the current bit position (fast when byte-aligned). */
  writeBytes(bytes: Uint8Array): void {
    if ((this.pos & 7) === 0) {
      this.ensure(bytes.length * 8);
      this.buf.set(bytes, this.pos >>> 3);
      this.pos += bytes.length * 8;
      return;
    }
    this.copyUnaligned(bytes, 0, bytes.length);
  }

  /** UTF-8 string: gamma byte length, then the bytes. */
  writeString(s: string): void {
    const bytes = textEncoder.encode(s);
    this.writeGamma(bytes.length);
    this.writeBytes(bytes);
  }

  /** Pads with zero bits to the next byte boundary. */
  align(): void {
    const rem = this.pos & 7;
    if (rem !== 0) this.writeBits(0, 8 - rem);
  }

  /**
   * Appends the first `bitLength` bits of another writer's output (or of a record cached from
   * one). This is how pre-encoded entity records are shared between clients without
   * re-encoding: a copy with a shift, no per-field work.
   */
  appendBits(src: Uint8Array, bitLength: number): void {
    const whole = bitLength >>> 3;
    if ((this.pos & 7) === 0) {
      this.ensure(bitLength);
      this.buf.set(whole === src.length ? src : src.subarray(0, whole), this.pos >>> 3);
      this.pos += whole * 8;
    } else this.copyUnaligned(src, 0, whole);
    const rest = bitLength & 7;
    if (rest) this.writeBits(src[whole]! & ((1 << rest) - 1), rest);
  }

  /**
   * Copies `count` whole bytes of `src`, from byte `from`, to this writer's position when it is
   * not on a byte boundary: each byte is split over two, in one pass with no call per byte.
   * Relies on what writeBits does: the bytes past `pos` are zero, the current one partly written.
   */
  private copyUnaligned(src: Uint8Array, from: number, count: number): void {
    if (count === 0) return;
    this.ensure(count * 8);
    const out = this.buf;
    const off = this.pos & 7;
    const back = 8 - off;
    let at = this.pos >>> 3;
    let carry = out[at]!;
    for (let i = from, end = from + count; i < end; i++) {
      const b = src[i]!;
      out[at++] = (carry | (b << off)) & 0xff;
      carry = b >>> back;
    }
    out[at] = carry;
    this.pos += count * 8;
  }

  /**
   * Appends `bitLength` bits of another writer's output, starting at byte `byteOffset` of it: a
   * record encoded once into a shared writer, copied into each client's body that needs it.
   */
  appendFrom(src: BitWriter, byteOffset: number, bitLength: number): void {
    const buf = src.buf;
    const whole = bitLength >>> 3;
    if ((this.pos & 7) === 0) {
      this.ensure(bitLength);
      const out = this.buf;
      let at = this.pos >>> 3;
      for (let i = byteOffset, end = byteOffset + whole; i < end; i++) out[at++] = buf[i]!;
      this.pos = at * 8;
    } else this.copyUnaligned(buf, byteOffset, whole);
    const rest = bitLength & 7;
    if (rest) this.writeBits(buf[byteOffset + whole]! & ((1 << rest) - 1), rest);
  }

  /** A copy of the bytes written (padded to a whole byte). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.byteLength);
  }

  /** A view of the bytes written, valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.byteLength);
  }
}

export class BitReader {
  private pos = 0;
  private end: number;
  // Made on first use: most frames have no float64 in them, and a reader is made per frame.
  private scratch: DataView | null = null;

  constructor(
    private buf: Uint8Array,
    startByte = 0,
  ) {
    this.pos = startByte * 8;
    this.end = buf.length * 8;
  }

  /**
   * Starts reading `buf` from `startByte`, as a new reader would: a decoder that runs for every
   * frame (the server's INPUT and ACK) keeps one reader instead of making one per frame.
   */
  reset(buf: Uint8Array, startByte = 0): this {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = buf.length * 8;
    return this;
  }

  get bitPosition(): number {
    return this.pos;
  }

  get bitsLeft(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new ProtocolError(ErrorCode.TRUNCATED, `frame ends early: needed ${n} more bits at bit ${this.pos}`);
    }
  }

  /** Reads an unsigned `n`-bit value (0 <= n <= 32). */
  readBits(n: number): number {
    if (n === 0) return 0;
    this.need(n);
    const v = this.peek(n);
    this.pos += n;
    return v;
  }

  /**
   * The next `n` bits (0 < n <= 32) without consuming them; bits past the end read as zero.
   * Loads a little-endian word and shifts, rather than going bit by bit: decoding snapshots
   * is most of what a client (and a thousand bots) spends its time on.
   */
  private peek(n: number): number {
    const buf = this.buf;
    const i = this.pos >>> 3;
    const off = this.pos & 7;
    const len = buf.length;
    const word =
      i + 3 < len
        ? (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0
        : ((i < len ? buf[i]! : 0) | (i + 1 < len ? buf[i + 1]! << 8 : 0) | (i + 2 < len ? buf[i + 2]! << 16 : 0)) >>> 0;
    if (off + n <= 32) {
      const v = word >>> off;
      return n === 32 ? v >>> 0 : v & (2 ** n - 1);
    }
    // n > 24 and the value spills into a fifth byte.
    const low = word >>> off;
    const highBits = off + n - 32;
    const high = (i + 4 < len ? buf[i + 4]! : 0) & ((1 << highBits) - 1);
    return low + high * 2 ** (32 - off);
  }

  readBool(): boolean {
    return this.readBits(1) === 1;
  }

  readGamma(): number {
    const avail = this.end - this.pos;
    if (avail <= 0) this.need(1);
    const window = this.peek(Math.min(32, avail));
    if (window === 0) {
      if (avail >= 32) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, 'gamma code longer than 32 bits');
      this.need(avail + 1);
    }
    // The unary length prefix is the run of zero bits before the first one: the window's
    // trailing zeros, since bits come least significant first.
    const zeros = 31 - Math.clz32(window & -window);
    this.pos += zeros + 1;
    const low = zeros > 0 ? this.readBits(zeros) : 0;
    return 2 ** zeros + low - 1;
  }

  readSignedGamma(): number {
    const z = this.readGamma();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  readVarUint(): number {
    let out = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.readBits(8);
      out += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (out > Number.MAX_SAFE_INTEGER) break;
        return out;
      }
      mul *= 128;
    }
    throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, 'varuint longer than 53 bits');
  }

  readFloat64(): number {
    const scratch = (this.scratch ??= new DataView(new ArrayBuffer(8)));
    scratch.setUint32(0, this.readBits(32), true);
    scratch.setUint32(4, this.readBits(32), true);
    return scratch.getFloat64(0, true);
  }

  readBytes(n: number): Uint8Array {
    this.need(n * 8);
    if ((this.pos & 7) === 0) {
      const start = this.pos >>> 3;
      this.pos += n * 8;
      return this.buf.slice(start, start + n);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.readBits(8);
    return out;
  }

  /** UTF-8 string of at most `maxBytes` bytes. */
  readString(maxBytes: number): string {
    const len = this.readGamma();
    if (len > maxBytes) {
      throw new ProtocolError(ErrorCode.STRING_TOO_LONG, `string of ${len} bytes exceeds the limit of ${maxBytes}`);
    }
    const bytes = this.readBytes(len);
    try {
      return textDecoder.decode(bytes);
    } catch {
      throw new ProtocolError(ErrorCode.INVALID_UTF8, 'string is not valid UTF-8');
    }
  }

  /** Skips the zero padding to the next byte boundary. */
  align(): void {
    const rem = this.pos & 7;
    if (rem !== 0) this.pos = Math.min(this.end, this.pos + 8 - rem);
  }

  /**
   * Asserts that only zero padding (less than one byte) remains: a frame with bytes after its
   * message is rejected rather than silently accepted.
   */
  expectEnd(): void {
    const left = this.end - this.pos;
    if (left >= 8 || (left > 0 && this.readBits(left) !== 0)) {
      throw new ProtocolError(ErrorCode.TRAILING_DATA, `${Math.ceil(left / 8)} unexpected byte(s) after the message`);
    }
  }
}
