/**
 * A game server process as a member of a cluster: it says where it is and how loaded it is
 * (heartbeats in the process registry), takes over the rooms of processes that died (orphans of
 * the room registry, rebuilt from their checkpoints), and stops taking new rooms when it drains.
 *
 * Liveness is the registries' business, on their clock (Redis's, in a cluster): a process whose
 * record expired is dead to the gateway, and a room whose lease ran out without a release is an
 * orphan. Orphans are spread over the live processes by rendezvous hashing: each orphan has one
 * preferred taker among the live, non-draining processes, which takes it on its next scan; any
 * other process takes it if it is still an orphan one scan later (the preferred one died too, or
 * does not serve its type). Claims are atomic, so two takers racing for a room is harmless.
 */
import { ErrorCode, TickwireError, fnv1a, type Clock, type HelloBody, type TimerHandle } from '@tickwire/protocol';
import type { Logger } from 'pino';
import type { JoinTicket, JoinTickets } from './join-tickets.js';
import type { ServerMetrics } from './metrics.js';
import type { ProcessInfo, ProcessRegistry } from './process-registry.js';
import type { RoomClaim, RoomRegistry } from './registry.js';
import type { Identity } from './room-client.js';
import type { RoomManager } from './room-manager.js';

/** `RuntimeOptions.cluster`: this process is one of many behind a gateway. */
export interface ClusterOptions {
  /** Where processes register (RedisProcessRegistry from @tickwire/redis in a deployment). */
  processes: ProcessRegistry;
  /** Where clients connect (the public `ws://host:port/ws`); default: the address the server listens on. */
  url?: string;
  /** The HTTP base the gateway calls (`http://host:port`); default: the address the server listens on. */
  httpUrl?: string;
  /** What the gateway may place here (default: `limits.maxRooms` rooms, 1000 clients). */
  capacity?: { rooms?: number; clients?: number };
  /** How often the process heartbeats and looks for orphaned rooms (default 1000 ms). */
  heartbeatMs?: number;
  /**
   * How long its record lives without a heartbeat: after that it is taken for dead and its rooms
   * are taken over (default 3000 ms: failover in 2-4 s; a longer one forgives longer stalls).
   */
  processTtlMs?: number;
  /** Admit HELLOs only with a join ticket from the gateway (default true). */
  requireTickets?: boolean;
  /** How long a drain lets rooms run before handing them off (default 10 minutes). */
  drainDeadlineMs?: number;
}

/** What a cluster member needs from its runtime. */
export interface ClusterHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly processId: string;
  readonly rooms: RoomManager;
  readonly registry: RoomRegistry;
  readonly metrics: ServerMetrics;
  readonly limits: { readonly maxRooms: number };
  clientCount(): number;
}

export const DEFAULT_DRAIN_DEADLINE_MS = 10 * 60_000;

/** The process's registry record, heartbeats, and the takeover of orphaned rooms. */
export class ClusterMember {
  readonly processes: ProcessRegistry;
  readonly heartbeatMs: number;
  readonly processTtlMs: number;
  readonly requireTickets: boolean;
  readonly drainDeadlineMs: number;
  readonly capacity: { readonly rooms: number; readonly clients: number };
  /** Wall-clock ms the process started. */
  readonly startedAt = Date.now();
  private address: { url: string; httpUrl: string } | undefined;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private scanning = false;
  private draining = false;
  private last: { at: number; bytesOut: number; ticks: number };
  /** Orphans (code and epoch) seen by the last scan and left to their preferred taker. */
  private waited = new Set<string>();

