/**
 * Randomness: cryptographic bytes for tokens, and a seeded generator for game logic that must
 * come out the same on every run or on both sides (simulations, bots, tests).
 */
import { RESUME_TOKEN_BYTES } from './messages.js';

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** A fresh 128-bit resume token. */
export function randomToken(): Uint8Array {
  return randomBytes(RESUME_TOKEN_BYTES);
}

/**
 * A seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same sequence for the
 * same seed on every platform.
 *
 * @example
 * const random = seededRandom(42);
 * const spawnX = random() * 1000;
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
