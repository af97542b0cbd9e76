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
  DecodedFrame,
  ErrorCode,
  Kind,
  ProtocolError,
  TickwireError,
  decodeHello,
  decodeJoinOptions,
  errorCodeName,
  peekEnvelope,
  charCount,
  textProblem,
  type Clock,
  type CommandResultBody,
  type FrameEncoder,
  type HelloBody,
  type SessionRequest,
  type TimerHandle,
  type Transport,
} from '@tickwire/protocol';
import type { Logger } from 'pino';
import { transition, type ConnectionEvent, type ConnectionState } from './connection-state.js';
import type { AddressBudget } from './address-book.js';
import type { ResumeTokens } from './resume-tokens.js';
import { TokenBucket, type Limits } from './limits.js';
import { admit } from './members.js';
import type { Room } from './room.js';
import { Rejection } from './room-definition.js';
import { schemaMismatch, type RoomRequest } from './room-manager.js';
import type { ClientConnection, Identity, RoomClient } from './room-client.js';
import type { ServerStats } from './stats.js';

/** What a connection needs from the server. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: Limits;
  readonly stats: ServerStats;
  readonly frames: FrameEncoder;
  readonly closing: boolean;
  /**
   * The room a HELLO asks for: the open room for a code, or a new one (a create, or a join that
   * its room type lets create it) for a client that speaks its protocol, within the creation
   * limits; or a TickwireError saying why not.
   */
  room(request: RoomRequest, remoteAddress: string, identity: Identity): Promise<Room | TickwireError>;
  authenticate(hello: HelloBody): Promise<Identity> | Identity;
  forget(conn: Connection): void;
  /** Issues and checks resume tokens (any process with the same secret can check them). */
  readonly resumeTokens: ResumeTokens;
  /** This connection was closed for flooding: its address is refused for a while. */
  flooded(remoteAddress: string): void;
}

export class Connection implements ClientConnection {
  state: ConnectionState = 'handshake';
  client: RoomClient | null = null;
  room: Room | null = null;
  private readonly bucket: TokenBucket;
  private readonly strikes: TokenBucket;
  private readonly chat: TokenBucket;
  private protocolErrors = 0;
  private lastNotice = -Infinity;
  private joinTimer: TimerHandle | null;
  /** When anything last arrived: a peer silent past `idleTimeoutMs` is gone (half-open). */
  private lastHeard: number;
  private idleTimer: TimerHandle | null = null;
  /** Every frame of this connection is decoded into this one object (INPUT and ACK allocate nothing). */
  private readonly decoded = new DecodedFrame();

