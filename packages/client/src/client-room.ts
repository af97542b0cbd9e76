/**
 * A joined room, on the client: the replicated entities, events, input and command sending,
 * acknowledgements, ping/pong clock sync and the interpolation timeline.
 *
 * Time comes from an injected Clock (the browser's performance.now by default), so tests step
 * it. Inputs are sent with the last few unacknowledged ones again (a lost or late frame loses
 * no input); snapshot acks ride on inputs, or go alone shortly after a snapshot when no input
 * is being sent.
 */
import {
  CloseCode,
  ErrorCode,
  MessageCodec,
  ProtocolError,
  TickwireError,
  decodeServer,
  readEvents,
  type ActionName,
  type BitReader,
  type Clock,
  type CommandPayload,
  type EventName,
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
import { Emitter } from './emitter.js';
import { Predictor, type PredictionOptions, type RemoteSource } from './prediction.js';
import { ReplicatedView, StaleSnapshot } from './view.js';

export interface ClientRoomOptions {
  clock: Clock;
  /**
   * A fixed interpolation delay in ms behind the server clock. Without it the delay adapts: the
   * age snapshots already have when they arrive (one-way latency), plus a buffer of about two
   * snapshot intervals and twice the arrival jitter (100 ms in all at 20 Hz on a steady local
   * link), grown after a starvation, bounded by one interval and 500 ms above the age, and
   * changed gradually so nothing on screen jumps.
   */
  interpolationDelayMs?: number;
  /** Inputs re-sent with each INPUT while unacknowledged (default 3). */
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
  event: [event: { name: EventName<P>; payload: Record<string, unknown> }];
  chat: [line: ChatLine];
  /** A round trip measured by ping/pong, in ms. */
  pong: [rttMs: number];
  error: [error: TickwireError];
  close: [info: { code: number; reason: string }];
};

interface PendingCommand {
  resolve: () => void;
  reject: (err: TickwireError) => void;
  timer: TimerHandle;
  frame: Uint8Array;
  sentAt: number;
}

export class ClientRoom<P extends GameProtocol = GameProtocol> extends Emitter<ClientRoomEvents<P>> {
  readonly code: string;
  readonly clientId: number;
  /** The entity this client controls (0 = none). */
  readonly entityId: number;
  readonly tickRate: number;
  readonly snapshotRate: number;
  readonly tickMs: number;
  readonly tickEpoch: number;
  readonly resumeToken: Uint8Array;
  readonly metadata: Record<string, unknown>;
  readonly view: ReplicatedView;
  readonly clockSync = new ClockSync();
  /** Last input seq the server reports as applied. */
  ackedInput = 0;
  /** The interpolation delay in use now (ms). */
  interpolationDelayMs: number;
  /** The delay the adaptive controller is moving towards (ms). */
  targetDelayMs: number;
  /** How old snapshots are when they arrive (smoothed, ms): the one-way latency, as the client sees it. */
  snapshotAgeMs = 0;
  /** Snapshot arrival jitter (mean absolute deviation of that age, ms). */
  arrivalJitterMs = 0;
  /** The buffer the adaptive delay keeps on top of the snapshot age (ms). */
  bufferTargetMs: number;
  /** Times the render time ran past the newest snapshot (nothing new to show). */
  starvations = 0;
  /** The server's exact state of this client's entity from the last snapshot, if the room sends it. */
  ownState: OwnState | undefined;
  /**
   * Counters for diagnostics. `bytes*` are message payloads; `wireBytes*` add WebSocket framing
   * (RFC 6455 headers: 2-10 bytes down, plus a 4-byte mask up).
   */
  readonly stats = { snapshots: 0, fullSnapshots: 0, bytesIn: 0, bytesOut: 0, wireBytesIn: 0, wireBytesOut: 0, framesIn: 0, framesOut: 0 };
  private readonly codec: MessageCodec<P>;
  private readonly clock: Clock;
  private readonly redundancy: number;
  private readonly commandTimeoutMs: number;
  private readonly unacked: InputEntry<Record<string, unknown>>[] = [];
  private inputSeq = 0;
  private commandSeq = 0;
  private pingSeq = 0;
  private readonly pings = new Map<number, number>();
  private readonly commands = new Map<number, PendingCommand>();
  private pingTimer: TimerHandle | null = null;
  private ackTimer: TimerHandle | null = null;
  private lastAckSent = -1;
  private lastInputAt = -Infinity;
  private open = true;
  private readonly adaptive: boolean;
  private readonly decodeEntities: boolean;
  private arrivals = 0;
  private lastFrameAt = 0;
  private starving = false;
  private retryTimer: TimerHandle | null = null;
  private readonly commandRetryMs: number | undefined;
  // Stored without its type arguments; predict() hands the caller the typed object.
  private predictor: Predictor<P, EntityTypeName<P>, unknown> | undefined;

  constructor(
    readonly protocol: P,
    private readonly transport: Transport,
    welcome: WelcomeBody,
    options: ClientRoomOptions,
  ) {
    super();
    this.clock = options.clock;
    this.codec = new MessageCodec(protocol);
    this.code = welcome.room;
    this.clientId = welcome.clientId;
    this.entityId = welcome.entity;
    this.tickRate = welcome.tickRate;
    this.snapshotRate = welcome.snapshotRate;
    this.tickMs = 1000 / welcome.tickRate;
    this.tickEpoch = welcome.tickEpoch;
    this.resumeToken = welcome.resumeToken;
    try {
      this.metadata = JSON.parse(welcome.metadata) as Record<string, unknown>;
    } catch {
      this.metadata = {};
    }
    this.adaptive = options.interpolationDelayMs === undefined;
    this.interpolationDelayMs = options.interpolationDelayMs ?? 2000 / this.snapshotRate;
    this.targetDelayMs = this.interpolationDelayMs;
    this.bufferTargetMs = 2000 / this.snapshotRate;
    this.decodeEntities = options.decodeEntities !== false;
    this.commandRetryMs = options.commandRetryMs;
    this.redundancy = Math.max(1, Math.min(16, options.inputRedundancy ?? 3));
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.view = new ReplicatedView(protocol, options.interpolation !== false, Math.max(1, Math.round(welcome.tickRate / welcome.snapshotRate)));
    this.clockSync.seed(welcome.serverTime, this.clock.now());
    transport.onmessage = (frame) => this.receive(frame);
    transport.onclose = (code, reason) => this.closed(code, reason);
    const interval = options.pingIntervalMs ?? 1000;
    let burst = 3;
    const ping = () => {
      this.ping();
      this.pingTimer = this.clock.setTimeout(ping, burst-- > 0 ? Math.min(200, interval) : interval);
    };
    ping();
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

  get isOpen(): boolean {
    return this.open;
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
    if (this.adaptive) {
      // Move towards the target by at most 5% of the time elapsed: the timeline stretches, it never jumps.
      const elapsed = this.lastFrameAt > 0 ? Math.min(100, now - this.lastFrameAt) : 0;
      const step = elapsed * 0.05;
      const diff = this.targetDelayMs - this.interpolationDelayMs;
      this.interpolationDelayMs += Math.max(-step, Math.min(step, diff));
    }
    this.lastFrameAt = now;
    const t = this.renderTick();
    const starving = t > this.view.tick && this.view.tick > 0;
    if (starving && !this.starving) {
      this.starvations++;
      if (this.adaptive) this.bufferTargetMs = Math.min(500, this.bufferTargetMs + 1000 / this.snapshotRate / 2);
    }
    this.starving = starving;
    this.view.interpolate(t);
    this.predictor?.update(now);
    return t;
  }

  /**
   * Tracks how old snapshots are on arrival (server time now minus the time of their tick) and
   * how much that varies, and sets the adaptive delay target: that age plus a buffer.
   */
  private observeArrival(tick: number, now: number): void {
    const age = this.clockSync.serverNow(now) - (this.tickEpoch + tick * this.tickMs);
    if (this.arrivals++ === 0) this.snapshotAgeMs = age;
    this.arrivalJitterMs += (Math.abs(age - this.snapshotAgeMs) - this.arrivalJitterMs) / 16;
    this.snapshotAgeMs += (age - this.snapshotAgeMs) / 16;
    if (!this.adaptive) return;
    const interval = 1000 / this.snapshotRate;
    const wanted = Math.min(500, Math.max(interval, 2 * interval + 2 * this.arrivalJitterMs));
    // A starvation grew the buffer; let it come back down slowly as the link calms.
    this.bufferTargetMs = wanted >= this.bufferTargetMs ? wanted : this.bufferTargetMs - (this.bufferTargetMs - wanted) / 256;
    this.targetDelayMs = Math.max(0, this.snapshotAgeMs) + this.bufferTargetMs;
    // Until the first few snapshots have been shown there is nothing to keep smooth: start at the target.
    if (this.arrivals <= 3) this.interpolationDelayMs = this.targetDelayMs;
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
    if (!this.open) return;
    this.stats.bytesOut += frame.length;
    this.stats.wireBytesOut += frame.length + wsHeaderBytes(frame.length) + 4;
    this.stats.framesOut++;
    this.transport.send(frame);
  }

  /**
   * Sends one input (applied by the server at its next tick), with the last few unacknowledged
   * inputs again. Returns the input's sequence number.
   */
  sendInput(input: Partial<InputOf<P>>): number {
    const entry = { seq: ++this.inputSeq, time: Math.floor(this.serverNow()) >>> 0, input: input as Record<string, unknown> };
    this.protocol.input.bits(entry.input); // validates before anything is queued
    this.predictor?.apply(entry.seq, entry.input as InputOf<P>, this.clock.now());
    this.unacked.push(entry);
    if (this.unacked.length > 64) this.unacked.shift();
    const batch = this.unacked.slice(-this.redundancy);
    this.lastAckSent = this.view.tick;
    this.lastInputAt = this.clock.now();
    this.send(this.codec.input(this.view.tick, batch));
    return entry.seq;
  }

  /**
   * Sends a command; the promise resolves when the server accepts it and rejects with a
   * TickwireError (code and message from the server) when it refuses it.
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
    if (!this.open) return Promise.reject(new TickwireError(ErrorCode.DISCONNECTED, 'the room is closed'));
    const seq = ++this.commandSeq;
    let frame: Uint8Array;
    // A command carries the server time the player was looking at (the render time): what lag
    // compensation rewinds to, and what orders commands within a tick.
    const viewTime = this.serverNow() - this.interpolationDelayMs;
    try {
      frame = this.codec.command(seq, feature, action, options.entity ?? 0, Math.max(0, Math.floor(viewTime)), payload as Record<string, unknown>);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.commands.delete(seq);
        reject(new TickwireError(ErrorCode.TIMEOUT, `no result for ${feature}.${action} within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.commands.set(seq, { resolve, reject, timer, frame, sentAt: this.clock.now() });
      this.send(frame);
      this.scheduleRetry();
    });
  }

  /**
   * Re-sends commands still waiting for a result. Over a WebSocket nothing is lost, but over a
   * lossy link (the conditioner, or a future datagram transport) a command or its result can
   * be; the server answers a repeated seq with the result it already gave.
   */
  private scheduleRetry(): void {
    if (this.retryTimer || this.commands.size === 0) return;
    const every = this.commandRetryMs ?? Math.max(250, 2 * this.clockSync.smoothedRtt);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      const now = this.clock.now();
      for (const c of this.commands.values()) {
        if (now - c.sentAt < every) continue;
        c.sentAt = now;
        this.send(c.frame);
      }
      this.scheduleRetry();
    }, every);
  }

  /** Sends a chat line to the room. */
  chat(text: string): void {
    this.send(this.codec.chat(text));
  }

  /** Leaves the room for good (the seat is released at once, no resume). */
  leave(): void {
    this.send(this.codec.leave());
    this.shutdown(CloseCode.NORMAL, 'left');
    this.transport.close(CloseCode.NORMAL, 'left');
  }

  /** Closes the connection without leaving: the seat is kept for the server's reconnect window. */
  disconnect(): void {
    this.shutdown(CloseCode.NORMAL, 'disconnected');
    this.transport.close(CloseCode.NORMAL, 'disconnected');
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
    try {
      const msg = decodeServer(frame, this.protocol);
      switch (msg.kind) {
        case 'snapshot':
          return this.snapshot(msg.tick, msg.ackInput, msg.own, msg.reader);
        case 'pong': {
          const sentAt = this.pings.get(msg.seq);
          if (sentAt === undefined) return;
          this.pings.delete(msg.seq);
          this.clockSync.pong(sentAt, msg.serverTime, this.clock.now());
          this.emit('pong', this.clockSync.rtt);
          return;
        }
        case 'commandResult': {
          const pending = this.commands.get(msg.seq);
          if (!pending) return;
          this.commands.delete(msg.seq);
          this.clock.clearTimeout(pending.timer);
          if (msg.ok) pending.resolve();
          else pending.reject(new TickwireError(msg.code as ErrorCode, msg.message));
          return;
        }
        case 'event':
          return this.emit('event', { name: msg.name as EventName<P>, payload: msg.payload });
        case 'chatMessage':
          return this.emit('chat', { from: msg.from, name: msg.name, text: msg.text });
        case 'error':
          return this.emit('error', new TickwireError(msg.code as ErrorCode, msg.message));
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
      if (err instanceof StaleSnapshot) return;
      throw err;
    }
    const events = readEvents(r, this.protocol);
    r.expectEnd();
    this.stats.snapshots++;
    if (this.view.full) this.stats.fullSnapshots++;
    this.acknowledgeInputs(ackInput, own, now);
    this.scheduleAck();
    const typed = (e: unknown) => e as ClientEntityOf<P>;
    for (const e of changes.removed) this.emit('remove', typed(e));
    for (const e of changes.added) this.emit('add', typed(e));
    for (const e of changes.changed) this.emit('change', typed(e));
    for (const ev of events) this.emit('event', { name: ev.name as EventName<P>, payload: ev.payload });
    this.emit('snapshot', tick);
  }

  private acknowledgeInputs(ackInput: number, own: OwnState[], now: number): void {
    if (ackInput > this.ackedInput) {
      this.ackedInput = ackInput;
      while (this.unacked.length > 0 && this.unacked[0]!.seq <= ackInput) this.unacked.shift();
    }
    const mine = own.find((o) => o.id === this.entityId);
    if (mine) {
      this.ownState = mine;
      this.predictor?.reconcile(ackInput, mine, now, this.rollbackSources());
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

  private shutdown(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    if (this.pingTimer) this.clock.clearTimeout(this.pingTimer);
    if (this.ackTimer) this.clock.clearTimeout(this.ackTimer);
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.pingTimer = this.ackTimer = this.retryTimer = null;
    for (const p of this.commands.values()) {
      this.clock.clearTimeout(p.timer);
      p.reject(new TickwireError(ErrorCode.DISCONNECTED, `connection closed before the result arrived (${code} ${reason})`));
    }
    this.commands.clear();
    this.emit('close', { code, reason });
  }

  private closed(code: number, reason: string): void {
    this.shutdown(code, reason);
  }
}

export type { EventPayload };

/** WebSocket frame header bytes for a payload of `n` bytes, without the client's mask. */
export function wsHeaderBytes(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}