  constructor(
    private readonly host: ClusterHost,
    private readonly options: ClusterOptions,
  ) {
    this.processes = options.processes;
    this.heartbeatMs = positive(options.heartbeatMs ?? 1000, 'cluster.heartbeatMs');
    this.processTtlMs = positive(options.processTtlMs ?? 3000, 'cluster.processTtlMs');
    if (this.processTtlMs < 2 * this.heartbeatMs) {
      throw new RangeError(`cluster.processTtlMs (${this.processTtlMs}) must be at least twice cluster.heartbeatMs (${this.heartbeatMs}), or one late heartbeat makes a live process look dead`);
    }
    this.requireTickets = options.requireTickets ?? true;
    this.drainDeadlineMs = positive(options.drainDeadlineMs ?? DEFAULT_DRAIN_DEADLINE_MS, 'cluster.drainDeadlineMs');
    this.capacity = {
      rooms: count(options.capacity?.rooms ?? host.limits.maxRooms, 'cluster.capacity.rooms'),
      clients: count(options.capacity?.clients ?? 1000, 'cluster.capacity.clients'),
    };
    this.last = { at: host.clock.now(), bytesOut: host.metrics.totals.bytesOut, ticks: host.metrics.totals.ticks };
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get started(): boolean {
    return this.address !== undefined;
  }

  /**
   * What this process says about itself: its addresses, capacity, load (rooms, clients, tick
   * time p99 and bytes sent per second since the last heartbeat), and whether it drains.
   */
  info(): ProcessInfo {
    const { clock, metrics, rooms } = this.host;
    const now = clock.now();
    const seconds = Math.max(0.001, (now - this.last.at) / 1000);
    const totals = metrics.totals;
    const ticked = totals.ticks > this.last.ticks;
    const info: ProcessInfo = {
      id: this.host.processId,
      url: this.address?.url ?? '',
      httpUrl: this.address?.httpUrl ?? '',
      capacity: this.capacity,
      load: {
        rooms: rooms.size,
        clients: this.host.clientCount(),
        tickMsP99: ticked ? Math.round(metrics.tickPercentiles().p99 * 1000) / 1000 : 0,
        bytesOutPerSec: Math.round(Math.max(0, totals.bytesOut - this.last.bytesOut) / seconds),
      },
      draining: this.draining,
      startedAt: this.startedAt,
    };
    this.last = { at: now, bytesOut: totals.bytesOut, ticks: totals.ticks };
    return info;
  }

  /**
   * Registers the process (the options' addresses win over `listening`, the address the server
   * bound) and starts heartbeating. Rejects when the first heartbeat fails: a process the
   * gateway cannot see should not start.
   */
  async start(listening?: { url: string; httpUrl: string }): Promise<void> {
    const url = this.options.url ?? listening?.url;
    const httpUrl = this.options.httpUrl ?? listening?.httpUrl;
    if (!url || !httpUrl) throw new RangeError('a cluster process needs its public addresses: set cluster.url and cluster.httpUrl (or let listen() fill them in)');
    this.address = { url, httpUrl };
    await this.processes.heartbeat(this.info(), this.processTtlMs);
    this.host.logger.info({ process: this.host.processId, url, httpUrl }, 'joined the cluster');
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      void this.beat().finally(() => this.schedule());
    }, this.heartbeatMs);
  }

  /** One heartbeat, then (not awaited, so a slow takeover never delays a heartbeat) a scan for orphans. */
  private async beat(): Promise<void> {
    try {
      await this.processes.heartbeat(this.info(), this.processTtlMs);
    } catch (err) {
      this.host.logger.warn({ err }, 'heartbeat failed: the process registry is unreachable; trying again next beat');
    }
    if (!this.draining && !this.stopped && !this.scanning) {
      this.scanning = true;
      void this.takeOver()
        .catch((err: unknown) => this.host.logger.warn({ err }, 'could not look for orphaned rooms'))
        .finally(() => (this.scanning = false));
    }
  }

  /** Sends a heartbeat now (a drain starting, say), instead of at the next beat. */
  async heartbeatNow(): Promise<void> {
    if (!this.address || this.stopped) return;
    await this.processes.heartbeat(this.info(), this.processTtlMs).catch((err: unknown) => this.host.logger.warn({ err }, 'heartbeat failed'));
  }

  /**
   * Takes over the orphans this process should: those whose preferred taker it is, and those
   * still orphaned since the last scan; within its room capacity. Answers the codes it opened.
   */
  async takeOver(): Promise<string[]> {
    const { rooms, registry } = this.host;
    const orphans = (await registry.orphans()).filter((o) => rooms.serves(o) && !rooms.get(o.code));
    if (orphans.length === 0) {
      this.waited.clear();
      return [];
    }
    const live = (await this.processes.list()).filter((p) => !p.draining).map((p) => p.id);
    if (!live.includes(this.host.processId)) live.push(this.host.processId);
    const mine: RoomClaim[] = [];
    const waiting = new Set<string>();
    for (const o of orphans) {
      const key = `${o.code}\u0000${o.epoch}`;
      if (preferred(o.code, live) === this.host.processId || this.waited.has(key)) mine.push(o);
      else waiting.add(key);
    }
    this.waited = waiting;
    const room = Math.max(0, this.capacity.rooms - rooms.size);
    const opened = await Promise.all(
      mine.slice(0, room).map(async (o) => {
        const r = await rooms.adopt(o);
        if (r instanceof TickwireError) {
          if (r.code !== ErrorCode.ROOM_ELSEWHERE) this.host.logger.warn({ room: o.code, err: r.message }, 'could not take over an orphaned room');
          return undefined;
        }
        this.host.logger.info({ room: o.code, from: o.owner, epoch: r.claim?.epoch }, 'took over a room whose process is gone');
        return o.code;
      }),
    );
    return opened.filter((c) => c !== undefined);
  }

  /** Draining: the next heartbeat (sent now) says so, and no orphan is taken over any more. */
  async markDraining(): Promise<void> {
    this.draining = true;
    await this.heartbeatNow();
  }

  /** Stops heartbeating and removes the record (a clean exit). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) this.host.clock.clearTimeout(this.timer);
    this.timer = null;
    if (!this.address) return;
    await this.processes.remove(this.host.processId).catch((err: unknown) => this.host.logger.warn({ err }, 'could not remove this process from the registry; its record expires by itself'));
  }
}

/**
 * The process among `ids` that prefers `code` (highest rendezvous hash): every process computes
 * the same answer from the same list, and a process leaving moves only its own share.
 */
