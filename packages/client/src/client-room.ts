/**
 * A joined room, on the client: the replicated entities, events, input and command sending,
 * acknowledgements, ping/pong clock sync and the interpolation timeline.
 *
 * Time comes from an injected Clock (the browser's performance.now by default), so tests step
 * it. Inputs are sent with the last few unacknowledged ones again (a lost or late frame loses
 * no input); snapshot acks ride on inputs, or go alone shortly after a snapshot when no input
 * is being sent.
 *
 * The room outlives its connection: after a drop it reconnects (reconnect.ts decides when) and
 * adopts the new connection, so the game keeps one object, one view and one set of listeners.
 */
import {
  CloseCode,
  ErrorCode,
  MessageCodec,
  ProtocolError,
  TickwireError,
  decodeServer,
  readDigest,
  readEvents,
  type ActionName,
  type BitReader,
  type Clock,
  type CommandPayload,
  type EventOf,
  type EventPayload,
  type FeatureName,
  type GameProtocol,
  type InputEntry,
  type EntityTypeName,
  type InputOf,
  type OwnState,
  type TimerHandle,
  type Transport,
  type WelcomeBody,
} from '@tickwire/protocol';
import type { ClientEntityOf } from './client-entity.js';
import { ClockSync } from './clock-sync.js';
import { PendingCommands } from './commands.js';
import { Emitter } from './emitter.js';
import type { Joined } from './handshake.js';
import { Reconnector, isDrop, type ReconnectOptions, type ReconnectingInfo, type Redial } from './reconnect.js';
import { PlayoutDelay } from './playout-delay.js';
import { Predictor, type PredictionOptions, type RemoteSource } from './prediction.js';
import { ReplicatedView, StaleSnapshot } from './view.js';
import { ClientSession } from './client-session.js';

/** Longest run of missing snapshots counted as loss (a longer gap is an outage, not a lossy link). */
const MAX_GAP = 8;

export interface ClientRoomOptions {
  clock: Clock;
  /**
   * A fixed interpolation delay in ms behind the server clock. Without it the delay adapts: the
   * age snapshots already have when they arrive (one-way latency), plus a buffer of two snapshot
   * intervals (more when the measured loss makes longer runs of lost snapshots likely) and twice
   * the arrival jitter (100 ms in all at 20 Hz on a steady local link), grown after a
   * starvation, bounded by one interval and 500 ms above the age, and changed gradually so
   * nothing on screen jumps.
   */
  interpolationDelayMs?: number;
  /** Inputs re-sent with each INPUT while unacknowledged (default 3; more while snapshots are being lost). */
  inputRedundancy?: number;
  /** Ping period in ms (default 1000). */
  pingIntervalMs?: number;
  /** Command promises reject with TIMEOUT after this long (default 10 000 ms). */
  commandTimeoutMs?: number;
  /** Keep interpolation samples and per-tick state (default true; bots turn it off). */
  interpolation?: boolean;
  /**
   * Decode snapshot bodies into the replicated view (default true). Headless load generators
   * turn it off: they still read the head (ack, own state) and acknowledge every snapshot.
   */
  decodeEntities?: boolean;
  /** Re-send a command that has no result after this long (default max(250 ms, 2 RTT)). */
  commandRetryMs?: number;
  /**
   * Treat the connection as dropped when nothing at all (not even a pong) has arrived for this
   * long (default 10 000 ms; 0 turns it off). A link that dies without a close (a laptop lid,
   * a lost Wi-Fi, a frozen server) would otherwise leave the room waiting for ever.
   */
  silenceTimeoutMs?: number;
}

/** How a room opens its next connection after a drop (set up by connect()). */
export interface Reconnection {
  policy: ReconnectOptions;
  random: () => number;
  redial: Redial<Joined>;
}

/**
 * `connected`: joined and live. `reconnecting`: dropped, coming back by itself (see the
 * `reconnecting` event). `closed`: for good (see the `close` event).
 */
export type ConnectionStatus = 'connected' | 'reconnecting' | 'closed';

export interface ReconnectedInfo {
  /** True: the same membership, client id and entity. False: the old membership was gone; this is a new one. */
  resumed: boolean;
  /** Attempts it took. */
  attempts: number;
}

