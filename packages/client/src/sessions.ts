/**
 * The sessions API from the client (`client.sessions`): list the sessions a server runs, create
 * one, join one (with its password), so a lobby page needs no HTTP of its own. Creating and
 * joining go over HTTP with the player's token (the server checks the password there, off the
 * game socket), then join the session's room on the game socket with the same token, and resolve
 * once its session state has arrived.
 *
 * Uses the host's `fetch` (browsers, Node 20): nothing here needs Node.
 */
import { ErrorCode, TickwireError, parseSessionSummary, type Clock, type GameProtocol, type JoinOptionsOf, type SessionOptionsOf, type SessionSummary } from '@tickwire/protocol';
import type { ClientRoom } from './client-room.js';
import type { ClientSession } from './client-session.js';
import { callApi, isRecord } from './http.js';

export type { SessionSummary };

export interface CreateSessionOptions<P extends GameProtocol> {
  /** Its display name (default: its id). */
  name?: string;
  /** The options the protocol's `session.options` declares; fields left out take the room type's defaults. */
  options?: Partial<SessionOptionsOf<P>>;
  /** A password the others must give to join. */
  password?: string;
  /** The join options (`defineProtocol({ join })`) this player joins with. */
  join?: Partial<JoinOptionsOf<P>>;
}

export interface JoinSessionOptions<P extends GameProtocol> {
  /** The session's password, if it has one (not needed again once given). */
  password?: string;
  /** The join options (`defineProtocol({ join })`). */
  options?: Partial<JoinOptionsOf<P>>;
}

/**
 * Sessions on one server.
 *
 * @example
 * const client = createClient({ url: `ws://${location.host}/ws`, protocol: bridge, name: 'ada' });
 * const open = await client.sessions.list();
 * const session = await client.sessions.create('bridge', { name: 'Friday', options: { ships: 2 }, password: 'sesame' });
 * share(session.id); // a friend: await client.sessions.join(id, { password: 'sesame' })
 */
export interface SessionsClient<P extends GameProtocol> {
  /** The server's open sessions. */
  list(): Promise<SessionSummary[]>;
  get(id: string): Promise<SessionSummary>;
  /** Creates a session of a room type, joins it as its host, and resolves with its session. */
  create(type: string, init?: CreateSessionOptions<P>): Promise<ClientSession<P>>;
  /** Joins a session (with its password, if it has one) and resolves with its session. */
  join(id: string, init?: JoinSessionOptions<P>): Promise<ClientSession<P>>;
}

/** What the sessions API needs from the client it belongs to. */
export interface SessionsDeps<P extends GameProtocol> {
  /** The server's HTTP address. */
  http: URL;
  fetch: typeof fetch;
  /** The player's token: the bearer of the HTTP calls and the token of the join. */
  token(): Promise<string>;
  /** Joins a room by its code, with this token. */
  connect(code: string, options: Partial<JoinOptionsOf<P>> | undefined, token: string): Promise<ClientRoom<P>>;
  clock: Clock;
  /** How long a joined room may take to send its session state. */
  timeoutMs: number;
}

export function sessionsClient<P extends GameProtocol>(deps: SessionsDeps<P>): SessionsClient<P> {
  const call = (method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<unknown> => callApi(deps.fetch, deps.http, { method, path, body, token });
  /** A summary from the server, field by field (a page shows these: nothing else gets through). */
  const summary = (v: unknown): SessionSummary => {
    const parsed = parseSessionSummary(v);
    if (!parsed) throw new TickwireError(ErrorCode.INTERNAL, 'the server did not answer with a session: is it a tickwire server with sessions?');
    return parsed;
  };
  /** Joins the session's room and waits for its session state. */
  const enter = async (id: string, options: Partial<JoinOptionsOf<P>> | undefined, token: string): Promise<ClientSession<P>> => {
    const room = await deps.connect(id, options, token);
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = deps.clock.setTimeout(() => reject(new TickwireError(ErrorCode.TIMEOUT, `room '${id}' sent no session state within ${deps.timeoutMs} ms: is it a session?`)), deps.timeoutMs);
    });
    try {
      await Promise.race([room.session.loaded, late]);
    } catch (err) {
      room.leave();
      throw err;
    } finally {
      if (timer !== undefined) deps.clock.clearTimeout(timer);
    }
    return room.session;
  };
  return {
    async list() {
      const answer = await call('GET', '/api/sessions');
      if (!isRecord(answer) || !Array.isArray(answer.sessions)) throw new TickwireError(ErrorCode.INTERNAL, 'GET /api/sessions did not answer { sessions }');
      return answer.sessions.map(summary);
    },
    async get(id) {
      return summary(await call('GET', `/api/sessions/${encodeURIComponent(id)}`));
    },
    async create(type, init = {}) {
      const token = await deps.token();
      const created = summary(await call('POST', '/api/sessions', { type, name: init.name, options: init.options, password: init.password }, token));
      return enter(created.id, init.join, token);
    },
    async join(id, init = {}) {
      const token = await deps.token();
      await call('POST', `/api/sessions/${encodeURIComponent(id)}/join`, init.password === undefined ? {} : { password: init.password }, token);
      return enter(id, init.options, token);
    },
  };
}
