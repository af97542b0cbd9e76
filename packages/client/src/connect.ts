/**
 * Joining a room: open a transport, send HELLO, wait for WELCOME (or a refusal with its code).
 */
import {
  ErrorCode,
  FrameEncoder,
  LIMITS,
  ROOM_CODE_PATTERN,
  TickwireError,
  conditionTransport,
  decodeServer,
  systemClock,
  type NetworkConditions,
  type GameProtocol,
  type Transport,
} from '@tickwire/protocol';
import { ClientRoom, type ClientRoomOptions } from './client-room.js';
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
  /** Auth token (a JWT), if the server requires one. */
  token?: string;
  /** Resume token from a previous connection's `room.resumeToken`, to get the same seat back. */
  resumeToken?: Uint8Array;
  /** WebSocket implementation (default: globalThis.WebSocket; in Node use @tickwire/client/node). */
  WebSocket?: WebSocketConstructor;
  /** A ready transport instead of a WebSocket (in-memory pipes in tests). */
  transport?: Transport;
  /** Give up joining after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Simulated network conditions (development and tests): latency, jitter, loss... */
  conditions?: NetworkConditions;
  /** Random source for the conditioner (default Math.random). */
  random?: () => number;
}

/**
 * Connects and joins a room.
 *
 * @example
 * const room = await connect({ url: 'ws://localhost:8080/ws', room: 'abc', name: 'ada', protocol: arena });
 * room.on('add', (e) => console.log('entity', e.id, e.typeName));
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
  let transport = options.transport;
  if (!transport) {
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new Error('no WebSocket implementation: pass { WebSocket } or import connect from @tickwire/client/node');
    if (!options.url) throw new Error('connect needs a url (ws://host:port/ws) or a transport');
    const made = webSocketTransport(new WS(options.url));
    transport = made.transport;
    await made.opened;
  }
  const t = options.conditions ? conditionTransport(transport, options.conditions, clock, options.random ?? Math.random) : transport;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise<ClientRoom<P>>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      t.onmessage = null;
      t.close(1000, 'join timeout');
      reject(new TickwireError(ErrorCode.TIMEOUT, `no WELCOME from the server within ${timeoutMs} ms`));
    }, timeoutMs);
    let refusal: TickwireError | undefined;
    t.onclose = (code, reason) => {
      clock.clearTimeout(timer);
      reject(refusal ?? new TickwireError(ErrorCode.DISCONNECTED, `connection closed while joining (${code}${reason ? ` ${reason}` : ''})`));
    };
    t.onmessage = (frame) => {
      let msg;
      try {
        msg = decodeServer(frame, options.protocol);
      } catch (err) {
        refusal = err instanceof TickwireError ? err : new TickwireError(ErrorCode.INTERNAL, String(err));
        t.close(4000, 'bad frame from server');
        return;
      }
      if (msg.kind === 'error') {
        refusal = new TickwireError(msg.code as ErrorCode, msg.message);
        if (!msg.fatal) return;
        clock.clearTimeout(timer);
        reject(refusal);
        t.onclose = null;
        t.close(1000, 'refused');
        return;
      }
      if (msg.kind !== 'welcome') return;
      clock.clearTimeout(timer);
      resolve(new ClientRoom(options.protocol, t, msg, { ...options, clock }));
    };
    t.send(
      new FrameEncoder().hello({
        room: options.room,
        name: options.name ?? '',
        token: options.token ?? '',
        resumeToken: options.resumeToken,
        protocolHash: options.protocol.hash,
      }),
    );
  });
}
