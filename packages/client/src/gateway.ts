/**
 * Asking a cluster's gateway where to play: it answers with the WebSocket address of the game
 * process that owns the room (or will open it) and a join ticket for that process, which the
 * client sends as HELLO's token. The gateway carries no game traffic; it is asked once per
 * connection, before the first join and before every reconnect attempt, since after a failover
 * the room lives on another process.
 *
 * Uses the host's `fetch`, so it runs in browsers and Node alike.
 */
import { ErrorCode, LIMITS, ROOM_CODE_PATTERN, TickwireError } from '@tickwire/protocol';
import { callApi, isRecord, type ApiCall } from './http.js';

/** A gateway's answer: where to connect, and what to show there. */
export interface Direction {
  /** The room's code (for a new room, the one the gateway picked). */
  room: string;
  /** The game process's WebSocket address. */
  url: string;
  /** The join ticket: HELLO's token on that process. */
  ticket: string;
  /** The process's id. */
  process: string;
}

export interface GatewayDeps {
  /** The gateway's HTTP address. */
  base: URL;
  fetch: typeof fetch;
  /** The player's token (the bearer of every call). */
  token(): Promise<string>;
}

/** The gateway's HTTP address from what a user passes (`http://host:port`; ws:// is read as http://). */
export function gatewayAddress(given: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(given));
  } catch {
    throw new TickwireError(ErrorCode.DISCONNECTED, `gateway '${String(given).slice(0, 100)}' is not a URL: use http://host:port`);
  }
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TickwireError(ErrorCode.DISCONNECTED, `gateway must be an http:// or https:// address, got ${url.protocol}`);
  url.pathname = '/';
  url.search = '';
  return url;
}

/** A direction from the gateway, field by field; INTERNAL when it is not one. */
export function parseDirection(v: unknown, what: string): Direction {
  if (isRecord(v)) {
    const { room, url, ticket, process } = v;
    if (
      typeof room === 'string' &&
      ROOM_CODE_PATTERN.test(room) &&
      typeof url === 'string' &&
      URL.canParse(url) &&
      ['ws:', 'wss:'].includes(new URL(url).protocol) &&
      typeof ticket === 'string' &&
      ticket !== '' &&
      new TextEncoder().encode(ticket).length <= LIMITS.tokenBytes &&
      typeof process === 'string'
    ) {
      return { room, url, ticket, process };
    }
  }
  throw new TickwireError(ErrorCode.INTERNAL, `the gateway did not answer ${what} with { room, url, ticket, process }: is it a tickwire gateway?`);
}

/** Calls the gateway, turning a call that outlived `timeoutMs` into TIMEOUT. */
async function ask(deps: GatewayDeps, call: Omit<ApiCall, 'token' | 'signal'>, timeoutMs: number): Promise<Direction> {
  const signal = AbortSignal.timeout(timeoutMs);
  let answer: unknown;
  try {
    answer = await callApi(deps.fetch, deps.base, { ...call, token: await deps.token(), signal });
  } catch (err) {
    if (signal.aborted) throw new TickwireError(ErrorCode.TIMEOUT, `the gateway at ${deps.base.origin} did not answer ${call.method} ${call.path.split('?')[0]} within ${timeoutMs} ms`);
    throw err;
  }
  return parseDirection(answer, `${call.method} ${call.path.split('?')[0]}`);
}

/**
 * Where to join: `{ room }` joins a room by code, `{ create }` a new room of that type.
 * `timeoutMs` bounds the gateway's answer.
 */
export function askJoin(deps: GatewayDeps, target: { room: string } | { create: string }, name: string, timeoutMs: number): Promise<Direction> {
  return ask(deps, { method: 'POST', path: '/api/join', body: { ...target, ...(name === '' ? {} : { name }) } }, timeoutMs);
}

/** Where room `code` lives now (asked before every reconnect attempt). */
export function askWhere(deps: GatewayDeps, code: string, name: string, timeoutMs: number): Promise<Direction> {
  const query = name === '' ? '' : `?name=${encodeURIComponent(name)}`;
  return ask(deps, { method: 'GET', path: `/api/where/${encodeURIComponent(code)}${query}` }, timeoutMs);
}

/** Where a page connects: a cluster's gateway, or one server's WebSocket. Spread it into connect() or createClient(). */
export type ServerAddress = { gateway: string } | { url: string };

/**
 * How a page reaches what served it: `{ gateway: origin }` when that is a cluster's gateway (its
 * `GET /api/health` says `role: 'gateway'`), else `{ url: 'ws(s)://host/ws' }` of that server. A
 * page built once then plays on one server and behind a gateway alike.
 *
 * @example
 * const server = await serverAt(location.origin);
 * const room = await connect({ ...server, room: 'abc', token, protocol });
 */
export async function serverAt(origin: string, options: { fetch?: typeof fetch } = {}): Promise<ServerAddress> {
  const http = new URL(origin);
  let role: unknown;
  try {
    const res = await (options.fetch ?? globalThis.fetch)(new URL('/api/health', http), { headers: { accept: 'application/json' } });
    const body: unknown = res.ok ? await res.json() : undefined;
    role = isRecord(body) ? body.role : undefined;
  } catch {
    role = undefined;
  }
  if (role === 'gateway') return { gateway: http.origin };
  return { url: `${http.protocol === 'https:' ? 'wss' : 'ws'}://${http.host}/ws` };
}
