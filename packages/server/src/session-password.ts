/**
 * Session passwords, kept only as salted scrypt hashes (node:crypto) and compared in constant
 * time. scrypt runs on libuv's thread pool (the async form), so checking one costs the game loop
 * nothing; its cost is what makes guessing slow, with a per-user attempt limit on top (routes).
 *
 * Stored form: `scrypt$<N>$<r>$<p>$<salt, base64url>$<hash, base64url>`, so the parameters can
 * be raised later and old hashes still check.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** N = 2^14, r = 8: 16 MiB and some tens of ms per check, the usual interactive setting. */
const DEFAULT = { N: 16_384, r: 8, p: 1 } as const;
/** Longest password accepted, in bytes (what a lobby's form would hold, and a bound on the work). */
export const MAX_PASSWORD_BYTES = 256;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hashes a password for storing.
 *
 * @example
 * const stored = await hashPassword('sesame'); // 'scrypt$16384$8$1$...'
 */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` matches a stored hash; a malformed stored value matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0) || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length !== KEY_BYTES) return false;
  const key = await derive(password, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}
