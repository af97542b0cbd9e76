/**
 * Adapts a uWebSockets.js WebSocket to the Transport interface the runtime speaks, and builds the
 * socket behaviour (limits, events) a uWS app serves them with. The uWS host uses both; the
 * transport contract suite runs the same behaviour on a bare app.
 *
 * uWS differs from ws in ways this file absorbs: a received ArrayBuffer is valid only during the
 * callback (the Transport interface already says so), a socket may not be touched once its close
 * handler ran (it throws), the close handler runs inside `end()` / `close()`, and a frame over
 * uWS's own payload cap is cut without a close frame.
 */
import type { Transport } from '@tickwire/protocol';
import type uwsModule from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import { UwsNotInstalledError, refusalBody, statusLine } from './host.js';
import type { Limits } from './limits.js';

/** The uWebSockets.js module (a CommonJS module: what `import()` gives as `default`). */
export type Uws = typeof uwsModule;

/** What each socket carries: its transport, once open. */
export interface SocketData {
  transport: UwsTransport | null;
}

/**
 * Loads uWebSockets.js, or throws UwsNotInstalledError saying how to install it.
 *
 * @example
 * const uws = await loadUws();
 */
export async function loadUws(): Promise<Uws> {
  try {
    const mod = await import('uWebSockets.js');
    return mod.default;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new UwsNotInstalledError(
      `the uWebSockets.js host needs the uWebSockets.js package, which could not be loaded (${why}): ` +
        `install it with "npm i uNetworking/uWebSockets.js#v20.52.0" (or a later v20 release that supports your Node version), or use the Node host (leave out host: 'uws', or unset TICKWIRE_HOST)`,
      { cause },
    );
  }
}