export interface CloseInfo {
  /** The WebSocket close code (docs/protocol.md lists the server's). */
  code: number;
  reason: string;
  /** The server's refusal, when there was one (REPLACED, AUTH_FAILED, ROOM_CLOSED...). */
  error?: TickwireError | undefined;
}

export interface ChatLine {
  from: number;
  name: string;
  text: string;
}

export type ClientRoomEvents<P extends GameProtocol> = {
  snapshot: [tick: number];
  add: [entity: ClientEntityOf<P>];
  change: [entity: ClientEntityOf<P>];
  remove: [entity: ClientEntityOf<P>];
  /** A server event; `name` narrows `payload` (`if (e.name === 'hit') e.payload.damage`). */
  event: [event: EventOf<P>];
  chat: [line: ChatLine];
  /** A round trip measured by ping/pong, in ms. */
  pong: [rttMs: number];
  /**
   * The view differed from the server's digest of it (`held` vs `expected`, after the snapshot
   * at `tick`): the room has asked for a full snapshot, which repairs it by itself.
   */
  desync: [info: { tick: number; expected: number; held: number }];
  error: [error: TickwireError];
  /** The connection dropped (or the last attempt failed): another attempt comes in `delayMs`. */
  reconnecting: [info: ReconnectingInfo];
  /** Back in the room. With `resumed: false` the view was reset and `entityId` may have changed. */
  reconnected: [info: ReconnectedInfo];
  /** Closed for good: left, refused, or reconnecting gave up. */
  close: [info: CloseInfo];
};

/**
 * A joined room.
 *
 * After a drop (the socket closed without LEAVE and not by a refusal such as REPLACED,
 * ROOM_CLOSED, AUTH_FAILED or a kick; a server shutting down counts as a drop) the room
 * reconnects by itself with its resume token, unless `connect({ reconnect: false })`. Meanwhile
 * `status` is `'reconnecting'` and:
 * - `sendInput` sends nothing, predicts nothing and returns 0: the server is not simulating
 *   this player's inputs, so the predicted entity holds still instead of running ahead;
 * - `sendCommand` rejects at once with DISCONNECTED (send it again after `reconnected`);
 *   commands already sent are re-sent on the resumed connection (the server answers a repeat
 *   from its cache, so none is applied twice) and rejected with DISCONNECTED if the membership was lost;
 * - `chat` lines are dropped;
 * - entities keep their last state, and interpolation holds them.
 *
 * @example
 * const room = await connect({ url, room: 'abc', protocol: arena });
 * room.on('reconnecting', ({ attempt, delayMs }) => show(`reconnecting… attempt ${attempt} in ${delayMs} ms`));
 * room.on('reconnected', ({ resumed }) => show(resumed ? 'reconnected' : 'rejoined as a new player'));
 * room.on('close', ({ reason, error }) => show(`disconnected: ${error?.codeName ?? reason}`));
 */
export class ClientRoom<P extends GameProtocol = GameProtocol> extends Emitter<ClientRoomEvents<P>> {
  readonly code: string;
  readonly tickRate: number;
  readonly snapshotRate: number;
  readonly tickMs: number;
  readonly view: ReplicatedView;
  /**
   * The room's session, for a session's room (lobby, seats, chat, results): filled in from the
   * SESSION_STATE that follows WELCOME; `state` stays undefined in a room that is no session.
   */
  readonly session: ClientSession<P>;
  /** Last input seq the server reports as applied. */
  ackedInput = 0;
  /** The server's exact state of this client's entity from the last snapshot, if the room sends it. */
  ownState: OwnState | undefined;
  /**
   * Counters for diagnostics. `bytes*` are message payloads; `wireBytes*` add WebSocket framing
   * (RFC 6455 headers: 2-10 bytes down, plus a 4-byte mask up).
   */
  readonly stats = {
    snapshots: 0,
    fullSnapshots: 0,
    bytesIn: 0,
    bytesOut: 0,
    wireBytesIn: 0,
    wireBytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    /** Snapshots that carried a view digest, views found to differ from it, and views repaired by a full snapshot since. */
    digests: 0,
    desyncs: 0,
    desyncsRepaired: 0,
  };
  /** A desync was found and the full snapshot that repairs it has not arrived yet. */
  private repairing = false;
  private readonly codec: MessageCodec<P>;
  private readonly clock: Clock;
  private readonly redundancy: number;
  private readonly unacked: InputEntry<Record<string, unknown>>[] = [];
  private inputSeq = 0;
  /** Inputs up to this seq were sent before a reconnect: applied or lost, never to be replayed. */
  private settledInput = 0;
  private commandSeq = 0;
  private pingSeq = 0;
  private readonly pings = new Map<number, number>();
  private readonly commands: PendingCommands;
  private pingTimer: TimerHandle | null = null;
  private ackTimer: TimerHandle | null = null;
  private lastAckSent = -1;
  private lastInputAt = -Infinity;
  private state: ConnectionStatus = 'connected';
  private readonly decodeEntities: boolean;
  private readonly playout: PlayoutDelay;
  private readonly pingIntervalMs: number;
  private readonly silenceTimeoutMs: number;
  private lastReceivedAt: number;
  /** The fatal ERROR the server sent on this connection, if any: it says why the close follows. */
  private fatalError: TickwireError | undefined;
  private readonly reconnector: Reconnector<Joined> | undefined;
  private transport: Transport;
  private member: { clientId: number; entityId: number; resumeToken: Uint8Array; tickEpoch: number; metadata: Record<string, unknown> };
  private sync = new ClockSync();
  // Stored without its type arguments; predict() hands the caller the typed object.
  private predictor: Predictor<P, EntityTypeName<P>, unknown> | undefined;