  constructor(
    private readonly transport: Transport,
    private readonly host: ConnectionHost,
    readonly remoteAddress = '',
    /** Allowances shared with the other connections of the address (none: unlimited). */
    private readonly shared: AddressBudget | null = null,
  ) {
    const { limits, clock } = host;
    const now = clock.now();
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.strikes = new TokenBucket(limits.messagesPerSecond / 10, limits.floodTolerance, now);
    this.chat = new TokenBucket(limits.chatPerSecond, limits.chatBurst, now);
    this.lastHeard = now;
    this.watchIdle();
    this.joinTimer = clock.setTimeout(() => {
      this.joinTimer = null;
      if (this.state === 'handshake' || this.state === 'authenticating') {
        this.fail(ErrorCode.JOIN_TIMEOUT, `not joined within ${limits.joinTimeoutMs} ms of connecting`, CloseCode.JOIN_TIMEOUT, 0, 'timeout');
      }
    }, limits.joinTimeoutMs);
    transport.onmessage = (frame) => this.receive(frame);
    transport.ontext = () => this.receiveText();
    transport.oncontrol = () => this.receiveControl();
    transport.onclose = () => this.closed();
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  get lossy(): boolean {
    return this.transport.unreliable === true;
  }

  /**
   * Queues a frame. What waits for a client is bounded in bytes whatever it is (snapshots,
   * chat, events, results): a client over `maxBufferedBytes` is not reading, and is dropped at
   * once instead of growing the server. `queued` is the transport's `bufferedAmount`, for a
   * caller that has just read it (the snapshot loop) and has sent nothing since.
   */
  send(frame: Uint8Array, queued = this.transport.bufferedAmount): void {
    if (this.state === 'closed') return;
    if (queued + frame.length > this.host.limits.maxBufferedBytes) {
      this.tooSlow('not reading what the server sends: connection closed');
      return;
    }
    this.host.stats.bytesOut(frame.length);
    this.transport.send(frame);
  }

  /**
   * Drops a client that does not read: no closing handshake (it would wait behind the
   * backlog), so its queued bytes are freed now and the tick does not pay for them.
   */
  tooSlow(message: string): void {
    if (this.state === 'closed') return;
    this.host.stats.error(ErrorCode.TOO_SLOW);
    this.move('fatal');
    if (this.transport.abort) this.transport.abort();
    else this.transport.close(CloseCode.TOO_SLOW, message.slice(0, 120));
    this.cleanup();
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
    if (!this.admit()) return;
    this.malformed(new ProtocolError(ErrorCode.NOT_BINARY, 'text frames are not part of the protocol: send binary frames'), 0);
  }

  /** A WebSocket ping or pong: nothing to do but count it against the message rate. */
  receiveControl(): void {
    this.admit();
  }

  /** Takes a message from the rate limit; false (and a notice, or a close) when over it. */
  private admit(): boolean {
    if (this.state === 'closed') return false;
    const now = this.host.clock.now();
    this.lastHeard = now;
    if (this.bucket.take(now) && (this.shared === null || this.shared.messages.take(now))) return true;
    if (!this.strikes.take(now)) {
      this.fail(ErrorCode.FLOOD, 'too many messages: connection closed', CloseCode.FLOOD);
      this.host.flooded(this.remoteAddress);
      return false;
    }
    if (now - this.lastNotice >= 1000) {
      this.lastNotice = now;
      this.fail(ErrorCode.RATE_LIMITED, `more than ${this.host.limits.messagesPerSecond} messages per second: messages dropped`);
    }
    return false;
  }

  receive(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.host.stats.bytesIn(frame.length);
    if (!this.admit()) return;
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
    const nameProblem = textProblem(hello.name, 'the player name');
    if (nameProblem) {
      this.fail(ErrorCode.INVALID_TEXT, nameProblem, CloseCode.JOIN_REFUSED);
      return;
    }
    if (hello.create && hello.resumeToken) {
      this.fail(ErrorCode.RESUME_FAILED, 'a resume joins the room by its code (from WELCOME): send create = false', CloseCode.JOIN_REFUSED);
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
    this.host.room({ room: hello.room, create: hello.create, protocolHash: hello.protocolHash }, this.remoteAddress, identity).then(
      (room) => this.authorize(room, hello, identity),
      (err: unknown) => this.refuse(err),
    );
  }

  /**
   * The room is known, so its protocol: check the hash, decode the join options with it, and
   * let the room's onAuth decide (it may take its time: the join timeout still runs).
   */
  private authorize(room: Room | TickwireError, hello: HelloBody, identity: Identity): void {
    if (this.state !== 'authenticating') return;
    if (room instanceof TickwireError) return this.refuse(room);
    const protocol = room.definition.protocol;
    if (hello.protocolHash !== protocol.hash) return this.refuse(schemaMismatch(hello.protocolHash, protocol));
    let options: Record<string, unknown>;
    try {
      options = decodeJoinOptions(protocol, hello.options);
    } catch (err) {
      return this.refuse(err instanceof TickwireError ? new TickwireError(err.code, `join options: ${err.message}`) : err);
    }
    const onAuth = room.definition.onAuth;
    if (!onAuth) return this.admitTo(room, hello, identity, options);
    let verdict: Promise<void>;
    try {
      verdict = Promise.resolve(onAuth(options, identity, room));
    } catch (err) {
      verdict = Promise.reject(err);
    }
    verdict.then(
      () => this.admitTo(room, hello, identity, options),
      (err: unknown) => {
        if (!(err instanceof Rejection)) room.faults.record('onAuth', err);
        // Closed while onAuth ran (the client left, or timed out): nobody to tell.
        if (this.state !== 'authenticating') return;
        if (err instanceof Rejection) {
          return this.refuse(new TickwireError(err.code === ErrorCode.COMMAND_REJECTED ? ErrorCode.JOIN_REFUSED : err.code, err.message));
        }
        this.refuse(new TickwireError(ErrorCode.JOIN_REFUSED, 'the room could not check this join (its game code failed): try again later'));
      },
    );
  }

  private admitTo(room: Room, hello: HelloBody, identity: Identity, options: Record<string, unknown>): void {
    if (this.state !== 'authenticating') return;
    if (room.isDisposed) return this.refuse(new TickwireError(ErrorCode.ROOM_CLOSED, `room '${room.code}' just closed: join again`));
    try {
      const tokens = this.host.resumeTokens;
      this.client = admit(
        room,
        this,
        { name: hello.name, resumeToken: hello.resumeToken, options },
        identity,
        tokens.issue(room.code, identity.userId),
        this.host.clock.now(),
        this.remoteAddress,
        (token) => tokens.verify(token, room.code, identity.userId),
      );
    } catch (err) {
      return this.refuse(err);
    }
    this.room = room;
    this.move('admitted');
    if (this.joinTimer) this.host.clock.clearTimeout(this.joinTimer);
    this.joinTimer = null;
    room.start();
  }

  private dispatch(frame: Uint8Array): void {
    const room = this.room!;
    const client = this.client!;
    const limits = this.host.limits;
    // INPUT and ACK, which every client sends every tick, are read into reused storage: new
    // inputs straight into the client's queue (repeats of queued ones, redundancy over a lossy
    // link, are checked only), and nothing counts until the whole frame has decoded.
    const f = room.codec.decodeClientInto(frame, client.inputs, this.decoded);
    if (f.kind === Kind.INPUT) {
      // In INPUT, 0 means "no new ack"; only a lone ACK of 0 asks for a full snapshot.
      if (f.tick > 0) {
        client.everAcked = true;
        room.acknowledge(client, f.tick);
      }
      client.inputs.commit(f.seq - f.fresh + 1, f.kept);
      const dropped = f.fresh - f.kept;
      if (dropped > 0) this.notice(ErrorCode.TOO_MANY_INPUTS, `input queue full (${limits.maxBufferedInputs}): ${dropped} input(s) dropped`);
      return;
    }
    if (f.kind === Kind.ACK) {
      if (f.tick > 0) client.everAcked = true;
      else this.host.stats.fullSnapshotRequested();
      room.acknowledge(client, f.tick);
      return;
    }
    const msg = f.message!;
    switch (msg.kind) {
      case 'command':
        if (!client.firstTimeCommand(msg.seq)) return;
        if (client.pendingCommands.length >= limits.maxPendingCommands) {
          this.host.stats.error(ErrorCode.RATE_LIMITED);
          client.sendResult(msg.seq, this.host.frames.commandResult(msg.seq, { ok: false, code: ErrorCode.RATE_LIMITED, message: 'too many commands waiting' }));
          return;
        }
        client.pendingCommands.push({ seq: msg.seq, time: msg.time, entity: msg.entity, command: msg.command, payload: msg.payload });
        return;
      case 'ping':
        this.send(this.host.frames.pong(msg.seq, { clientTime: msg.clientTime, serverTime: this.host.clock.now() }));
        return;
      case 'chat':
        this.chatLine(room, client, msg.text);
        return;
      case 'session':
        this.sessionRequest(room, client, msg.seq, msg.request);
        return;
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

  /**
   * A chat line's own rate and length limits and text rules: the text to say ('' says nothing),
   * or why it was dropped.
   */
  private chatText(line: string): string | CommandResultBody {
    const limits = this.host.limits;
    const now = this.host.clock.now();
    const drop = (code: ErrorCode, message: string) => ({ ok: false, code, message });
    if (!this.chat.take(now)) return drop(ErrorCode.RATE_LIMITED, `more than ${limits.chatPerSecond} chat lines per second: line dropped`);
    if (this.shared && !this.shared.chat.take(now)) {
      return drop(ErrorCode.RATE_LIMITED, `more than ${limits.chatPerSecondPerAddress} chat lines per second from this address: line dropped`);
    }
    const text = line.trim();
    if (charCount(text) > limits.maxChatChars) return drop(ErrorCode.STRING_TOO_LONG, `chat lines are at most ${limits.maxChatChars} characters: line dropped`);
    const problem = textProblem(text, 'the chat line');
    return problem ? drop(ErrorCode.INVALID_TEXT, `${problem}: line dropped`) : text;
  }

  /** A chat line: its limits, then the game's onChat. */
  private chatLine(room: Room, client: RoomClient, line: string): void {
    let text: string | false | CommandResultBody = this.chatText(line);
    if (typeof text !== 'string') {
      this.notice(text.code as ErrorCode, text.message);
      return;
    }
    if (!text) return;
    const onChat = room.definition.onChat;
    if (onChat) {
      const said = text;
      text = room.guard('onChat', () => onChat(room, client, said), false);
    }
    if (text) room.broadcastChat(client, text);
  }

  /**
   * A session request, answered at once by its seq as a command is (a repeat gets the same
   * answer); a chat line passes the same limits as CHAT first.
   */
  private sessionRequest(room: Room, client: RoomClient, seq: number, request: SessionRequest): void {
    if (!client.firstTimeCommand(seq)) return;
    const session = room.session;
    let result: CommandResultBody;
    if (!session) result = { ok: false, code: ErrorCode.UNKNOWN_KIND, message: 'this room is not a session' };
    else if (request.action !== 'chat') result = session.request(client, request);
    else {
      const text = this.chatText(request.text);
      result = typeof text !== 'string' ? text : text ? session.request(client, { ...request, text }) : { ok: true, code: 0, message: '' };
    }
    if (!result.ok) this.host.stats.error(result.code);
    client.sendResult(seq, this.host.frames.commandResult(seq, result));
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

  /**
   * Closes a connection that has sent nothing (not even a ping) for `idleTimeoutMs`: a peer
   * whose network vanished without a FIN would otherwise hold its member and its socket for
   * ever. One timer per connection, re-armed for the time left, so it costs nothing per frame.
   */
  private watchIdle(): void {
    const limit = this.host.limits.idleTimeoutMs;
    if (!(limit > 0)) return;
    const wait = Math.max(1, this.lastHeard + limit - this.host.clock.now());
    this.idleTimer = this.host.clock.setTimeout(() => {
      this.idleTimer = null;
      if (this.state === 'closed') return;
      if (this.host.clock.now() - this.lastHeard >= limit) {
        this.host.stats.error(ErrorCode.TIMEOUT);
        if (this.transport.abort) this.transport.abort();
        else this.transport.close(CloseCode.GOING_AWAY, 'silent for too long');
        this.move('fatal');
        this.cleanup();
        return;
      }
      this.watchIdle();
    }, wait);
  }

  private cleanup(): void {
    if (this.joinTimer) this.host.clock.clearTimeout(this.joinTimer);
    this.joinTimer = null;
    if (this.idleTimer) this.host.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const client = this.client;
    if (client && client.connection === this) this.room?.disconnected(client);
    this.client = null;
    this.host.forget(this);
  }
}