export function preferred(code: string, ids: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const id of ids) {
    const s = score(code, id);
    if (s > bestScore || (s === bestScore && best !== undefined && id < best)) {
      best = id;
      bestScore = s;
    }
  }
  return best;
}

/** A process's score for a code: FNV-1a of both, with one multiply so close ids spread. */
function score(code: string, id: string): number {
  const h = fnv1a(`${code}\u0000${id}`);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}

function positive(ms: number, what: string): number {
  if (!(Number.isFinite(ms) && ms >= 10)) throw new RangeError(`${what} must be at least 10 ms, got ${ms}`);
  return ms;
}

function count(n: number, what: string): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`${what} must be a whole number of at least 0, got ${n}`);
  return n;
}

/**
 * HELLO authentication by join ticket: the token must be a ticket for this process and for the
 * HELLO's room, and a HELLO may only join (rooms are created through the gateway, which puts the
 * room type in the ticket). The identity is the ticket's user; the ticket's room type, if any,
 * is kept for the room lookup that follows.
 */
export class TicketDoor {
  private readonly granted = new WeakMap<Identity, JoinTicket>();

  constructor(
    private readonly tickets: JoinTickets,
    private readonly processId: string,
  ) {}

  async authenticate(hello: HelloBody): Promise<Identity> {
    if (hello.create) {
      throw new TickwireError(ErrorCode.AUTH_FAILED, 'this server is part of a cluster: create rooms through the gateway, then join with the ticket it gives');
    }
    const ticket = await this.tickets.verify(hello.token, this.processId);
    if (ticket.room !== hello.room) throw new TickwireError(ErrorCode.AUTH_FAILED, 'the join ticket is for another room: ask the gateway for a ticket to this one');
    const identity: Identity = { userId: ticket.userId, claims: { name: ticket.name } };
    this.granted.set(identity, ticket);
    return identity;
  }

  /** The ticket an identity was admitted with (undefined for one that came otherwise). */
  ticketOf(identity: Identity): JoinTicket | undefined {
    return this.granted.get(identity);
  }
}