  constructor(
    readonly protocol: P,
    joined: Joined,
    options: ClientRoomOptions & { reconnect?: Reconnection | null | undefined },
  ) {
    super();
    const welcome = joined.welcome;
    this.clock = options.clock;
    this.codec = new MessageCodec(protocol);
    this.transport = joined.transport;
    this.code = welcome.room;
    this.member = memberOf(welcome);
    this.tickRate = welcome.tickRate;
    this.snapshotRate = welcome.snapshotRate;
    this.tickMs = 1000 / welcome.tickRate;
    this.playout = new PlayoutDelay(this.snapshotRate, options.interpolationDelayMs);
    this.decodeEntities = options.decodeEntities !== false;
    this.redundancy = Math.max(1, Math.min(16, options.inputRedundancy ?? 3));
    const retryMs = options.commandRetryMs;
    this.commands = new PendingCommands(
      this.clock,
      (frame) => this.send(frame),
      () => retryMs ?? Math.max(250, 2 * this.sync.smoothedRtt),
      options.commandTimeoutMs ?? 10_000,
    );
    this.view = new ReplicatedView(protocol, options.interpolation !== false, Math.max(1, Math.round(welcome.tickRate / welcome.snapshotRate)));
    this.sync.seed(welcome.serverTime, this.clock.now());
    this.pingIntervalMs = options.pingIntervalMs ?? 1000;
    this.silenceTimeoutMs = Math.max(0, options.silenceTimeoutMs ?? 10_000);
    this.lastReceivedAt = this.clock.now();
    const r = options.reconnect;
    if (r) {
      this.reconnector = new Reconnector<Joined>(r.policy, r.redial, this.clock, r.random, {
        resumeToken: () => this.member.resumeToken,
        scheduled: (info) => this.emit('reconnecting', info),
        joined: (next, resumed, attempts) => this.adopt(next, resumed, attempts),
        failed: (code, reason, error) => this.shutdown(code, reason, error),
      });
    }
    this.session = new ClientSession(protocol, { room: this, request: (r) => this.submit(`session ${r.action}`, (seq) => this.codec.session(seq, r)) });
    this.startPings();
    joined.attach(
      (frame) => this.receive(frame),
      (code, reason) => this.lost(code, reason),
    );
    this.announceLossyLink();
  }

  /**
   * Over a link that may lose snapshots (the network conditioner with loss, a datagram
   * transport), asks the server at once for deltas against acknowledged snapshots, with an ACK of
   * 0, rather than waiting for the first lost snapshot to show it (docs/protocol.md 8.4).
   */
  private announceLossyLink(): void {
    if (this.transport.unreliable === true) this.send(this.codec.ack(0));
  }

  get clientId(): number {
    return this.member.clientId;
  }

  /** The entity this client controls (0 = none). It changes only when a reconnect makes this client a new member. */
  get entityId(): number {
    return this.member.entityId;
  }

