/**
 * One authoritative room: a fixed-step loop over an entity store, the members (its clients),
 * and the snapshot stream to each of them.
 *
 * The loop is an accumulator on an injected clock. A room that falls behind runs at most
 * `maxCatchUpTicks` steps at once and drops the rest, but its tick counter still advances past
 * them, so tick T always stands for time `epoch + T * tickMs` and clients can map ticks to time.
 * Steps run together to catch up send one snapshot, after the last of them that has one due:
 * the earlier ones would reach clients already out of date, and sending them is what a room that
 * is behind can least afford (a slow room degrades to fewer snapshots, not to a loop that never
 * gets back to its sockets).
 * Nothing here awaits: game handlers that return promises (database work) settle on their own
 * and only delay the reply to their own command.
 */
import {
  BitWriter,
  CloseCode,
  ErrorCode,
  MessageCodec,
  TickwireError,
  addDigest,
  randomBytes,
  seededRandom,
  writeDigest,
  writeEvents,
  writeSnapshotHead,
  type Clock,
  type EntityTypeInfo,
  type EventName,
  type EventPayload,
  type GameProtocol,
  type OwnState,
  type TimerHandle,
  type WireValue,
} from '@tickwire/protocol';

const NO_OWN_STATE: readonly OwnState[] = [];
import type { Logger } from 'pino';
import { EntityStore, recordOf, type Entity } from './entity-store.js';
import { takeActions, type Action } from './input-queue.js';
import type { Limits } from './limits.js';
import { NetworkState } from './network-state.js';
import type { LeaveReason, RoomDefinition } from './room-definition.js';
import { checkDefinition, Rejection } from './room-definition.js';
import type { RoomClient } from './room-client.js';
import type { EventTarget, Player, Room as GameRoom } from './game-api.js';
import { Session } from './session.js';
import { sessionRoomDefinition } from './session-hooks.js';
import { RoomPersistence, type PersistenceStats, type RoomStore } from './persistence.js';
import { SnapshotEncoder, type EncodedBody } from './replicator.js';
import { Candidates, candidatesFor, SpatialGrid, tierRadii2 } from './interest.js';
import { InterestEncoder, InterestState, type InterestBody } from './interest-replicator.js';
import type { RoomStats } from './stats.js';
import { defaultFaultPolicy, FaultBoundary, type FaultStats } from './fault-boundary.js';
import type { AddressBook } from './address-book.js';
import type { RoomClaim } from './registry.js';
import type { InterestDefinition } from './interest.js';
import { Recorder } from './recorder.js';
import { ViewerCells } from './viewer-cells.js';

/** What a room needs from the server that hosts it. */
export interface RoomHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: Limits;
  readonly stats: RoomStats & PersistenceStats & FaultStats;
  /** The database, if the server has one. */
  readonly store?: RoomStore;
  /** Per-address allowances (members waiting for a reconnect); none in bare test hosts. */
  readonly addresses?: AddressBook;
  /** Called when the room has been empty for its grace period. */
  roomIdle(room: Room): void;
}

/**
 * The runtime room. Game code sees it through the narrower {@link GameRoom} interface that it
 * implements; the rest (admitting, acknowledgements, the loop) is for the server.
 */
