/**
 * Resume tokens that any process with the server's secret can check: 16 bytes, the token's
 * expiry (wall-clock seconds, 4 bytes) and an HMAC-SHA256 (12 bytes) of the room code, the user
 * id and that expiry. The process that runs a room matches a token to its member directly; after
 * a failover, the room's new owner has never seen the token but can still tell that this user
 * was a member of this room, and honour it (seat them, with their saved state) instead of
 * refusing a player who did nothing wrong.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RESUME_TOKEN_BYTES } from '@tickwire/protocol';

/** How long a token is honoured after it was issued: far past any reconnect window. */
export const RESUME_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export class ResumeTokens {
  private readonly key: Buffer;

  constructor(
    secret: Uint8Array,
    /** Wall-clock epoch ms (tokens cross processes, so not a process's monotonic clock). */
    private readonly wallClock: () => number = Date.now,
  ) {
    // A key of its own, so a resume token can never pass as an anonymous identity or back.
    this.key = createHmac('sha256', secret).update('tickwire resume tokens v1').digest();
  }

  private mac(room: string, userId: string, expires: number): Buffer {
    const h = createHmac('sha256', this.key);
    h.update(`${room.length}:${room}|${userId.length}:${userId}|${expires}`);
    return h.digest().subarray(0, RESUME_TOKEN_BYTES - 4);
  }

  /** A token for `userId`'s membership of `room`. */
  issue(room: string, userId: string): Uint8Array {
    const expires = Math.floor((this.wallClock() + RESUME_TOKEN_TTL_MS) / 1000);
    const out = new Uint8Array(RESUME_TOKEN_BYTES);
    new DataView(out.buffer).setUint32(0, expires);
    out.set(this.mac(room, userId, expires), 4);
    return out;
  }

  /** Whether `token` was issued, by a process with this secret, for `userId` in `room`, and has not expired. */
  verify(token: Uint8Array, room: string, userId: string): boolean {
    if (token.length !== RESUME_TOKEN_BYTES) return false;
    const expires = new DataView(token.buffer, token.byteOffset, token.byteLength).getUint32(0);
    if (expires * 1000 <= this.wallClock()) return false;
    return timingSafeEqual(Buffer.from(token.subarray(4)), this.mac(room, userId, expires));
  }
}