  /** The secret that gets this membership back on a new connection (`connect({ resumeToken })`). */
  get resumeToken(): Uint8Array {
    return this.member.resumeToken;
  }

  /** Server-clock time of tick 0, in ms. */
  get tickEpoch(): number {
    return this.member.tickEpoch;
  }

  /** What the room's `metadata()` returned when this client joined. */
  get metadata(): Record<string, unknown> {
    return this.member.metadata;
  }

  /** Round trip and server clock offset, from ping/pong. */
  get clockSync(): ClockSync {
    return this.sync;
  }

  /** The interpolation delay in use now (ms). */
  get interpolationDelayMs(): number {
    return this.playout.delayMs;
  }

  /** The delay the adaptive controller is moving towards (ms). */
  get targetDelayMs(): number {
    return this.playout.targetMs;
  }

  /** How old snapshots are when they arrive (smoothed, ms): the one-way latency, as the client sees it. */
  get snapshotAgeMs(): number {
    return this.playout.snapshotAgeMs;
  }

  /** Snapshot arrival jitter (mean absolute deviation of that age, ms). */
  get arrivalJitterMs(): number {
    return this.playout.arrivalJitterMs;
  }

  /** The buffer the adaptive delay keeps on top of the snapshot age (ms). */
  get bufferTargetMs(): number {
    return this.playout.bufferTargetMs;
  }

  /** Times the render time ran past the newest snapshot (nothing new to show). */
  get starvations(): number {
    return this.playout.starvations;
  }

  /** Share of snapshots lost on the way, measured over about the last ten seconds (0..1). */
  get snapshotLoss(): number {
    return this.playout.lossRate;
  }

  /** Whether the room is connected, reconnecting by itself, or closed for good. */
  get status(): ConnectionStatus {
    return this.state;
  }

  /** Entities by id. */
  get entities(): ReadonlyMap<number, ClientEntityOf<P>> {
    return this.view.entities as unknown as ReadonlyMap<number, ClientEntityOf<P>>;
  }

  /** The entity this client controls, once it has arrived. */
  get entity(): ClientEntityOf<P> | undefined {
    return this.entities.get(this.entityId);
  }

  get tick(): number {
    return this.view.tick;
  }

  get rtt(): number {
    return this.clockSync.smoothedRtt;
  }

  /** Not closed for good: connected, or reconnecting by itself. */
  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  /** The server clock now, in ms (local clock + measured offset). */
  serverNow(): number {
    return this.clockSync.serverNow(this.clock.now());
  }

  /** The (fractional) tick being rendered now: server time minus the interpolation delay. */
  renderTick(): number {
    return (this.serverNow() - this.interpolationDelayMs - this.tickEpoch) / this.tickMs;
  }

  /**
   * Updates every entity's `render` values for the current time (and the predicted entity's,
   * when predicting). Call once per frame. Returns the render tick.
   */
  interpolate(): number {
    const now = this.clock.now();
    this.playout.frame(now);
    const t = this.renderTick();
    this.playout.observe(t > this.view.tick && this.view.tick > 0);
    this.view.interpolate(t);
    this.predictor?.update(now);
    return t;
  }

  /** Feeds the playout delay how old a snapshot is on arrival: server time now minus the time of its tick. */
  private observeArrival(tick: number, now: number): void {
    // Snapshot ticks missing since the previous one: lost on the way (or skipped for a slow
    // link, which calls for the same buffer). Not across a resync or a reconnect: that gap was
    // no loss, and an outage of seconds would read as a link that loses everything.
    const gap = this.view.tick > 0 && !this.view.needsFull ? Math.round(((tick - this.view.tick) * this.snapshotRate) / this.tickRate) - 1 : 0;
    this.playout.arrived(this.sync.serverNow(now) - (this.tickEpoch + tick * this.tickMs), Math.min(MAX_GAP, gap));
  }

  /**
   * Predicts the entity this client plays with the game's shared step. Inputs sent with
   * sendInput are applied at once; snapshots reconcile (the room must set `sendOwnState`).
   * Render the entity from `predictor.render` (updated by interpolate()).
   *
   * @example
   * const predictor = room.predict({ type: 'ship', step: moveShip, world: () => walls });
   * // each frame: room.interpolate(); draw(predictor.render.position);
   */
  predict<T extends EntityTypeName<P>, W>(options: PredictionOptions<P, T, W>): Predictor<P, T, W> {
    const predictor = new Predictor<P, T, W>(this.protocol.entityType(options.type), options, this.tickMs / 1000, this.tickMs);
    this.predictor = predictor as unknown as Predictor<P, EntityTypeName<P>, unknown>;
    if (this.ownState) predictor.reconcile(this.ackedInput, this.ownState, this.clock.now());
    return predictor;
  }

