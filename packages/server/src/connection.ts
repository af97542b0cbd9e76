/**
 * One client connection on the server: rate limiting, decoding and dispatch of its frames.
 *
 * Everything a client sends passes through `receive`: size and rate checks first, then the
 * decoder (which throws ProtocolError on anything malformed), then the room. Every refusal is
 * an ERROR frame with a stable code; repeated malformed frames or a flood close the connection.
 * Nothing a client sends can throw past this class.
 */
import {
  CloseCode,
  ErrorCode,
  Kind,
  ProtocolError,
  TickwireError,
  decodeHello,
  errorCodeName,
  peekEnvelope,
  randomToken,
  type Clock,
  type FrameEncoder,
  type HelloBody,
  type TimerHandle,
  type Transport,
} from '@tickwire/protocol';
import type { Logger } from 'pino';
import { transition, type ConnectionEvent, type ConnectionState } from './connection-state.js';
import { queueInputs } from './input-queue.js';
import { TokenBucket, type Limits } from './limits.js';
import type { Room } from './room.js';
import type { ClientConnection, Identity, RoomClient } from './room-client.js';
import { seat } from './seats.js';
import type { ServerStats } from './stats.js';

/** What a connection needs from the server. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: Limits;
  readonly stats: ServerStats;
  readonly frames: FrameEncoder;
  readonly closing: boolean;
  /** The room for a code (created on first join), or a TickwireError saying why not. */
  room(code: string): Promise<Room | TickwireError>;
  authenticate(hello: HelloBody): Promise<Identity> | Identity;
  forget(conn: Connection): void;
}

export class Connection implements ClientConnection {
  state: ConnectionState = 'handshake';
  client: RoomClient | null = null;
  room: Room | null = null;
  private readonly bucket: TokenBucket;
  private readonly strikes: TokenBucket;
  private protocolErrors = 0;
  private lastNotice = -Infinity;
  private joinTimer: TimerHandle | null;

  constructor(
    private readonly transport: Transport,
    private readonly host: ConnectionHost,
    readonly remoteAddress = '',
  ) {
    const { limits, clock } = host;
    const now = clock.now();
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.strikes = new TokenBucket(limits.messagesPerSecond / 10, limits.floodTolerance, now);
    this.joinTimer = clock.setTimeout(() => {
      this.joinTimer = null;
      if (this.state === 'handshake' || this.state === 'authenticating') {
        this.fail(ErrorCode.JOIN_TIMEOUT, `not joined within ${limits.joinTimeoutMs} ms of connecting`, CloseCode.JOIN_TIMEOUT, 0, 'timeout');
      }
    }, limits.joinTimeoutMs);
    transport.onmessage = (frame) => this.receive(frame);
    transport.onclose = () => this.closed();
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.host.stats.bytesOut(frame.length);
    this.transport.send(frame);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.move('close');
    this.transport.close(code, reason);
    this.cleanup();
  }

  private move(event: ConnectionEvent): void {
    this.state = transition(this.state, event) ?? this.state;
  }

  /** Sends an ERROR; `close` also closes the connection with that WebSocket code. */
  private fail(code: ErrorCode, message: string, close?: number, seq = 0, event?: ConnectionEvent): void {
    this.host.stats.error(code);
    this.send(this.host.frames.error(seq, { code, fatal: close !== undefined, message }));
    if (close === undefined) return;
    this.transport.close(close, `${errorCodeName(code)}: ${message}`.slice(0, 120));
    this.move(event ?? (this.state === 'authenticating' ? 'refused' : 'fatal'));
    this.cleanup();
  }

  /** A text frame: the protocol is binary only. */
  receiveText(): void {
    this.malformed(new ProtocolError(ErrorCode.NOT_BINARY, 'text frames are not part of the protocol: send binary frames'), 0);
  }

  receive(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.host.stats.bytesIn(frame.length);
    const now = this.host.clock.now();
    if (!this.bucket.take(now)) {
      if (!this.strikes.take(now)) {
        this.fail(ErrorCode.FLOOD, 'too many messages: connection closed', CloseCode.FLOOD);
        return;
      }
      if (now - this.lastNotice >= 1000) {
        this.lastNotice = now;
        this.fail(ErrorCode.RATE_LIMITED, `more than ${this.host.limits.messagesPerSecond} messages per second: messages dropped`);
      }
      return;
    }
    if (frame.length > this.host.limits.maxFrameBytes) {
      this.malformed(new ProtocolError(ErrorCode.FRAME_TOO_LARGE, `frame of ${frame.length} bytes exceeds ${this.host.limits.maxFrameBytes}`), 0);
      return;
    }
    try {
      if (this.state === 'joined') this.dispatch(frame);
      else if (this.state === 'handshake') this.hello(frame);
      else throw new ProtocolError(ErrorCode.NOT_JOINED, 'wait for WELCOME before sending anything else');
    } catch (err) {
      if (err instanceof TickwireError) {
        const envelope = peekEnvelope(frame);
        this.malformed(err, envelope?.seq ?? 0, envelope?.kind);
      }
      else {
        this.host.logger.error({ err }, 'unexpected error handling a client frame');
        this.fail(ErrorCode.INTERNAL, 'internal error');
      }
    }
  }

  private malformed(err: TickwireError, seq: number, kind?: number): void {
    if (err.code === ErrorCode.UNSUPPORTED_VERSION) {
      this.fail(err.code, err.message, CloseCode.UNSUPPORTED_VERSION);
      return;
    }
    if (++this.protocolErrors > this.host.limits.maxProtocolErrors) {
      this.fail(ErrorCode.TOO_MANY_ERRORS, `${this.protocolErrors} malformed frames: connection closed`, CloseCode.PROTOCOL_ERROR);
      return;
    }
    if (kind === Kind.COMMAND && this.state === 'joined') {
      // The sender is waiting on this command: settle it, instead of a separate ERROR.
      this.host.stats.error(err.code);
      this.send(this.host.frames.commandResult(seq, { ok: false, code: err.code, message: err.message }));
      return;
    }
    this.fail(err.code, err.message, undefined, seq);
  }

