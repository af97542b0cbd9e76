/**
 * Joining a room: check the options, build the way to open a connection (a WebSocket to a URL,
 * or a transport factory), join or create once, and hand the room that way to open the next
 * connection, so it can reconnect by itself after a drop (always by the room's code: a room this
 * client created is resumed, not created again).
 */
import {
  ErrorCode,
  LIMITS,
  ROOM_CODE_PATTERN,
  TickwireError,
  encodeJoinOptions,
  systemClock,
  type JoinOptionsOf,
  type NetworkConditions,
  type GameProtocol,
  type Transport,
} from '@tickwire/protocol';
import { ClientRoom, type ClientRoomOptions } from './client-room.js';
import { dial, type JoinRequest, type Opener } from './handshake.js';
import { resolveReconnect, type ReconnectOptions } from './reconnect.js';
import { webSocketTransport, type WebSocketConstructor } from './websocket-transport.js';
import { anonymousIdentity } from './anonymous.js';
import { sessionsClient, type SessionsClient } from './sessions.js';
import { askJoin, askWhere, gatewayAddress, type Direction, type GatewayDeps } from './gateway.js';

export interface ConnectOptions<P extends GameProtocol> extends Partial<ClientRoomOptions> {
  /** The game protocol (the same declaration the server room uses). */
  protocol: P;
  /** Server WebSocket URL, e.g. ws://localhost:8080/ws. */
  url?: string;
  /**
   * A cluster's gateway (`http://host:port`) instead of `url`: the SDK asks it where the room
   * lives (or where to open a new one), connects to that game process with the ticket it gets,
   * and before every reconnect attempt asks again, so after a failover it resumes on the room's
   * new process by itself. `token` is then the bearer of the calls to the gateway (without one,
   * the gateway's anonymous identity is fetched once). See docs/scaling.md.
   */
  gateway?: string;
  /**
   * Room code to join: one code is one room. A code with no room is refused with ROOM_NOT_FOUND
   * unless its room type lets a join create it (`createOnJoin`). Give `create` instead to make a
   * new room.
   */
  room?: string;
  /**
   * Room type to create (a name the server serves, e.g. `'arena'`): the server makes a new room
   * and picks its code, which is `room.code` on the result. Exactly one of `room` and `create`.
   */
  create?: string;
  /**
   * The join options the protocol declares (`defineProtocol({ join })`), read by the room's
   * `onAuth` and `onJoin`; fields left out take their defaults. Sent again on every reconnect.
   */
  options?: Partial<JoinOptionsOf<P>>;
  /** Display name. */
  name?: string;
  /**
   * Who this player is: a token (a JWT from your sign-in, or the token of
   * {@link anonymousIdentity}), or a function that returns one. A function is called before the
   * first join and again before every reconnect attempt, so a token refreshed meanwhile is the
   * one sent: `token: () => auth.getFreshToken()`. If it throws, that attempt fails (and a
   * reconnect tries again after its backoff, unless it threw a TickwireError that is final).
   */
  token?: TokenSource;
  /** Resume token from a previous connection's `room.resumeToken`, to get the same membership back (the same client id and entity). */
  resumeToken?: Uint8Array;
  /** WebSocket implementation (default: globalThis.WebSocket; in Node use @tickwire/client/node). */
  WebSocket?: WebSocketConstructor;
  /**
   * A transport instead of a WebSocket (in-memory pipes in tests). A factory is called again for
   * every reconnect attempt; a ready transport can be used once, so a room joined with one does
   * not reconnect.
   */
  transport?: Transport | (() => Transport | Promise<Transport>);
  /** Give up joining after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** The fetch for HTTP calls (the gateway, sessions, anonymous identities; default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Simulated network conditions (development and tests): latency, jitter, loss... */
  conditions?: NetworkConditions;
  /** Random source for the conditioner and the reconnect jitter (default Math.random). */
  random?: () => number;
  /**
   * Reconnect by itself after a drop (default on; `false` turns it off). See
   * {@link ClientRoom} for what happens to inputs and commands meanwhile.
   */
  reconnect?: Partial<ReconnectOptions> | boolean;
}

/** A token, or a function that returns one (see ConnectOptions.token). */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * Connects and joins a room. The room reconnects by itself after a drop (see `reconnect`), and
 * reports it through its `status` and its `reconnecting` / `reconnected` / `close` events.
 *
 * @example
 * const room = await connect({ url: 'ws://localhost:8080/ws', room: 'abc', name: 'ada', protocol: arena, options: { team: 1 } });
 * room.on('add', (e) => console.log('entity', e.id, e.typeName));
 * room.on('reconnecting', ({ attempt }) => console.log('reconnecting, attempt', attempt));
 * room.sendInput({ dx: 1, dy: 0 });
 */