export class Room<P extends GameProtocol = GameProtocol, S = unknown, D = unknown> implements GameRoom<P, S, D> {
  readonly entities: EntityStore<P>;
  readonly state: S;
  readonly tickRate: number;
  readonly snapshotRate: number;
  /** Milliseconds per tick. */
  readonly tickMs: number;
  readonly maxClients: number;
  readonly reconnectWindowMs: number;
  /** Current tick: the last one simulated (or skipped by catch-up). */
  tick = 0;
  /** Server-clock ms of tick 0. */
  readonly epoch: number;
  droppedTicks = 0;
  /** Random id of this room instance: tells apart rooms of one code across restarts. */
  readonly instanceId: string;
  /** Seed of `random`: recorded, so that a replay draws the same numbers. */
  readonly seed: number;
  /** The room's random numbers in [0, 1), seeded per room (what game code uses instead of Math.random). */
  readonly random: () => number;
  /** Keeps what comes into the room from outside, when its definition has `record` (recorder.ts). */
  readonly recorder: Recorder | null;
  readonly clients = new Map<number, RoomClient<P, D>>();
  readonly codec: MessageCodec<P>;
  readonly logger: Logger;
  /** Durable state: checkpoints, critical commits. Null when the room or the server has none. */
  readonly persist: RoomPersistence | null;
  /** The room's session, when its definition makes it one (lobby, seats, rounds, results). */
  readonly session: Session<P, S, D> | null;
  /** The room's definition, with its interest callbacks behind the fault boundary. */
  readonly definition: RoomDefinition<P, S, D>;
  /** Every call into game code passes through this; a room that keeps failing is closed. */
  readonly faults: FaultBoundary;
  private readonly net: NetworkState;
  private readonly encoder: SnapshotEncoder;
  private readonly frame = new BitWriter(4096);
  private readonly typeBits: number;
  private readonly grid: SpatialGrid | null;
  private readonly interestEncoder: InterestEncoder | null;
  /** Interest rooms: each snapshot's clients grouped by their viewer's cell, to share candidate work. */
  private readonly viewerCells: ViewerCells<RoomClient<P, D>> | null;
  private readonly channelMembers = new Map<string, number[]>();
  private readonly candidates = new Candidates();
  /** The tick's actions, reused from tick to tick. */
  private readonly actions: Action<RoomClient<P, D>>[] = [];
  /** Snapshot ticks so far: every `viewDigestEvery`th carries the view digest. */
  private snapshotCount = 0;
  private readonly ownScratch: { id: number; type: EntityTypeInfo; wire: WireValue[] };
  private readonly ownList: readonly OwnState[];
  /** Squared radii of the interest tiers (empty without interest management). */
  private readonly tierR2: Float64Array;
  /** The most fields an entity type of the protocol has (the width of a client's held table). */
  private readonly maxFields: number;
  private readonly maxCatchUp: number;
  private readonly emptyGraceMs: number;
  private accumulator = 0;
  private lastUpdate: number;
  private timer: TimerHandle | null = null;
  private idleTimer: TimerHandle | null = null;
  private nextClientId = 1;
  private disposed = false;

  constructor(
    readonly code: string,
    definition: RoomDefinition<P, S, D>,
    private readonly host: RoomHost,
    /** This process's claim on the room in the registry (its epoch fences the room's writes). */
    readonly claim: RoomClaim | null = null,
    /** The instance id and seed of a recorded room, for its replay (default: new ones). */
    origin?: { instanceId: string; seed: number },
  ) {
    this.instanceId = origin?.instanceId ?? Array.from(randomBytes(6), (b) => b.toString(16).padStart(2, '0')).join('');
    this.seed = origin?.seed ?? new DataView(randomBytes(4).buffer).getUint32(0);
    this.random = seededRandom(this.seed);
    this.logger = host.logger.child({ room: code });
    this.faults = new FaultBoundary(host.clock, this.logger, host.stats, { ...defaultFaultPolicy, ...definition.faultPolicy }, () => {
      // Closing from inside a tick or a handler: let the current call unwind first.
      queueMicrotask(() => this.close('the room failed repeatedly and was closed', ErrorCode.ROOM_FAILED, CloseCode.ROOM_FAILED));
    });
    const guarded = definition.interest ? { ...definition, interest: this.guardInterest(definition.interest) } : definition;
    this.session = guarded.session ? new Session(this, guarded, { clock: host.clock, logger: this.logger, store: host.store?.sessions }) : null;
    this.recorder = guarded.record ? new Recorder(guarded.protocol, guarded.record) : null;
    this.definition = this.session ? sessionRoomDefinition(this.session) : this.recorder ? this.recorder.wrap(guarded) : guarded;
    const d = this.definition;
    checkDefinition(d, `room '${code}'`);
    this.tickRate = d.tickRate ?? 20;
    this.snapshotRate = Math.min(d.snapshotRate ?? 20, this.tickRate);
    this.tickMs = 1000 / this.tickRate;
    this.maxClients = d.maxClients ?? 64;
    this.maxCatchUp = d.maxCatchUpTicks ?? 4;
    this.reconnectWindowMs = d.reconnectWindowMs ?? 60_000;
    this.emptyGraceMs = d.emptyGraceMs ?? 30_000;
    const history = Math.max(2, d.snapshotHistory ?? 32);
    this.entities = new EntityStore(d.protocol);
    this.codec = new MessageCodec(d.protocol);
    this.typeBits = d.protocol.entityTypeBits;
    const interest = d.interest;
    this.tierR2 = tierRadii2(interest?.tiers ?? []);
    this.ownScratch = { id: 0, type: d.protocol.entityTypes[0]!, wire: [] };
    this.ownList = [this.ownScratch];
    this.maxFields = Math.max(1, ...d.protocol.entityTypes.map((type) => type.fields.length));
    if (interest) {
      const last = interest.tiers[interest.tiers.length - 1]!.radius;
      this.grid = new SpatialGrid(interest.cellSize ?? Math.max(1, last / 4), recordOf);
      this.interestEncoder = new InterestEncoder(d.protocol, this.entities, interest.tiers, this.tickRate, (interest.budgetBytes ?? 0) * 8);
      this.viewerCells = new ViewerCells(this.grid);
    } else {
      this.grid = null;
      this.interestEncoder = null;
      this.viewerCells = null;
    }
    this.net = new NetworkState(this.entities, history + 2);
    this.encoder = new SnapshotEncoder(d.protocol, this.entities, this.net);
    this.epoch = host.clock.now();
    this.lastUpdate = this.epoch;
    this.recorder?.begin(this, this.entities, { seed: this.seed, epoch: this.epoch, tickRate: this.tickRate, storage: Boolean(host.store && d.persistence) });
    this.state = d.setup ? d.setup(this) : (undefined as S);
    this.persist =
      host.store && d.persistence
        ? new RoomPersistence(this as unknown as Room, host.store, d.persistence as never, this.logger, host.stats, {
            clock: host.clock,
            onFault: (where, err) => this.fault(where, err),
            ownerEpoch: claim?.epoch ?? 0,
            // Another process owns the room now: stop here, its clients reconnect to the owner.
            onFenced: (err) => {
              this.logger.error({ err }, 'storage refused a write: another process owns this room now; closing it here');
              queueMicrotask(() => this.moved());
            },
          })
        : null;
    this.scheduleIdleCheck();
  }

