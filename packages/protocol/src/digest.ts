/**
 * The view digest: a 32-bit checksum of what a client should hold after a snapshot, so that a
 * client whose view drifted from the server's (a bug in game code that wrote to the view, a
 * decoder bug, memory corruption) finds out by itself and asks for a full snapshot.
 *
 *   digest = sum, mod 2^32, over the entities the client holds, of
 *            presence(id, type) + sum over the fields it holds of field(id, i, value[, rate, keyTick])
 *
 * A sum of independent terms, so the order of entities does not matter, a server keeps it
 * current by taking a term's old value off and adding the new one as fields change (work in
 * proportion to the changes, not to the entities), and an entity known only in part (interest
 * tiers) counts just the fields the client holds. Linear fields count their key frame (value,
 * rate, key tick): what the wire carries and the client keeps. Both sides use these functions,
 * so they agree to the bit. docs/protocol.md section 8.6 has the wire format.
 */
import type { BitReader, BitWriter } from './bits.js';
import type { WireValue } from './types.js';

const PRESENCE_SEED = 0x2545f491;
const FIELD_SEED = 0x6c8e9cf5;

/** murmur3's 32-bit finaliser: every input bit moves about half the output bits. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds a 32-bit word into a running hash. */
function fold(h: number, word: number): number {
  return fmix(Math.imul(h ^ word, 0x9e3779b1) + 0x7f4a7c15);
}

/**
 * Folds a 32-bit word into a running 32-bit hash: the mixing step of the digest, for other
 * checksums that must agree to the bit wherever they run (a recording's state hashes).
 *
 * @example
 * let h = 0;
 * for (const word of words) h = hashWord(h, word);
 */
export function hashWord(h: number, word: number): number {
  return fold(h, word);
}

function foldText(h: number, s: string): number {
  h = fold(h, s.length);
  for (let i = 0; i < s.length; i++) h = fold(h, s.charCodeAt(i));
  return h;
}

/** Folds a wire value: integers by their two 32-bit halves, other numbers by their shortest text. */
function foldValue(h: number, v: WireValue): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return fold(fold(h, v >>> 0), Math.floor(v / 4294967296) | 0);
    return foldText(fold(h, 1), String(v));
  }
  if (typeof v === 'boolean') return fold(h, v ? 3 : 2);
  if (typeof v === 'string') return foldText(fold(h, 4), v);
  if (v === null) return fold(h, 5);
  h = fold(fold(h, 6), v.length);
  for (let i = 0; i < v.length; i++) h = fold(h, v[i]!);
  return h;
}

/** The term an entity's presence adds: its id and entity type index. */
export function presenceDigest(id: number, typeIndex: number): number {
  return fold(fold(PRESENCE_SEED, id), typeIndex);
}

/**
 * The term one field adds: entity id, flat field index, wire value and, for a linear field, its
 * key frame's rate and tick (pass `linear` false for other fields; their rate and tick do not count).
 */
export function fieldDigest(id: number, index: number, value: WireValue, linear: boolean, rate = 0, keyTick = 0): number {
  let h = foldValue(fold(fold(FIELD_SEED, id), index), value);
  if (linear) h = fold(fold(h, rate | 0), keyTick >>> 0);
  return h;
}

/** Adds terms mod 2^32 (and takes one off with `addDigest(sum, -term)`). */
export function addDigest(sum: number, term: number): number {
  return (sum + term) >>> 0;
}

/**
 * Writes a digest after a snapshot's events: one bit set, then 32 bits. A snapshot without a
 * digest simply ends (its padding is fewer than 8 zero bits), so older frames read the same.
 */
export function writeDigest(w: BitWriter, digest: number): void {
  w.writeBits(1, 1);
  w.writeBits(digest >>> 0, 32);
}

/** Reads the digest after a snapshot's events, if there is one (call before `expectEnd`). */
export function readDigest(r: BitReader): number | undefined {
  if (r.bitsLeft < 33 || r.readBits(1) === 0) return undefined;
  return r.readBits(32) >>> 0;
}