export async function connect<P extends GameProtocol>(options: ConnectOptions<P>): Promise<ClientRoom<P>> {
  const clock = options.clock ?? systemClock;
  const create = options.create !== undefined;
  const target = options.create ?? options.room;
  if (target === undefined || (options.create !== undefined && options.room !== undefined)) {
    throw new TickwireError(ErrorCode.INVALID_ROOM_CODE, "connect needs exactly one of { room: code } (join) and { create: type } (a new room)");
  }
  if (create && options.resumeToken) {
    throw new TickwireError(ErrorCode.RESUME_FAILED, 'a resume token gets a membership back in an existing room: join its code ({ room: code, resumeToken }) instead of creating');
  }
  if (!ROOM_CODE_PATTERN.test(target)) {
    const what = create ? 'room type' : 'room code';
    throw new TickwireError(ErrorCode.INVALID_ROOM_CODE, `${what} '${target.slice(0, 80)}' is invalid: use 1-64 letters, digits, '_', '-', '.', ':'`);
  }
  const utf8 = new TextEncoder();
  if (utf8.encode(options.name ?? '').length > LIMITS.nameBytes) throw new TickwireError(ErrorCode.STRING_TOO_LONG, `name is longer than ${LIMITS.nameBytes} bytes`);
  const joinOptions = encodeJoinOptions(options.protocol, options.options ?? {});
  const route = router(options, create, target);
  const name = options.name ?? '';
  const dialOptions = { clock, conditions: options.conditions, random: options.random };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const first = await route.first(timeoutMs);
  const request: JoinRequest<P> = { protocol: options.protocol, room: first.room, create: first.create, name, token: first.token, options: joinOptions };
  const joined = await dial(first.open, { ...request, resumeToken: options.resumeToken }, { ...dialOptions, timeoutMs });
  const reconnect = route.reusable ? resolveReconnect(options.reconnect) : null;
  // Reconnects join the room this one is, by its code, even when it was created.
  const code = joined.welcome.room;
  return new ClientRoom(options.protocol, joined, {
    ...options,
    clock,
    reconnect: reconnect && {
      policy: reconnect,
      random: options.random ?? Math.random,
      redial: async (resumeToken, attemptMs) => {
        const hop = await route.again(code, attemptMs);
        return dial(hop.open, { ...request, room: hop.room, create: false, token: hop.token, resumeToken }, { ...dialOptions, timeoutMs: attemptMs });
      },
    },
  });
}

/** One way to a room: how to open the connection, and what HELLO says. */
interface Hop {
  open: Opener;
  room: string;
  create: boolean;
  token: string;
}

/** How a room is reached: the first time, and again (by its code) for each reconnect attempt. */
interface Route {
  first(timeoutMs: number): Promise<Hop>;
  again(code: string, timeoutMs: number): Promise<Hop>;
  /** Whether it can be done more than once (a ready transport cannot). */
  reusable: boolean;
}

/**
 * The route for these options: straight to the URL (or transport), the player's token in HELLO;
 * or through a gateway, which names the process and signs a ticket for it on every connection.
 */
function router<P extends GameProtocol>(options: ConnectOptions<P>, create: boolean, target: string): Route {
  const token = () => resolveToken(options.token);
  if (options.gateway === undefined) {
    const { open, reusable } = opener(options);
    return {
      reusable,
      first: async () => ({ open, room: target, create, token: await token() }),
      again: async (code) => ({ open, room: code, create: false, token: await token() }),
    };
  }
  if (options.url !== undefined || options.transport !== undefined) {
    throw new TickwireError(ErrorCode.INVALID_ROOM_CODE, 'connect takes a gateway or a url (or a transport), not both: the gateway names the game server to connect to');
  }
  const WS = webSocketClass(options);
  const base = gatewayAddress(options.gateway);
  const doFetch = options.fetch ?? globalThis.fetch;
  // Without a token, one anonymous identity for every call: the resume token is bound to it.
  const deps: GatewayDeps = { base, fetch: doFetch, token: identityToken(options.token, () => base, doFetch) };
  const name = options.name ?? '';
  const hop = (d: Direction): Hop => ({ open: () => webSocketTransport(new WS(d.url)), room: d.room, create: false, token: d.ticket });
  return {
    reusable: true,
    first: async (timeoutMs) => hop(await askJoin(deps, create ? { create: target } : { room: target }, name, timeoutMs)),
    again: async (code, timeoutMs) => hop(await askWhere(deps, code, name, timeoutMs)),
  };
}

/**
 * The player's token as a provider: the given one, or (without one) an anonymous identity the
 * server at `http()` issues, fetched once and kept, so every call is the same player.
 */
function identityToken(source: TokenSource | undefined, http: () => URL, doFetch: typeof fetch): () => Promise<string> {
  if (source !== undefined) return () => resolveToken(source);
  let anonymous: Promise<string> | undefined;
  return () => (anonymous ??= anonymousIdentity(http(), { fetch: doFetch }).then((i) => i.token));
}