/** `send` refused the frame: the socket is over uWS's backpressure cap. */
const DROPPED = 2;
/** Close code for a frame over the limit, as ws sends it. */
const MESSAGE_TOO_BIG = 1009;
/** Longest close reason a close frame carries, in bytes. */
const MAX_REASON_BYTES = 123;

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** `text` cut to at most `max` bytes of UTF-8, never inside a character. */
export function truncateUtf8(text: string, max: number): string {
  if (utf8Encoder.encode(text).length <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = utf8Encoder.encode(ch).length;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * A peer's address as text from uWS's binary form (4 or 16 bytes): IPv4 dotted, IPv4-mapped IPv6
 * as the IPv4 address (as the Node host ends up counting it), other IPv6 in its short form.
 */
export function addressText(raw: ArrayBuffer): string {
  const b = new Uint8Array(raw);
  if (b.length === 4) return b.join('.');
  if (b.length !== 16) return '';
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.subarray(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // The URL parser writes IPv6 in its canonical short form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

export class UwsTransport implements Transport {
  onmessage: ((frame: Uint8Array) => void) | null = null;
  onclose: ((code: number, reason: string) => void) | null = null;
  ontext: ((text: string) => void) | null = null;
  oncontrol: (() => void) | null = null;
  /** False from the moment either side closes: the socket may not be used after that. */
  private open = true;

  constructor(private readonly ws: WebSocket<SocketData>) {}

  get bufferedAmount(): number {
    return this.open ? this.ws.getBufferedAmount() : 0;
  }

  send(frame: Uint8Array): void {
    if (!this.open) return;
    // uWS drops a frame over its backpressure cap; a transport that loses frames is broken, so
    // the connection goes (the runtime closes slow clients long before, at maxBufferedBytes).
    if (this.ws.send(frame, true, false) === DROPPED) this.abort();
  }

  sendText(text: string): void {
    if (!this.open) return;
    if (this.ws.send(text, false, false) === DROPPED) this.abort();
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.ws.end(code, truncateUtf8(reason, MAX_REASON_BYTES));
  }

  abort(): void {
    if (!this.open) return;
    this.open = false;
    this.ws.close();
  }

  /** A message arrived; its buffer is uWS's and is reused after this returns. */
  received(message: ArrayBuffer, isBinary: boolean): void {
    if (isBinary) this.onmessage?.(new Uint8Array(message));
    else this.ontext?.(utf8.decode(message));
  }

  /**
   * The socket closed (either side). Reported on a microtask, as ws and the in-memory pipe do:
   * uWS runs its close handler inside `end()`, and the runtime does not expect to be re-entered
   * from its own `close`.
   */
  ended(code: number, message: ArrayBuffer): void {
    this.open = false;
    const reason = utf8.decode(message);
    queueMicrotask(() => this.onclose?.(code, reason));
  }
}

/** A `ws` is accepted only with a key and a version ws would accept too. */
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Answers a request with a JSON refusal (an upgrade that will not happen), and closes the connection. */
export function refuse(res: HttpResponse, status: number, message: string): void {
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json').end(refusalBody(status, message), true);
  });
}

export interface SocketEvents {
  /**
   * Before an upgrade: a reason to refuse it (status and message), or undefined to upgrade.
   * Runs inside uWS's upgrade handler, with its request.
   */
  refuse?(req: HttpRequest): { status: number; message: string } | undefined;
  /** A socket is open: hand its transport on. */
  open(transport: UwsTransport, address: string): void;
  /** A socket closed (either side). */
  closed?(transport: UwsTransport): void;
}

/**
 * The socket behaviour a uWS app serves tickwire's WebSockets with. Compression off; payloads
 * checked against `maxFrameBytes` (a larger frame closes with 1009, as ws does; uWS's own cap,
 * above it, cuts grossly oversized ones without reading them whole); no uWS pings, and an idle
 * timeout past the runtime's own, which stays the one that decides; backpressure left to the
 * runtime, with uWS's cap above `maxBufferedBytes` so it never drops a frame the runtime sent.
 */
export function socketBehavior(uws: Uws, limits: Pick<Limits, 'maxFrameBytes' | 'idleTimeoutMs' | 'maxBufferedBytes'>, events: SocketEvents): WebSocketBehavior<SocketData> {
  const maxFrame = limits.maxFrameBytes;
  return {
    compression: uws.DISABLED,
    maxPayloadLength: Math.max(2 * maxFrame, 64 * 1024),
    idleTimeout: uwsIdleSeconds(limits.idleTimeoutMs),
    sendPingsAutomatically: false,
    maxBackpressure: 2 * Math.max(limits.maxBufferedBytes, 64 * 1024),
    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      const key = req.getHeader('sec-websocket-key');
      const version = req.getHeader('sec-websocket-version');
      const refusal =
        !WS_KEY.test(key) || (version !== '13' && version !== '8')
          ? { status: 400, message: 'not a valid WebSocket upgrade (Sec-WebSocket-Key or Sec-WebSocket-Version)' }
          : events.refuse?.(req);
      if (refusal) return refuse(res, refusal.status, refusal.message);
      // As ws does: the first subprotocol the client offers, if any.
      const protocol = req.getHeader('sec-websocket-protocol').split(',')[0]?.trim() ?? '';
      const data: SocketData = { transport: null };
      res.upgrade(data, key, protocol, req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const transport = new UwsTransport(ws);
      ws.getUserData().transport = transport;
      events.open(transport, addressText(ws.getRemoteAddress()));
    },
    message: (ws, message, isBinary) => {
      const transport = ws.getUserData().transport;
      if (!transport) return;
      if (message.byteLength > maxFrame) return transport.close(MESSAGE_TOO_BIG, `frame of ${message.byteLength} bytes exceeds ${maxFrame}`);
      transport.received(message, isBinary);
    },
    ping: (ws) => ws.getUserData().transport?.oncontrol?.(),
    pong: (ws) => ws.getUserData().transport?.oncontrol?.(),
    close: (ws, code, message) => {
      const transport = ws.getUserData().transport;
      if (!transport) return;
      transport.ended(code, message);
      events.closed?.(transport);
    },
  };
}

/**
 * uWS's idle timeout for the runtime's `idleTimeoutMs`: a few seconds later (uWS counts in steps
 * of 4 s, between 8 and 960), so the runtime, on its own clock, is the one that drops a silent
 * peer; 0 (none) when the runtime has none or one uWS cannot exceed.
 */
export function uwsIdleSeconds(idleTimeoutMs: number): number {
  if (!(idleTimeoutMs > 0)) return 0;
  const seconds = Math.ceil(idleTimeoutMs / 1000) + 4;
  return seconds > 960 ? 0 : Math.max(8, seconds);
}