  private send(frame: Uint8Array): void {
    if (this.state !== 'connected') return;
    this.stats.bytesOut += frame.length;
    this.stats.wireBytesOut += frame.length + wsHeaderBytes(frame.length) + 4;
    this.stats.framesOut++;
    this.transport.send(frame);
  }

  /**
   * Sends one input (applied by the server at its next tick), with the last few unacknowledged
   * inputs again. Returns the input's sequence number, or 0 when nothing was sent (reconnecting
   * or closed: the input is dropped, not queued, and not predicted).
   */
  sendInput(input: Partial<InputOf<P>>): number {
    this.protocol.input.bits(input as Record<string, unknown>); // validates before anything is queued
    if (this.state !== 'connected') return 0;
    const entry = { seq: ++this.inputSeq, time: Math.floor(this.serverNow()) >>> 0, input: input as Record<string, unknown> };
    this.predictor?.apply(entry.seq, entry.input as InputOf<P>, this.clock.now());
    this.unacked.push(entry);
    if (this.unacked.length > 64) this.unacked.shift();
    const batch = this.unacked.slice(-this.inputCopies());
    this.lastAckSent = this.view.tick;
    this.lastInputAt = this.clock.now();
    // While a full snapshot is awaited, acknowledge nothing: an old baseline acked now would
    // bring deltas the view must refuse (0 in INPUT means "no new ack").
    this.send(this.codec.input(this.view.needsFull ? 0 : this.view.tick, batch));
    return entry.seq;
  }

  /**
   * How many of the latest unacknowledged inputs each INPUT carries: the configured redundancy,
   * or more on a lossy link, enough that an input is lost (every frame carrying it lost) less
   * than once in 100 000 at the loss measured on snapshots (5 at 10%). Over a reliable transport
   * nothing is lost: missing snapshots there were skipped by a server that is behind or by a
   * slow link, and more copies would only load both further.
   */
  private inputCopies(): number {
    if (this.transport.unreliable !== true) return this.redundancy;
    const p = this.playout.lossRate;
    const wanted = p > 0 ? Math.ceil(Math.log(1e-5) / Math.log(p)) : 0;
    return Math.max(this.redundancy, Math.min(16, wanted));
  }

  /**
   * Sends a command; the promise resolves when the server accepts it and rejects with a
   * TickwireError (code and message from the server) when it refuses it. While reconnecting it
   * rejects at once with DISCONNECTED, unsent.
   *
   * @example
   * await room.sendCommand('build', 'wall', { x: 3, y: 4 });
   */
  sendCommand<F extends FeatureName<P>, A extends ActionName<P, F>>(
    feature: F,
    action: A,
    payload: CommandPayload<P, F, A>,
    options: { entity?: number } = {},
  ): Promise<void> {
    // A command carries the server time the player was looking at (the render time): what lag
    // compensation rewinds to, and what orders commands within a tick.
    const viewTime = this.serverNow() - this.interpolationDelayMs;
    return this.submit(`${feature}.${action}`, (seq) =>
      this.codec.command(seq, feature, action, options.entity ?? 0, Math.max(0, Math.floor(viewTime)), payload as Record<string, unknown>),
    );
  }