/** What {@link createClient} is given: how to reach the server and who this is, not which room. */
export type ClientOptions<P extends GameProtocol> = Omit<ConnectOptions<P>, 'room' | 'create' | 'options' | 'resumeToken'> & {
  /** The server's HTTP address for its API (sessions): default, the gateway, else the WebSocket URL's host over http(s). */
  httpUrl?: string;
};

/** A way to reach one server as one player: join rooms by code, create rooms by type, sessions. */
export interface TickwireClient<P extends GameProtocol> {
  /** Joins the room with this code (see ConnectOptions.room). */
  join(code: string, options?: Partial<JoinOptionsOf<P>>, extra?: Pick<ConnectOptions<P>, 'resumeToken'>): Promise<ClientRoom<P>>;
  /** Creates a new room of this type; its code is `room.code`, to share with the others. */
  create(type: string, options?: Partial<JoinOptionsOf<P>>): Promise<ClientRoom<P>>;
  /**
   * Sessions (lobbies with seats, ready and start, rounds, results): list, create, join with a
   * password. Without a `token` the client asks the server for an anonymous identity once and
   * uses it for the HTTP calls and the game socket alike (development servers issue them).
   */
  readonly sessions: SessionsClient<P>;
}

/**
 * A client for one server: the connection settings once, then `join(code)` and `create(type)`,
 * each with the protocol's typed join options.
 *
 * @example
 * const client = createClient({ url: 'ws://localhost:8080/ws', protocol: duel, name: 'ada' });
 * const room = await client.create('duel', { team: 1, password: 'sesame' });
 * share(room.code); // a friend: await client.join(code, { team: 2, password: 'sesame' })
 */
export function createClient<P extends GameProtocol>(base: ClientOptions<P>): TickwireClient<P> {
  const doFetch = base.fetch ?? globalThis.fetch;
  let http: URL | undefined;
  const httpBase = (): URL => (http ??= httpAddress(base));
  // One identity for the HTTP calls and the game socket: the given token, or one anonymous identity.
  const identity = identityToken(base.token, httpBase, doFetch);
  // Through a gateway every room is joined as that identity too (a resume token is bound to it);
  // straight to a server, a join without a token is a guest of its own, as with connect().
  const player: Pick<ConnectOptions<P>, 'token'> = base.gateway !== undefined ? { token: identity } : {};
  return {
    join: (code, options, extra) => connect({ ...base, ...player, ...extra, room: code, options }),
    create: (type, options) => connect({ ...base, ...player, create: type, options }),
    sessions: sessionsClient<P>({
      get http() {
        return httpBase();
      },
      fetch: (input, init) => doFetch(input, init),
      token: identity,
      connect: (code, options, token) => connect({ ...base, room: code, options, token }),
      clock: base.clock ?? systemClock,
      timeoutMs: base.timeoutMs ?? 10_000,
    }),
  };
}

/** The HTTP address of the server a client's options name: `httpUrl`, or the WebSocket URL's host. */
function httpAddress<P extends GameProtocol>(options: ClientOptions<P>): URL {
  const given = options.httpUrl ?? options.gateway ?? options.url;
  if (!given) throw new TickwireError(ErrorCode.DISCONNECTED, 'sessions need the server address: pass createClient({ url }), { gateway } or { httpUrl }');
  const url = new URL(given);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  url.pathname = '/';
  url.search = '';
  return url;
}

/** The token to send now: the string, or what the provider returns, checked like one. */
async function resolveToken(source: TokenSource | undefined): Promise<string> {
  const token = typeof source === 'function' ? await source() : (source ?? '');
  if (typeof token !== 'string') throw new TickwireError(ErrorCode.AUTH_FAILED, `the token provider returned ${typeof token}, not a string`);
  if (new TextEncoder().encode(token).length > LIMITS.tokenBytes) throw new TickwireError(ErrorCode.STRING_TOO_LONG, `token is longer than ${LIMITS.tokenBytes} bytes`);
  return token;
}

/** How to open a connection for these options, and whether it can be done more than once. */
function opener<P extends GameProtocol>(options: ConnectOptions<P>): { open: Opener; reusable: boolean } {
  const given = options.transport;
  if (typeof given === 'function') {
    return { reusable: true, open: async () => ({ transport: await given(), opened: Promise.resolve() }) };
  }
  if (given) {
    let used = false;
    return {
      reusable: false,
      open: () => {
        if (used) throw new Error('this transport was already used: pass a factory (() => Transport) to reconnect');
        used = true;
        return { transport: given, opened: Promise.resolve() };
      },
    };
  }
  const WS = webSocketClass(options);
  const url = options.url;
  if (!url) throw new Error('connect needs a url (ws://host:port/ws) or a transport');
  return { reusable: true, open: () => webSocketTransport(new WS(url)) };
}

/** The WebSocket class to use: the option's, or the host's. */
function webSocketClass<P extends GameProtocol>(options: ConnectOptions<P>): WebSocketConstructor {
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WS) throw new Error('no WebSocket implementation: pass { WebSocket } or import connect from @tickwire/client/node');
  return WS;
}
