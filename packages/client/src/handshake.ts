/**
 * One join: open a transport, send HELLO, wait for WELCOME or a refusal with its code. Used for
 * the first connection and again for each reconnect attempt, so it owns nothing that outlives a
 * connection: the room adopts the joined transport and takes its handlers over.
 */
import {
  ErrorCode,
  FrameEncoder,
  TickwireError,
  conditionTransport,
  decodeServer,
  type Clock,
  type GameProtocol,
  type NetworkConditions,
  type Transport,
  type WelcomeBody,
} from '@tickwire/protocol';

/** A transport being opened; `opened` settles when it can carry frames (rejects if it cannot). */
export interface Opening {
  transport: Transport;
  opened: Promise<void>;
}

/** Opens a new transport to the server: called once per connection attempt. */
export type Opener = () => Opening | Promise<Opening>;

/** What a HELLO carries, besides the protocol hash. */
export interface JoinRequest<P extends GameProtocol> {
  protocol: P;
  /** The room code to join, or with `create` the room type to create. */
  room: string;
  /** Create a new room of type `room` (the server answers its code in WELCOME). */
  create: boolean;
  name: string;
  token: string;
  /** The join options, already encoded with the protocol (encodeJoinOptions). */
  options: Uint8Array;
  resumeToken?: Uint8Array | undefined;
}

/** A transport that has been welcomed into a room, waiting for its owner. */
export interface Joined {
  transport: Transport;
  welcome: WelcomeBody;
  /**
   * Hands the transport to its owner. Frames (and a close) that arrived after WELCOME and
   * before this call are replayed to the new handlers first, in order: none is lost.
   */
  attach(onmessage: (frame: Uint8Array) => void, onclose: (code: number, reason: string) => void): void;
}

export interface DialOptions {
  clock: Clock;
  /** Give up (TIMEOUT) after this long without WELCOME, opening included. */
  timeoutMs: number;
  conditions?: NetworkConditions | undefined;
  random?: (() => number) | undefined;
}

/**
 * Opens a transport and joins. Rejects with a TickwireError carrying the server's refusal code
 * (or TIMEOUT, or DISCONNECTED when the connection closed without one), or with the opener's
 * error when no connection could be opened.
 */
export function dial<P extends GameProtocol>(open: Opener, request: JoinRequest<P>, options: DialOptions): Promise<Joined> {
  const { clock, timeoutMs } = options;
  return new Promise<Joined>((resolve, reject) => {
    let settled = false;
    let transport: Transport | undefined;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      reject(err);
    };
    const timer = clock.setTimeout(() => {
      if (transport) {
        transport.onmessage = null;
        transport.onclose = null;
        transport.close(1000, 'join timeout');
      }
      fail(new TickwireError(ErrorCode.TIMEOUT, `no WELCOME from the server within ${timeoutMs} ms`));
    }, timeoutMs);

    Promise.resolve()
      .then(open)
      .then(async (opening) => {
        transport = opening.transport;
        await opening.opened;
        return opening.transport;
      })
      .then((raw) => {
        if (settled) {
          raw.close(1000, 'join abandoned');
          return;
        }
        transport = options.conditions ? conditionTransport(raw, options.conditions, clock, options.random ?? Math.random) : raw;
        handshake(transport, request, (joined) => {
          if (settled) return;
          settled = true;
          clock.clearTimeout(timer);
          resolve(joined);
        }, fail);
      })
      // Whatever went wrong on the way (the opener, the socket, encoding the HELLO) rejects the join.
      .catch((err: unknown) => {
        transport?.close(1000, 'join failed');
        fail(err);
      });
  });
}

function handshake<P extends GameProtocol>(
  t: Transport,
  request: JoinRequest<P>,
  done: (joined: Joined) => void,
  fail: (err: TickwireError) => void,
): void {
  let refusal: TickwireError | undefined;
  t.onclose = (code, reason) => {
    fail(refusal ?? new TickwireError(ErrorCode.DISCONNECTED, `connection closed while joining (${code}${reason ? ` ${reason}` : ''})`));
  };
  t.onmessage = (frame) => {
    let msg;
    try {
      msg = decodeServer(frame, request.protocol);
    } catch (err) {
      refusal = err instanceof TickwireError ? err : new TickwireError(ErrorCode.INTERNAL, String(err));
      t.close(4000, 'bad frame from server');
      return;
    }
    if (msg.kind === 'error') {
      refusal = new TickwireError(msg.code as ErrorCode, msg.message);
      if (!msg.fatal) return;
      t.onclose = null;
      t.onmessage = null;
      t.close(1000, 'refused');
      fail(refusal);
      return;
    }
    if (msg.kind !== 'welcome') return;
    done(park(t, msg));
  };
  t.send(
    new FrameEncoder().hello({
      room: request.room,
      name: request.name,
      token: request.token,
      resumeToken: request.resumeToken,
      protocolHash: request.protocol.hash,
      create: request.create,
      options: request.options,
    }),
  );
}

/** Holds what arrives after WELCOME until the owner attaches (a promise resolves a microtask later). */
function park(t: Transport, welcome: WelcomeBody): Joined {
  const early: Uint8Array[] = [];
  let closed: [number, string] | undefined;
  t.onmessage = (frame) => early.push(frame);
  t.onclose = (code, reason) => (closed = [code, reason]);
  return {
    transport: t,
    welcome,
    attach(onmessage, onclose) {
      t.onmessage = onmessage;
      t.onclose = onclose;
      for (const frame of early.splice(0)) onmessage(frame);
      if (closed) onclose(...closed);
    },
  };
}
