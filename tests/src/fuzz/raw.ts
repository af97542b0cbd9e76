/**
 * Writing wire values past their limits, and a seeded source of choices.
 *
 * The codec's encoders refuse out-of-range values (that is their job), so a fuzzer that wants
 * to send a seq of 2^52 or a 40-bit gamma code writes the bits itself. These writers produce
 * the same bits as the codec where the codec can, and keep going where it stops.
 */
import { BitWriter, seededRandom } from '@tickwire/protocol';

/** LEB128 of any non-negative integer (shortest form), with no range check. */
export function rawVarUint(w: BitWriter, v: bigint): void {
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    w.writeBits(v > 0n ? low | 0x80 : low, 8);
  } while (v > 0n);
}

/** The low `n` bits of a non-negative integer below 2^53, least significant first. */
export function wideBits(w: BitWriter, v: number, n: number): void {
  for (let left = n; left > 0; ) {
    const k = Math.min(32, left);
    w.writeBits(v % 2 ** k, k);
    v = Math.floor(v / 2 ** k);
    left -= k;
  }
}

/** Elias-gamma code of any integer in 0..2^53-2, with no 32-bit range check. */
export function rawGamma(w: BitWriter, v: number): void {
  const n = v + 1;
  let len = 0;
  for (let x = n; x >= 1; x = Math.floor(x / 2)) len++;
  wideBits(w, 0, len - 1);
  w.writeBits(1, 1);
  wideBits(w, n - 2 ** (len - 1), len - 1);
}

/** A string field as the wire carries it: gamma byte length, then bytes (any bytes). */
export function rawString(w: BitWriter, bytes: Uint8Array, claimedLength = bytes.length): void {
  rawGamma(w, claimedLength);
  w.writeBytes(bytes);
}

/** Seeded choices, so a failing run can be replayed with its seed. */
export class Rng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks a key by weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.next() * total;
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A 32-bit seed for a child generator. */
  fork(): Rng {
    return new Rng(this.int(2 ** 32));
  }
}