  /**
   * Numbers a command or a session request (one counter: the server answers both with
   * COMMAND_RESULT by that number), sends it, and settles with the answer.
   */
  private submit(label: string, encode: (seq: number) => Uint8Array): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new TickwireError(ErrorCode.DISCONNECTED, 'the room is closed'));
    if (this.state === 'reconnecting') {
      return Promise.reject(new TickwireError(ErrorCode.DISCONNECTED, "reconnecting to the server: the command was not sent; send it again after the 'reconnected' event"));
    }
    const seq = ++this.commandSeq;
    let frame: Uint8Array;
    try {
      frame = encode(seq);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.commands.add(seq, frame, label);
  }

  /** Sends a chat line to the room (dropped while reconnecting). */
  chat(text: string): void {
    this.send(this.codec.chat(text));
  }

  /**
   * Leaves the room for good (the membership is released at once, no resume). While reconnecting there
   * is no connection to say so on: reconnecting stops, and the server releases the membership when its
   * reconnect window ends.
   */
  leave(): void {
    this.send(this.codec.leave());
    this.shutdown(CloseCode.NORMAL, 'left');
    this.transport.close(CloseCode.NORMAL, 'left');
  }

  /**
   * Closes the connection without leaving, and stops reconnecting: the membership is kept for the
   * server's reconnect window (`connect({ resumeToken: room.resumeToken })` gets it back).
   */
  disconnect(): void {
    this.shutdown(CloseCode.NORMAL, 'disconnected');
    this.transport.close(CloseCode.NORMAL, 'disconnected');
  }

  /** Pings now and then on a timer; also where a silent connection is noticed. */
  private startPings(): void {
    let burst = 3;
    const ping = () => {
      this.pingTimer = null;
      const silentFor = this.clock.now() - this.lastReceivedAt;
      if (this.silenceTimeoutMs > 0 && silentFor > this.silenceTimeoutMs) {
        // Nothing for too long: the link is gone even if no close says so. Let it go and treat it as a drop.
        const dead = this.transport;
        dead.onmessage = null;
        dead.onclose = null;
        dead.close(CloseCode.NORMAL, 'no data from the server');
        this.lost(1006, `no data from the server for ${Math.round(silentFor)} ms`);
        return;
      }
      this.ping();
      this.pingTimer = this.clock.setTimeout(ping, burst-- > 0 ? Math.min(200, this.pingIntervalMs) : this.pingIntervalMs);
    };
    ping();
  }

  private ping(): void {
    const seq = ++this.pingSeq;
    const now = this.clock.now();
    this.pings.set(seq, now);
    if (this.pings.size > 16) this.pings.delete(this.pings.keys().next().value!);
    this.send(this.codec.ping(seq, now));
  }

  private receive(frame: Uint8Array): void {
    this.stats.bytesIn += frame.length;
    this.stats.wireBytesIn += frame.length + wsHeaderBytes(frame.length);
    this.stats.framesIn++;
    this.lastReceivedAt = this.clock.now();
    try {
      const msg = decodeServer(frame, this.protocol);
      switch (msg.kind) {
        case 'snapshot':
          return this.snapshot(msg.tick, msg.ackInput, msg.own, msg.reader);
        case 'pong': {
          const sentAt = this.pings.get(msg.seq);
          if (sentAt === undefined) return;
          this.pings.delete(msg.seq);
          const guessed = !this.sync.isSynced;
          this.sync.pong(sentAt, msg.serverTime, this.clock.now());
          // Snapshot ages measured on the welcome's guess are off by the latency: measure afresh.
          if (guessed) this.playout.restart();
          this.emit('pong', this.sync.rtt);
          return;
        }
        case 'commandResult':
          return this.commands.settle(msg.seq, msg.ok, msg.code, msg.message);
        case 'event':
          return this.emit('event', eventOf<P>(msg.name, msg.payload));
        case 'sessionState':
          return this.session.receiveState(msg.state);
        case 'sessionEvent':
          return this.session.receiveEvent(msg.event);
        case 'chatMessage':
          return this.emit('chat', { from: msg.from, name: msg.name, text: msg.text });
        case 'error': {
          const error = new TickwireError(msg.code as ErrorCode, msg.message);
          if (msg.fatal) this.fatalError = error;
          return this.emit('error', error);
        }
        case 'welcome':
          return;
      }
    } catch (err) {
      const e = err instanceof TickwireError ? err : new ProtocolError(ErrorCode.INTERNAL, String(err));
      this.emit('error', e);
      if (e.code === ErrorCode.UNSUPPORTED_VERSION) {
        this.shutdown(CloseCode.UNSUPPORTED_VERSION, e.message);
        this.transport.close(CloseCode.UNSUPPORTED_VERSION, 'unsupported protocol version');
        return;
      }
      // Our view may now be wrong: drop it and ask for a full snapshot.
      for (const entity of this.view.entities.values()) this.emit('remove', entity as unknown as ClientEntityOf<P>);
      this.view.resync();
      this.send(this.codec.ack(0));
    }
  }

  private snapshot(tick: number, ackInput: number, own: OwnState[], r: BitReader): void {
    if (tick <= this.view.tick) return;
    const now = this.clock.now();
    this.observeArrival(tick, now);
    if (!this.decodeEntities) {
      // Headless: the head is all we need; acknowledge the tick without decoding the body.
      this.view.skipTo(tick);
      this.stats.snapshots++;
      this.acknowledgeInputs(ackInput, own, now);
      this.scheduleAck();
      this.emit('snapshot', tick);
      return;
    }
    let changes;
    try {
      changes = this.view.applySnapshot(r, tick);
    } catch (err) {
      if (err instanceof StaleSnapshot) {
        // Still waiting for a full snapshot: ask again, in case the ACK of 0 (or the full
        // snapshot it brought) was lost; otherwise the server goes on sending deltas for good.
        this.send(this.codec.ack(0));
        return;
      }
      throw err;
    }
    const events = readEvents(r, this.protocol);
    const digest = readDigest(r);
    r.expectEnd();
    this.stats.snapshots++;
    if (this.view.full) {
      this.stats.fullSnapshots++;
      if (this.repairing) {
        this.repairing = false;
        this.stats.desyncsRepaired++;
      }
    }
    // The world first, then reconciliation: a prediction world kept from these events (the walls
    // a ship collides with) must hold this snapshot's changes when the unacknowledged inputs are
    // replayed, or the replay runs through a wall the server's state already stopped at and a
    // second correction follows with the next snapshot.
    const typed = (e: unknown) => e as ClientEntityOf<P>;
    for (const e of changes.removed) this.emit('remove', typed(e));
    for (const e of changes.added) this.emit('add', typed(e));
    for (const e of changes.changed) this.emit('change', typed(e));
    this.acknowledgeInputs(ackInput, own, now);
    this.scheduleAck();
    for (const ev of events) this.emit('event', eventOf<P>(ev.name, ev.payload));
    if (digest !== undefined) this.verify(tick, digest);
    this.emit('snapshot', tick);
  }

  /**
   * Checks the view against the server's digest of what it should hold (docs/protocol.md 8.6).
   * A view that differs keeps being drawn while the room takes no more deltas and asks for a
   * full snapshot, which replaces it.
   */
  private verify(tick: number, expected: number): void {
    this.stats.digests++;
    const held = this.view.digest();
    if (held === expected) return;
    this.stats.desyncs++;
    this.emit('desync', { tick, expected, held });
    this.repairing = true;
    this.view.needsFull = true;
    this.send(this.codec.ack(0));
  }

  private acknowledgeInputs(ackInput: number, own: OwnState[], now: number): void {
    if (ackInput > this.ackedInput) {
      this.ackedInput = ackInput;
      while (this.unacked.length > 0 && this.unacked[0]!.seq <= ackInput) this.unacked.shift();
    }
    // The server sends the state of the entity this client plays now, which the game may have
    // changed since WELCOME named one (a seat taken in a session's lobby): follow it.
    const mine = own.find((o) => o.id === this.entityId) ?? (own.length === 1 ? own[0] : undefined);
    if (mine) {
      this.member.entityId = mine.id;
      this.ownState = mine;
      // After a reconnect the server numbers from scratch: inputs from before it are settled.
      this.predictor?.reconcile(Math.max(ackInput, this.settledInput), mine, now, this.rollbackSources());
    }
  }

  /** Remote entities of the predictor's rollback types, as of the newest snapshot. */
  private *rollbackSources(): IterableIterator<RemoteSource> {
    const types = this.predictor?.rollbackTypes;
    if (!types) return;
    for (const e of this.view.entities.values()) {
      if (e.id !== this.entityId && types.includes(e.type.name)) yield { id: e.id, type: e.type, values: e.state };
    }
  }

  /**
   * Acks ride on inputs. A client that is not sending inputs acks alone half a tick after a
   * snapshot; one that sent an input within the last tick and a half leaves it to the next
   * input (a lone ACK would be one more frame for the server to read, ~8 a second for nothing).
   */
  private scheduleAck(): void {
    if (this.ackTimer) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = null;
      if (this.lastAckSent < this.view.tick && this.clock.now() - this.lastInputAt >= this.tickMs * 1.5) {
        this.lastAckSent = this.view.tick;
        this.send(this.codec.ack(this.view.tick));
      }
    }, this.tickMs / 2);
  }

  private stopTimers(): void {
    if (this.pingTimer) this.clock.clearTimeout(this.pingTimer);
    if (this.ackTimer) this.clock.clearTimeout(this.ackTimer);
    this.pingTimer = this.ackTimer = null;
    this.commands.pause();
  }

  private shutdown(code: number, reason: string, error?: TickwireError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    this.reconnector?.cancel();
    this.commands.rejectAll(new TickwireError(ErrorCode.DISCONNECTED, `connection closed before the result arrived (${code} ${reason})`));
    this.emit('close', { code, reason, error });
  }

  /** The connection closed without us closing it: a drop to come back from, or the end. */
  private lost(code: number, reason: string): void {
    if (this.state !== 'connected') return;
    const refusal = this.fatalError;
    if (!this.reconnector || !isDrop(code, refusal?.code)) {
      this.shutdown(code, reason, refusal);
      return;
    }
    this.state = 'reconnecting';
    this.stopTimers();
    this.transport.onmessage = null;
    this.transport.onclose = null;
    this.settledInput = this.inputSeq;
    this.unacked.length = 0;
    this.pings.clear();
    this.reconnector.start(code, reason);
  }

  /** Takes over a new connection after a drop: the same membership (`resumed`) or a new one. */
  private adopt(joined: Joined, resumed: boolean, attempts: number): void {
    if (this.state !== 'reconnecting') {
      joined.transport.close(CloseCode.NORMAL, 'disconnected');
      return;
    }
    const w = joined.welcome;
    const now = this.clock.now();
    // Another server process (a restart, a failover) has another clock: measure it afresh.
    const newClock = Math.abs(w.serverTime - this.sync.serverNow(now)) > 1000;
    if (newClock) this.sync = new ClockSync();
    this.sync.seed(w.serverTime, now);
    // The server says whether this is the same membership; a new one (the seat was released, or
    // another process honoured the token) starts over even when its client id happens to match.
    const newMember = !resumed || !w.resumed || w.clientId !== this.member.clientId;
    if (newMember || newClock || w.tick < this.view.tick) {
      // What we show belongs to another member or another timeline: forget it, the full snapshot rebuilds it.
      for (const entity of this.view.entities.values()) this.emit('remove', entity as unknown as ClientEntityOf<P>);
      this.view.resync();
      this.ownState = undefined;
      this.ackedInput = 0;
      this.playout.restart();
    } else {
      // The server sends a full snapshot after a resume; a delta against a baseline from before would be wrong.
      this.view.needsFull = true;
    }
    this.member = memberOf(w);
    this.transport = joined.transport;
    this.fatalError = undefined;
    this.lastReceivedAt = now;
    this.lastAckSent = -1;
    this.state = 'connected';
    if (newMember) {
      this.commands.rejectAll(new TickwireError(ErrorCode.DISCONNECTED, 'the membership was lost while reconnecting: the command may or may not have been applied'));
    } else {
      this.commands.resume();
    }
    this.startPings();
    this.emit('reconnected', { resumed: !newMember, attempts });
    if (this.state !== 'connected') return;
    joined.attach(
      (frame) => this.receive(frame),
      (code, reason) => this.lost(code, reason),
    );
    this.announceLossyLink();
  }
}

/** A decoded event: the codec checked its name and payload against the protocol's declaration. */
function eventOf<P extends GameProtocol>(name: string, payload: Record<string, unknown>): EventOf<P> {
  return { name, payload } as EventOf<P>;
}

function memberOf(welcome: WelcomeBody): { clientId: number; entityId: number; resumeToken: Uint8Array; tickEpoch: number; metadata: Record<string, unknown> } {
  let metadata: Record<string, unknown> = {};
  try {
    metadata = JSON.parse(welcome.metadata) as Record<string, unknown>;
  } catch {
    // A server whose metadata() returned something JSON cannot hold: there is none to show.
  }
  return { clientId: welcome.clientId, entityId: welcome.entity, resumeToken: welcome.resumeToken, tickEpoch: welcome.tickEpoch, metadata };
}

export type { EventPayload };

/** WebSocket frame header bytes for a payload of `n` bytes, without the client's mask. */
export function wsHeaderBytes(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}
