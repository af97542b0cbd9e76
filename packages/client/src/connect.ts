/**
 * Joining a room: check the options, build the way to open a connection (a WebSocket to a URL,
 * or a transport factory), join once, and hand the room that way to open the next connection,
 * so it can reconnect by itself after a drop.
 */
import {
  ErrorCode,
  LIMITS,
  ROOM_CODE_PATTERN,
  TickwireError,
  systemClock,
  type NetworkConditions,
  type GameProtocol,
  type Transport,
} from '@tickwire/protocol';
import { ClientRoom, type ClientRoomOptions } from './client-room.js';
import { dial, type JoinRequest, type Opener } from './handshake.js';
import { resolveReconnect, type ReconnectOptions } from './reconnect.js';
import { webSocketTransport, type WebSocketConstructor } from './websocket-transport.js';

export interface ConnectOptions<P extends GameProtocol> extends Partial<ClientRoomOptions> {
  /** The game protocol (the same declaration the server room uses). */
  protocol: P;
  /** Server WebSocket URL, e.g. ws://localhost:8080/ws. */
  url?: string;
  /** Room code: one code is one room. */
  room: string;
  /** Display name. */
  name?: string;
  /** Auth token (a JWT, or the token of {@link anonymousIdentity}), if the server requires one. */
  token?: string;
  /** Resume token from a previous connection's `room.resumeToken`, to get the same seat back. */
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

/**
 * Connects and joins a room. The room reconnects by itself after a drop (see `reconnect`), and
 * reports it through its `status` and its `reconnecting` / `reconnected` / `close` events.
 *
 * @example
 * const room = await connect({ url: 'ws://localhost:8080/ws', room: 'abc', name: 'ada', protocol: arena });
 * room.on('add', (e) => console.log('entity', e.id, e.typeName));
 * room.on('reconnecting', ({ attempt }) => console.log('reconnecting, attempt', attempt));
 * room.sendInput({ dx: 1, dy: 0 });
 */
export async function connect<P extends GameProtocol>(options: ConnectOptions<P>): Promise<ClientRoom<P>> {
  const clock = options.clock ?? systemClock;
  if (!ROOM_CODE_PATTERN.test(options.room)) {
    throw new TickwireError(ErrorCode.INVALID_ROOM_CODE, `room code '${options.room.slice(0, 80)}' is invalid: use 1-64 letters, digits, '_', '-', '.', ':'`);
  }
  const utf8 = new TextEncoder();
  if (utf8.encode(options.name ?? '').length > LIMITS.nameBytes) throw new TickwireError(ErrorCode.STRING_TOO_LONG, `name is longer than ${LIMITS.nameBytes} bytes`);
  if (utf8.encode(options.token ?? '').length > LIMITS.tokenBytes) throw new TickwireError(ErrorCode.STRING_TOO_LONG, `token is longer than ${LIMITS.tokenBytes} bytes`);
  const { open, reusable } = opener(options);
  const request: JoinRequest<P> = { protocol: options.protocol, room: options.room, name: options.name ?? '', token: options.token ?? '' };
  const dialOptions = { clock, conditions: options.conditions, random: options.random };
  const joined = await dial(open, { ...request, resumeToken: options.resumeToken }, { ...dialOptions, timeoutMs: options.timeoutMs ?? 10_000 });
  const reconnect = reusable ? resolveReconnect(options.reconnect) : null;
  return new ClientRoom(options.protocol, joined, {
    ...options,
    clock,
    reconnect: reconnect && {
      policy: reconnect,
      random: options.random ?? Math.random,
      redial: (resumeToken, timeoutMs) => dial(open, { ...request, resumeToken }, { ...dialOptions, timeoutMs }),
    },
  });
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
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WS) throw new Error('no WebSocket implementation: pass { WebSocket } or import connect from @tickwire/client/node');
  const url = options.url;
  if (!url) throw new Error('connect needs a url (ws://host:port/ws) or a transport');
  return { reusable: true, open: () => webSocketTransport(new WS(url)) };
}
