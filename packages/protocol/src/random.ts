/** Cryptographically random bytes from the Web Crypto API (present in Node 20 and browsers). */
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
