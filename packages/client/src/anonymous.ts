/**
 * Guest identities issued by the server (`POST /api/anonymous`). A client cannot make one up:
 * the server signs it, so nobody can become another player by naming their id. Keep the token
 * (localStorage in a browser) to be the same player next time; send it as `connect({ token })`.
 *
 * Uses the host's `fetch` (browsers, Node 20), so it needs nothing from Node.
 */
import { ErrorCode, TickwireError } from '@tickwire/protocol';
import { fetchJson, isRecord } from './http.js';

/** A guest identity: who the server will say this client is, and the token that proves it. */
export interface AnonymousIdentity {
  /** The user id rooms see (`anon-…`). */
  userId: string;
  /** Send it as HELLO's token (`connect({ token })`) to be this user. */
  token: string;
}

export interface AnonymousIdentityOptions {
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * Asks a server for a new anonymous identity. `server` is its HTTP address (`http://host:port`);
 * a WebSocket URL (`ws://host:port/ws`) is taken to mean the same host.
 *
 * Rejects with a TickwireError: AUTH_FAILED when the server does not issue anonymous identities
 * (it wants tokens from its own sign-in), RATE_LIMITED when it asks to slow down, DISCONNECTED
 * when it cannot be reached, INTERNAL when it answers something else.
 *
 * @example
 * const saved = localStorage.getItem('identity');
 * const identity = saved ? JSON.parse(saved) : await anonymousIdentity(location.origin);
 * localStorage.setItem('identity', JSON.stringify(identity));
 * const room = await connect({ url: `ws://${location.host}/ws`, room: 'abc', token: identity.token, protocol });
 */
export async function anonymousIdentity(server: string | URL, options: AnonymousIdentityOptions = {}): Promise<AnonymousIdentity> {
  const base = new URL(String(server));
  if (base.protocol === 'ws:') base.protocol = 'http:';
  else if (base.protocol === 'wss:') base.protocol = 'https:';
  const url = new URL('/api/anonymous', base);
  const doFetch = options.fetch ?? globalThis.fetch;
  const { res, body } = await fetchJson(doFetch, url, { method: 'POST', headers: { accept: 'application/json' }, signal: options.signal ?? null }, 'an anonymous identity');
  if (!res.ok) {
    const said = isRecord(body) && typeof body.message === 'string' ? `: ${body.message}` : '';
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      throw new TickwireError(
        ErrorCode.AUTH_FAILED,
        `the server at ${url.origin} does not issue anonymous identities (POST /api/anonymous answered ${res.status}): get a token from its sign-in and pass it as connect({ token })`,
      );
    }
    if (res.status === 429) throw new TickwireError(ErrorCode.RATE_LIMITED, `the server at ${url.origin} asks to slow down (429)${said}: try again shortly`);
    throw new TickwireError(res.status >= 500 ? ErrorCode.INTERNAL : ErrorCode.AUTH_FAILED, `POST ${url.href} answered ${res.status}${said}`);
  }
  if (!isRecord(body) || typeof body.userId !== 'string' || typeof body.token !== 'string' || body.token === '') {
    throw new TickwireError(ErrorCode.INTERNAL, `POST ${url.href} did not answer { userId, token }: is this a tickwire server?`);
  }
  return { userId: body.userId, token: body.token };
}
