/**
 * Anonymous identities for development and casual games: issued by the server, unguessable, and
 * checked on every join, so one client cannot become another by naming its id.
 *
 * A token is `anon.<id>.<mac>`: a random 128-bit id and an HMAC-SHA256 of it under the server's
 * secret. Nothing is stored: any process with the same secret accepts the token, and a server
 * restarted with the same secret still knows its players (the arena keeps its secret in its data
 * folder for that). Tokens from a server with another secret, and the old unsigned `anon:<id>`
 * form, are refused with AUTH_FAILED and a message that says how to get a new one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, TickwireError } from '@tickwire/protocol';
import type { Identity } from './room-client.js';

const PREFIX = 'anon.';
const TOKEN = /^anon\.([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$/;

export interface AnonymousIdentity {
  /** The user id rooms see (`anon-<32 hex digits>`). */
  userId: string;
  /** What the client sends as HELLO's token to be this user again. */
  token: string;
}

export class AnonymousIdentities {
  private readonly key: Buffer;

  /** `secret`: at least 16 bytes (a string is taken as UTF-8). */
  constructor(secret: string | Uint8Array) {
    this.key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (this.key.length < 16) throw new RangeError('the identity secret must be at least 16 bytes long: use 32 random bytes');
  }

  private mac(id: string): Buffer {
    return createHmac('sha256', this.key).update(PREFIX).update(id).digest().subarray(0, 16);
  }

  /** A new identity. */
  issue(): AnonymousIdentity {
    const id = randomBytes(16).toString('hex');
    return { userId: `anon-${id}`, token: `${PREFIX}${id}.${this.mac(id).toString('base64url')}` };
  }

  /** The identity a token stands for, or undefined when it is not one this secret issued. */
  verify(token: string): Identity | undefined {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const given = Buffer.from(m[2]!, 'base64url');
    const expected = this.mac(m[1]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return { userId: `anon-${m[1]}` };
  }

  /**
   * The authenticator for anonymous mode: an empty token is a new guest for this connection;
   * a token this server issued is that user; anything else is refused.
   */
  authenticate(token: string): Identity {
    if (token === '') return { userId: this.issue().userId, guest: true };
    const identity = this.verify(token);
    if (identity) return identity;
    throw new TickwireError(
      ErrorCode.AUTH_FAILED,
      token.startsWith('anon:')
        ? "unsigned anonymous ids ('anon:<id>') are no longer accepted: get a token from POST /api/anonymous"
        : 'this token was not issued by this server (or its secret changed): get a new one from POST /api/anonymous, or join with no token',
    );
  }
}
