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
  type InputOf,
  type TimerHandle,
  type Transport,
  type WelcomeBody,
} from '@tickwire/protocol';
import type { ClientEntityOf } from './client-entity.js';
import { ClockSync } from './clock-sync.js';
import { Emitter } from './emitter.js';
import { ReplicatedView, StaleSnapshot } from './view.js';

export interface ClientRoomOptions {
  clock: Clock;
  /** Interpolation delay in ms (default 100). */
  interpolationDelayMs?: number;
  /** Inputs re-sent with each INPUT while unacknowledged (default 3). */
  inputRedundancy?: number;
  /** Ping period in ms (default 1000). */
  pingIntervalMs?: number;
  /** Command promises reject with TIMEOUT after this long (default 10 000 ms). */
  commandTimeoutMs?: number;
  /** Keep interpolation samples and per-tick state (default true; bots turn it off). */
  interpolation?: boolean;
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
  interpolationDelayMs: number;
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
  private open = true;

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
    this.interpolationDelayMs = options.interpolationDelayMs ?? 100;
    this.redundancy = Math.max(1, Math.min(16, options.inputRedundancy ?? 3));
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.view = new ReplicatedView(protocol, options.interpolation !== false);
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

  /** Updates every entity's `render` values for the current time. Call once per frame. */
  interpolate(): number {
    const t = this.renderTick();
    this.view.interpolate(t);
    return t;
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
    this.unacked.push(entry);
    if (this.unacked.length > 64) this.unacked.shift();
    const batch = this.unacked.slice(-this.redundancy);
    this.lastAckSent = this.view.tick;
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
    try {
      frame = this.codec.command(seq, feature, action, options.entity ?? 0, Math.floor(this.serverNow()), payload as Record<string, unknown>);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.commands.delete(seq);
        reject(new TickwireError(ErrorCode.TIMEOUT, `no result for ${feature}.${action} within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.commands.set(seq, { resolve, reject, timer });
      this.send(frame);
    });
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
          return this.snapshot(msg.tick, msg.ackInput, msg.reader);
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

  private snapshot(tick: number, ackInput: number, r: BitReader): void {
    if (tick <= this.view.tick) return;
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
    if (ackInput > this.ackedInput) {
      this.ackedInput = ackInput;
      while (this.unacked.length > 0 && this.unacked[0]!.seq <= ackInput) this.unacked.shift();
    }
    this.scheduleAck();
    const typed = (e: unknown) => e as ClientEntityOf<P>;
    for (const e of changes.removed) this.emit('remove', typed(e));
    for (const e of changes.added) this.emit('add', typed(e));
    for (const e of changes.changed) this.emit('change', typed(e));
    for (const ev of events) this.emit('event', { name: ev.name as EventName<P>, payload: ev.payload });
    this.emit('snapshot', tick);
  }

  /** Acks ride on the next input; if none goes out within half a tick, a lone ACK does. */
  private scheduleAck(): void {
    if (this.ackTimer) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = null;
      if (this.lastAckSent < this.view.tick) {
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
    this.pingTimer = this.ackTimer = null;
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