  private hello(frame: Uint8Array): void {
    const hello = decodeHello(frame);
    if (this.host.closing) {
      this.fail(ErrorCode.SHUTTING_DOWN, 'the server is shutting down: try again shortly', CloseCode.GOING_AWAY);
      return;
    }
    this.move('hello');
    let identity: Promise<Identity> | Identity;
    try {
      identity = this.host.authenticate(hello);
    } catch (err) {
      identity = Promise.reject(err);
    }
    if (identity instanceof Promise) {
      identity.then(
        (id) => this.join(hello, id),
        (err: unknown) => this.refuse(err),
      );
    } else {
      this.join(hello, identity);
    }
  }

  private refuse(err: unknown): void {
    const e = err instanceof TickwireError ? err : new TickwireError(ErrorCode.AUTH_FAILED, 'authentication failed');
    const close =
      e.code === ErrorCode.ROOM_FULL
        ? CloseCode.ROOM_FULL
        : e.code === ErrorCode.AUTH_FAILED
          ? CloseCode.AUTH_FAILED
          : e.code === ErrorCode.SCHEMA_MISMATCH
            ? CloseCode.SCHEMA_MISMATCH
            : CloseCode.JOIN_REFUSED;
    this.fail(e.code, e.message, close);
  }

  private join(hello: HelloBody, identity: Identity): void {
    if (this.state !== 'authenticating') return;
    this.host.room(hello.room).then(
      (room) => this.seatIn(room, hello, identity),
      (err: unknown) => this.refuse(err),
    );
  }

  private seatIn(room: Room | TickwireError, hello: HelloBody, identity: Identity): void {
    if (this.state !== 'authenticating') return;
    if (room instanceof TickwireError) return this.refuse(room);
    if (hello.protocolHash !== room.definition.protocol.hash) {
      return this.refuse(
        new TickwireError(
          ErrorCode.SCHEMA_MISMATCH,
          `client game protocol hash ${hello.protocolHash.toString(16)} differs from the room's ${room.definition.protocol.hash.toString(16)} ('${room.definition.protocol.name}'): rebuild the client against the server's protocol`,
        ),
      );
    }
    try {
      this.client = seat(room, this, hello, identity, randomToken(), this.host.clock.now());
    } catch (err) {
      return this.refuse(err);
    }
    this.room = room;
    this.move('seated');
    if (this.joinTimer) this.host.clock.clearTimeout(this.joinTimer);
    this.joinTimer = null;
    room.start();
  }

  private dispatch(frame: Uint8Array): void {
    const room = this.room!;
    const client = this.client!;
    const limits = this.host.limits;
    const msg = room.codec.decodeClient(frame);
    switch (msg.kind) {
      case 'input': {
        // In INPUT, 0 means "no new ack"; only a lone ACK of 0 asks for a full snapshot.
        if (msg.ackTick > 0) room.acknowledge(client, msg.ackTick);
        const dropped = queueInputs(client, msg.inputs, limits.maxBufferedInputs);
        if (dropped > 0) this.notice(ErrorCode.TOO_MANY_INPUTS, `input queue full (${limits.maxBufferedInputs}): ${dropped} input(s) dropped`);
        return;
      }
      case 'command':
        if (!client.firstTimeCommand(msg.seq)) return;
        if (client.pendingCommands.length >= limits.maxPendingCommands) {
          this.host.stats.error(ErrorCode.RATE_LIMITED);
          client.sendResult(msg.seq, this.host.frames.commandResult(msg.seq, { ok: false, code: ErrorCode.RATE_LIMITED, message: 'too many commands waiting' }));
          return;
        }
        client.pendingCommands.push({ seq: msg.seq, time: msg.time, entity: msg.entity, command: msg.command, payload: msg.payload });
        return;
      case 'ack':
        room.acknowledge(client, msg.tick);
        return;
      case 'ping':
        this.send(this.host.frames.pong(msg.seq, { clientTime: msg.clientTime, serverTime: this.host.clock.now() }));
        return;
      case 'chat': {
        let text: string | false = msg.text.trim();
        if (!text) return;
        if (room.definition.onChat) text = room.definition.onChat(room, client, text);
        if (text) room.broadcastChat(client, text);
        return;
      }
      case 'leave':
        this.move('leave');
        room.removeClient(client, 'left');
        this.client = null;
        this.transport.close(CloseCode.NORMAL, 'left');
        this.cleanup();
        return;
      case 'hello':
        throw new ProtocolError(ErrorCode.ALREADY_JOINED, 'already joined: HELLO is sent once per connection');
    }
  }

  /** A non-fatal notice, at most once a second. */
  private notice(code: ErrorCode, message: string): void {
    const now = this.host.clock.now();
    this.host.stats.error(code);
    if (now - this.lastNotice < 1000) return;
    this.lastNotice = now;
    this.send(this.host.frames.error(0, { code, fatal: false, message }));
  }

  private closed(): void {
    if (this.state !== 'closed') this.move('close');
    this.cleanup();
  }

  private cleanup(): void {
    if (this.joinTimer) this.host.clock.clearTimeout(this.joinTimer);
    this.joinTimer = null;
    const client = this.client;
    if (client && client.connection === this) this.room?.disconnected(client);
    this.client = null;
    this.host.forget(this);
  }
}