  get protocol(): P {
    return this.definition.protocol;
  }

  /** Seconds per tick. */
  get dt(): number {
    return this.tickMs / 1000;
  }

  /** Simulated time in seconds (tick * dt). */
  get time(): number {
    return this.tick * this.dt;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Number of members (connected or awaiting reconnect). */
  get size(): number {
    return this.clients.size;
  }

  get connectedCount(): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.connected) n++;
    return n;
  }

  /** History size used for each client's snapshot ring. */
  get historySize(): number {
    return Math.max(2, this.definition.snapshotHistory ?? 32);
  }

  /** Inputs each member may have waiting for a tick. */
  get maxBufferedInputs(): number {
    return this.host.limits.maxBufferedInputs;
  }

  /** Starts the loop on the host clock. */
  start(): void {
    if (this.timer || this.disposed) return;
    this.lastUpdate = this.host.clock.now();
    this.schedule();
  }

  private schedule(): void {
    const wait = Math.max(0, this.tickMs - this.accumulator);
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      if (this.disposed) return;
      try {
        this.update();
      } catch (err) {
        // Not game code (that is guarded where it is called): a runtime bug. It still costs
        // this room at most, never the process.
        this.faults.record('tick', err);
      }
      if (!this.disposed) this.schedule();
    }, wait);
  }

  /** Runs the steps that are due by the clock (at most maxCatchUpTicks; the rest are dropped). */
  update(): void {
    const now = this.host.clock.now();
    this.accumulator += now - this.lastUpdate;
    this.lastUpdate = now;
    let due = Math.floor(this.accumulator / this.tickMs + 1e-9);
    if (due > this.maxCatchUp) {
      const dropped = due - this.maxCatchUp;
      this.droppedTicks += dropped;
      this.host.stats.ticksDropped(dropped);
      this.tick += dropped;
      this.accumulator -= dropped * this.tickMs;
      due = this.maxCatchUp;
    }
    // The last tick of the batch with a snapshot due sends it; the steps before it send none.
    let sendAt = -1;
    for (let t = this.tick + due; t > this.tick; t--) {
      if (this.snapshotDue(t)) {
        sendAt = t;
        break;
      }
    }
    for (let i = 0; i < due && !this.disposed; i++) {
      this.accumulator -= this.tickMs;
      this.advance(this.tick + 1 === sendAt);
    }
    if (this.accumulator < 0) this.accumulator = 0;
  }

  /** Whether tick `t` carries a snapshot (snapshotRate of every tickRate ticks, evenly spread). */
  private snapshotDue(t: number): boolean {
    return Math.floor((t * this.snapshotRate) / this.tickRate) !== Math.floor(((t - 1) * this.snapshotRate) / this.tickRate);
  }

  /**
   * Simulates one tick: queued actions, systems, then a snapshot if one is due. A replay passes
   * the actions its recording says the tick applied instead of taking them from the queues.
   */
  step(replayed?: Action<RoomClient<P, D>>[]): void {
    this.advance(this.snapshotDue(this.tick + 1), replayed);
  }

  /** One tick, with its snapshot sent or not (the loop's catch-up sends only the batch's last). */
  private advance(send: boolean, replayed?: Action<RoomClient<P, D>>[]): void {
    const started = performance.now();
    this.tick++;
    const actions = replayed ?? takeActions(this.clients.values(), this.definition.maxInputsPerTick ?? this.host.limits.maxInputsPerTick, this.host.clock.now(), this.actions);
    this.recorder?.stepping(this.tick, actions);
    for (const a of actions) this.apply(a);
    for (const system of this.definition.systems ?? []) {
      try {
        system(this, this.dt);
      } catch (err) {
        this.fault('system', err);
      }
    }
    this.recorder?.stepped();
    if (this.disposed) return;
    if (send) this.sendSnapshots();
    this.persist?.tick(this.host.clock.now());
    this.host.stats.tickDuration(performance.now() - started);
  }

  private apply(a: Action<RoomClient<P, D>>): void {
    const d = this.definition;
    if (a.kind === 'input') {
      a.client.lastInputSeq = a.entry.seq;
      if (!d.onInput) return;
      try {
        d.onInput(this, a.client, a.entry.input as never, { seq: a.entry.seq, time: a.entry.time });
      } catch (err) {
        if (err instanceof Rejection) this.refuseInput(a.client, err);
        else this.fault('onInput', err);
      }
      return;
    }
    const { client, command: c } = a;
    const reply = (ok: boolean, code: number, message: string) => {
      if (!ok) this.host.stats.error(code);
      client.sendResult(c.seq, this.codec.commandResult(c.seq, { ok, code, message }));
    };
    if (c.entity !== 0 && (!client.controls.has(c.entity) || !this.entities.has(c.entity))) {
      reply(false, ErrorCode.NOT_YOUR_ENTITY, `entity ${c.entity} is not controlled by this client`);
      return;
    }
    if (this.session && this.session.state !== 'running') {
      reply(false, ErrorCode.SESSION_STATE, `the session is in its ${this.session.state}: commands are taken while it runs`);
      return;
    }
    const handlers = d.commands as Record<string, Record<string, Function | undefined> | undefined> | undefined;
    const handler = handlers?.[c.command.feature]?.[c.command.action];
    if (!handler) {
      reply(false, ErrorCode.UNKNOWN_COMMAND, `this room does not handle ${c.command.feature}.${c.command.action}`);
      return;
    }
    const settle = (err: unknown) => {
      if (err === undefined) return reply(true, 0, '');
      if (err instanceof TickwireError) return reply(false, err.code, err.message);
      this.fault(`command ${c.command.feature}.${c.command.action}`, err);
      reply(false, ErrorCode.COMMAND_FAILED, 'the command failed on the server');
    };
    try {
      const key = `${this.code}:${this.instanceId}:${client.id}:${c.seq}`;
      const out: unknown = handler(this, client, c.payload, { seq: c.seq, time: c.time, entity: c.entity, key });
      if (out instanceof Promise) out.then(() => settle(undefined), (err: unknown) => settle(err ?? new Error('rejected')));
      else settle(undefined);
    } catch (err) {
      settle(err);
    }
  }

  /** onInput called reject(): tell the client (at most once a second), keep going. */
  private refuseInput(client: RoomClient<P, D>, err: Rejection): void {
    const code = err.code === ErrorCode.COMMAND_REJECTED ? ErrorCode.INVALID_INPUT : err.code;
    this.host.stats.error(code);
    const now = this.host.clock.now();
    if (now - client.lastInputNotice < 1000) return;
    client.lastInputNotice = now;
    client.send(this.codec.error(0, { code, fatal: false, message: err.message }));
  }

  /** Game code threw (a `reject()` is an answer, not a fault): count it at the boundary. */
  private fault(where: string, err: unknown): void {
    if (err instanceof Rejection) return;
    this.faults.record(where, err);
  }

  /**
   * Runs a game hook behind the fault boundary; `fallback` is its result when it throws.
   *
   * @example
   * const text = room.guard('onChat', () => def.onChat!(room, client, line), false);
   */
  guard<T>(hook: string, fn: () => T, fallback: T): T {
    return this.faults.run(hook, fn, fallback);
  }

  /**
   * The interest callbacks behind the fault boundary. A callback that throws, or answers a
   * position that is not a finite number within ±1e12, places nothing: the entity is seen by
   * nobody that snapshot (NaN never falls within a radius), and a viewer sees only its own,
   * channel and global entities. Never the process: a non-finite viewer would make the grid walk
   * forever.
   */
  private guardInterest(def: InterestDefinition<Player<P, D>, Entity<P>>): InterestDefinition<Player<P, D>, Entity<P>> {
    const nowhere = Object.freeze({ x: Number.NaN, y: Number.NaN });
    // Called per entity per snapshot: a generic method and no closure per call, so guarding
    // allocates nothing on the interest path.
    const place = <A>(hook: string, fn: (arg: A) => { x: number; y: number } | undefined, arg: A) => {
      try {
        const p = fn(arg);
        if (p === undefined || (typeof p === 'object' && p !== null && Math.abs(p.x) <= 1e12 && Math.abs(p.y) <= 1e12)) return p;
        throw new RangeError(`${hook} returned ${JSON.stringify(p)}: positions must be finite numbers within ±1e12`);
      } catch (err) {
        this.faults.record(hook, err);
        return nowhere;
      }
    };
    const position = def.position.bind(def);
    const out: InterestDefinition<Player<P, D>, Entity<P>> = { ...def, position: (e) => place('interest.position', position, e) };
    if (def.viewer) {
      const viewer = def.viewer.bind(def);
      out.viewer = (c) => place('interest.viewer', viewer, c);
    }
    // A channel that cannot be named is one nobody is a member of: hidden, not leaked to all.
    if (def.channel) {
      const channel = def.channel.bind(def);
      out.channel = (e) => {
        try {
          return channel(e);
        } catch (err) {
          this.faults.record('interest.channel', err);
          return '\u0000faulted';
        }
      };
    }
    if (def.channels) out.channels = (c) => this.faults.run('interest.channels', () => [...def.channels!(c)], []);
    return out;
  }

  private sendSnapshots(): void {
    const tick = this.tick;
    this.net.publish(tick);
    this.encoder.beginTick(tick);
    const limits = this.host.limits;
    const relevant = this.definition.isRelevant;
    const now = this.host.clock.now();
    if (this.grid) this.indexInterest();
    // Every Nth snapshot carries the view digest (docs/protocol.md 8.6); in interest rooms, the
    // first one after it whose client's view is sure.
    const every = this.definition.viewDigestEvery ?? 10;
    const digestNow = every > 0 && this.snapshotCount++ % every === 0;
    // Interest rooms serve clients grouped by their viewer's cell (see interestBody).
    let at = -1;
    for (const client of this.viewerCells ? this.viewerCells.order : this.clients.values()) {
      at++;
      const conn = client.connection;
      if (!conn) continue;
      const queued = conn.bufferedAmount;
      const stalled = client.stalledSince > 0 && now - client.stalledSince > limits.maxStallMs;
      if (queued > limits.maxBufferedBytes || client.pendingEvents.length > limits.maxPendingEvents || stalled) {
        conn.tooSlow('client is not reading its snapshots');
        continue;
      }
      if (queued > limits.snapshotSkipBytes) {
        if (client.stalledSince === 0) client.stalledSince = now;
        this.host.stats.snapshotSkipped();
        continue;
      }
      client.stalledSince = 0;
      let body: EncodedBody;
      let digest: number | undefined;
      if (this.grid) {
        const own = this.interestBody(client, digestNow, at);
        body = own;
        digest = own.digest;
      } else {
        body = relevant ? this.encoder.filteredBody(client.view, this.relevantIds(client)) : this.encoder.sharedBody(client.view);
        if (digestNow) digest = relevant ? this.digestOf(client.view.lastSentIds) : this.net.digest;
      }
      const w = this.frame.reset();
      writeSnapshotHead(w, this.typeBits, tick, client.lastInputSeq, this.ownState(client));
      w.appendBits(body.bytes, body.bits);
      writeEvents(w, client.pendingEvents);
      if (client.pendingEvents.length > 0) client.pendingEvents = [];
      if (digest !== undefined) {
        writeDigest(w, digest);
        this.host.stats.viewDigestSent();
      }
      // Sent from the reused frame buffer: a transport copies what it keeps (Transport.send).
      const frame = w.view();
      this.host.stats.snapshotSent(frame.length, body.full);
      // The queued bytes read above still hold unless game code ran since (the interest and
      // relevance hooks may send to this client): then the connection reads them again.
      conn.send(frame, this.grid || relevant ? undefined : queued);
    }
  }

  /** The view digest of a set of published entities (a client with its own relevant set). */
  private digestOf(ids: readonly number[]): number {
    let sum = 0;
    for (const id of ids) {
      const rec = this.entities.record(id);
      if (rec) sum = addDigest(sum, rec.digest);
    }
    return sum;
  }

  /** The exact state of the client's entity, for rooms that send it (client prediction). */
  private ownState(client: RoomClient<P, D>): readonly OwnState[] {
    const entity = client.entity;
    if (!this.definition.sendOwnState || !entity || !entity.alive) return NO_OWN_STATE;
    const rec = recordOf(entity);
    // One scratch list for every client: writeSnapshotHead reads it before the next client's.
    const own = this.ownScratch;
    const wire = own.wire;
    const fields = rec.type.fields;
    wire.length = fields.length;
    for (let i = 0; i < fields.length; i++) wire[i] = fields[i]!.type.toWire(rec.values[i]);
    own.id = rec.id;
    own.type = rec.type;
    return this.ownList;
  }

  /** Rebuilds the spatial grid and the channel lists once per snapshot, and orders the clients by viewer cell. */
  private indexInterest(): void {
    const def = this.definition.interest!;
    const entities = this.entities.all() as Iterable<Entity<P>>;
    this.grid!.rebuild(entities, (e) => def.position(e), def.channel ? (e) => def.channel!(e) : undefined);
    this.channelMembers.clear();
    if (def.channel) {
      for (const e of this.entities.all() as Iterable<Entity<P>>) {
        const ch = def.channel(e);
        if (ch === undefined) continue;
        let list = this.channelMembers.get(ch);
        if (!list) this.channelMembers.set(ch, (list = []));
        list.push(e.id);
      }
    }
    this.viewerCells!.sort(this.clients.values(), (client) => {
      if (!client.connection) return undefined;
      const own = client.entity as Entity<P> | undefined;
      return def.viewer ? def.viewer(client) : own && own.alive ? def.position(own) : undefined;
    });
  }

  /**
   * A client's body in an interest room; `at`, its place in `viewerCells.order`. The clients of a
   * cell with several viewers filter one run of grid entities gathered for all of them.
   */
  private interestBody(client: RoomClient<P, D>, digest: boolean, at: number): InterestBody {
    const def = this.definition.interest!;
    const cells = this.viewerCells!;
    const run = cells.runFor(at, this.tierR2, def.tiers);
    const candidates = candidatesFor(def, this.grid!, client, cells.viewer(at), this.channelMembers, client.controls, this.tierR2, this.candidates, run);
    return this.interestEncoder!.encode(this.tick, this.interestOf(client), candidates, digest);
  }

  /** A client's per-entity state in an interest room (made on first use). */
  private interestOf(client: RoomClient<P, D>): InterestState {
    return (client.view.interest ??= new InterestState(this.historySize, this.maxFields, (this.definition.viewDigestEvery ?? 10) > 0));
  }

  /**
   * A client's view starts over on a new connection (a join, a resume, a takeover): the next
   * snapshot is full, and its deltas are taken against acknowledged snapshots if the room asks for
   * that or the connection may lose frames, else against the last one sent.
   */
  connectView(client: RoomClient<P, D>): void {
    const acknowledged = this.definition.snapshotBaseline === 'acknowledged' || client.connection?.lossy === true;
    const view = client.view;
    if (this.grid) {
      const state = this.interestOf(client);
      state.startOver();
      state.acknowledgedBaselines = acknowledged;
    } else {
      view.acknowledge(0);
      view.acknowledgedBaselines = acknowledged;
    }
  }

  /** A client acknowledged a snapshot (0: it lost its state and needs a full one). */
  acknowledge(client: RoomClient<P, D>, tick: number): void {
    const view = client.view;
    // Interest rooms track acks per entity and take them in any order; the others keep the
    // newest acknowledged snapshot as the baseline.
    if (this.grid) this.interestOf(client).acknowledge(tick);
    else view.acknowledge(tick);
  }

  private relevantIds(client: RoomClient<P, D>): number[] {
    const out: number[] = [];
    const isRelevant = this.definition.isRelevant!;
    for (const id of this.net.ids) {
      const e = this.entities.get(id);
      if (!e) continue;
      let keep = client.controls.has(id);
      if (!keep) {
        try {
          keep = isRelevant(this, client, e);
        } catch (err) {
          this.fault('isRelevant', err);
        }
      }
      if (keep) out.push(id);
    }
    return out;
  }

  /**
   * Sends an event with the next snapshot: to everyone, one client, a list, or those a
   * predicate picks.
   *
   * @example
   * room.emit('hit', { target: ship.id, damage: 10 });
   */
  emit<N extends EventName<P>>(name: N, payload: EventPayload<P, N>, to?: EventTarget<P, D>): void {
    const info = this.definition.protocol.event(name);
    if (!info) throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `the protocol declares no event '${name}'`);
    info.payload.bits(payload); // validates now, in the caller's stack, not at snapshot time
    const e = { info, payload };
    // Members waiting for a reconnect get no events: they resume with a full snapshot instead.
    // Every Player game code holds is one of this room's RoomClients.
    const push = (c: Player<P, D>) => c.connected && (c as RoomClient<P, D>).pendingEvents.push(e);
    if (to === undefined) for (const c of this.clients.values()) push(c);
    else if (typeof to === 'function') for (const c of this.clients.values()) to(c) && push(c);
    else if (Array.isArray(to)) for (const c of to as readonly Player<P, D>[]) push(c);
    else push(to as Player<P, D>);
  }

  /** Sends a chat line to every connected client, now. */
  broadcastChat(from: Player<P, D> | null, text: string): void {
    const frame = this.codec.chatMessage({ from: from?.id ?? 0, name: from?.name ?? '', text });
    for (const c of this.clients.values()) c.send(frame);
  }

  /** Allocates a client id for a new member. */
  allocateClientId(): number {
    return this.nextClientId++;
  }

  /**
   * Adds a member with fresh game data from the definition's `data()`; the caller has checked
   * capacity. A `data()` that throws is a fault, and the join is refused.
   */
  addClient(client: RoomClient<P, D>): void {
    const init = this.definition.data;
    if (init) {
      try {
        client.data = init();
      } catch (err) {
        this.fault('data', err);
        throw new Rejection('the room could not admit this player (its game code failed)', ErrorCode.JOIN_REFUSED);
      }
    }
    this.clients.set(client.id, client);
    this.connectView(client);
    this.cancelIdle();
  }

  /** Releases a member: onLeave, controlled entities stay for the game to remove. */
  removeClient(client: RoomClient<P, D>, reason: LeaveReason): void {
    if (!this.clients.delete(client.id)) return;
    if (client.releaseTimer) this.host.clock.clearTimeout(client.releaseTimer);
    client.releaseTimer = null;
    this.unhold(client);
    this.persist?.leaving(client);
    try {
      this.definition.onLeave?.(this, client, reason);
    } catch (err) {
      this.fault('onLeave', err);
    }
    if (this.clients.size === 0) this.scheduleIdleCheck();
  }

  /** Removes a member without onLeave (a join that onJoin refused). */
  dropMember(client: RoomClient<P, D>): void {
    this.clients.delete(client.id);
    if (this.clients.size === 0) this.scheduleIdleCheck();
  }

  /**
   * The client's connection dropped: keep the membership for the reconnect window (calling
   * onDisconnect), or release it now when the window is 0.
   */
  disconnected(client: RoomClient<P, D>): void {
    if (!this.clients.has(client.id)) return;
    client.connection = null;
    client.inputs.clear();
    client.dropPendingCommands();
    client.pendingEvents = [];
    // A membership is kept for a reconnect only for a client that played (it acknowledged a
    // snapshot) and whose address has room for one more waiting member: join-and-drop floods
    // cannot fill the room for the whole window.
    const now = this.host.clock.now();
    const addresses = this.host.addresses;
    if (this.reconnectWindowMs <= 0 || this.disposed || !client.everAcked || (addresses && !addresses.holdMember(client.remoteAddress, now))) {
      this.removeClient(client, 'disconnected');
      return;
    }
    if (addresses) client.heldBy = client.remoteAddress;
    client.disconnectedAt = now;
    try {
      this.definition.onDisconnect?.(this, client);
    } catch (err) {
      this.fault('onDisconnect', err);
    }
    client.releaseTimer = this.host.clock.setTimeout(() => {
      client.releaseTimer = null;
      if (!client.connected) this.removeClient(client, 'timeout');
    }, this.reconnectWindowMs);
  }

  /** A dropped client is back on a new connection. */
  resumed(client: RoomClient<P, D>): void {
    if (client.releaseTimer) this.host.clock.clearTimeout(client.releaseTimer);
    client.releaseTimer = null;
    this.unhold(client);
    try {
      this.definition.onReconnect?.(this, client);
    } catch (err) {
      this.fault('onReconnect', err);
    }
  }

  /** The member no longer waits: give its address's allowance back. */
  private unhold(client: RoomClient<P, D>): void {
    if (client.heldBy === null) return;
    this.host.addresses?.releaseMember(client.heldBy, this.host.clock.now());
    client.heldBy = null;
  }

  private scheduleIdleCheck(): void {
    this.cancelIdle();
    this.idleTimer = this.host.clock.setTimeout(() => {
      this.idleTimer = null;
      if (this.clients.size === 0 && !this.disposed) this.host.roomIdle(this);
    }, this.emptyGraceMs);
  }

  private cancelIdle(): void {
    if (this.idleTimer) this.host.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /**
   * Ends the room: every client gets ERROR ROOM_CLOSED and close 4010 (a room whose fault
   * boundary tripped: ROOM_FAILED and 4011), every membership is released (onLeave with 'closed'), and
   * the room is disposed, which writes its final checkpoint. A later join to the code starts
   * afresh (from that checkpoint, when the room is durable).
   */
  close(message = 'the room was closed', code: ErrorCode = ErrorCode.ROOM_CLOSED, closeCode: number = CloseCode.ROOM_CLOSED): void {
    if (this.disposed) return;
    for (const client of [...this.clients.values()]) {
      const conn = client.connection;
      this.removeClient(client, 'closed');
      if (conn) {
        conn.send(this.codec.error(0, { code, fatal: true, message }));
        conn.close(closeCode, message.slice(0, 120));
      }
    }
    this.host.roomIdle(this);
  }

  /**
   * Removes every member with this user id (onLeave with 'kicked'), telling each connected one
   * (ERROR JOIN_REFUSED and close 4008, which the SDK does not reconnect after). Answers how many.
   */
  kick(userId: string, message: string): number {
    let n = 0;
    for (const client of [...this.clients.values()]) {
      if (client.identity.userId !== userId) continue;
      const conn = client.connection;
      this.removeClient(client, 'kicked');
      n++;
      if (conn) {
        conn.send(this.codec.error(0, { code: ErrorCode.JOIN_REFUSED, fatal: true, message }));
        conn.close(CloseCode.JOIN_REFUSED, message.slice(0, 120));
      }
    }
    return n;
  }

  /**
   * Another process owns the room now (it took the claim, or storage fenced this copy out): this
   * copy closes, and its clients are told the server is going away, which the SDK treats as a
   * drop: it reconnects, and finds the room where it lives now.
   */
  moved(): void {
    this.close('this room moved to another server: reconnect to continue', ErrorCode.SHUTTING_DOWN, CloseCode.GOING_AWAY);
  }

  /** Stops the loop and calls onDispose. Clients must have been closed by the caller. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) this.host.clock.clearTimeout(this.timer);
    this.timer = null;
    this.cancelIdle();
    for (const c of this.clients.values()) if (c.releaseTimer) this.host.clock.clearTimeout(c.releaseTimer);
    try {
      await this.persist?.flush();
    } catch (err) {
      this.fault('final checkpoint', err);
    }
    try {
      await this.definition.onDispose?.(this);
    } catch (err) {
      this.fault('onDispose', err);
    }
    await this.recorder?.finish();
  }
}
