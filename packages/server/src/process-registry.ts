/**
 * The processes of a cluster: where each game server process can be reached, how much it can
 * hold, how loaded it is, and whether it is draining.
 *
 * Each process heartbeats its record with a time to live; a record that was not refreshed in
 * time is gone, and the process is taken for dead (its rooms are then taken over by others).
 * The gateway reads the records to route players and to pick where new rooms go
 * ({@link leastLoaded}). Like the room registry, this is a small interface with an in-memory
 * adapter here (one process, tests) and a Redis adapter in @tickwire/redis; both pass one
 * contract suite (process-registry-contract.test-support.ts).
 */
import type { Clock } from '@tickwire/protocol';

/** What a process says about itself on every heartbeat. */
export interface ProcessInfo {
  /** The runtime's processId (the owner name in the room registry). */
  readonly id: string;
  /** Where clients connect: the public `ws://host:port/ws` address. */
  readonly url: string;
  /** The process's HTTP base (`http://host:port`): the gateway calls its API there. */
  readonly httpUrl: string;
  /** How much it is meant to hold. */
  readonly capacity: { readonly rooms: number; readonly clients: number };
  /** How much it holds now: open rooms, connected clients, tick time p99 (ms), bytes sent per second. */
  readonly load: { readonly rooms: number; readonly clients: number; readonly tickMsP99: number; readonly bytesOutPerSec: number };
  /** It takes no new rooms and will exit once its rooms end (or a deadline passes). */
  readonly draining: boolean;
  /** Wall-clock ms when the process started. */
  readonly startedAt: number;
}

/** A live process's record: its info and when it expires unless refreshed (registry clock ms). */
export interface ProcessRecord extends ProcessInfo {
  readonly expiresAt: number;
}

export interface ProcessRegistry {
  /** Registers or refreshes `info` for `ttlMs`. */
  heartbeat(info: ProcessInfo, ttlMs: number): Promise<ProcessRecord>;
  /** Removes a process (on clean exit). */
  remove(id: string): Promise<void>;
  /** A live process. */
  get(id: string): Promise<ProcessRecord | undefined>;
  /** Every live process. */
  list(): Promise<ProcessRecord[]>;
}

const MAX_ID = 128;
const MAX_URL = 2048;

/**
 * `value` as a ProcessInfo (only its known fields), or undefined when any field is missing or out
 * of range. Adapters read records back through it, so a corrupt or foreign entry in a shared
 * store is skipped rather than routed to; `heartbeat` refuses such an info with a RangeError.
 */
export function parseProcessInfo(value: unknown): ProcessInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v: Record<string, unknown> = { ...value };
  const capacity = record(v.capacity);
  const load = record(v.load);
  if (!capacity || !load) return undefined;
  const id = text(v.id, MAX_ID);
  const url = wsUrl(v.url);
  const httpUrl = httpBase(v.httpUrl);
  const rooms = count(capacity.rooms);
  const clients = count(capacity.clients);
  const loadRooms = count(load.rooms);
  const loadClients = count(load.clients);
  const tickMsP99 = amount(load.tickMsP99);
  const bytesOutPerSec = amount(load.bytesOutPerSec);
  const startedAt = amount(v.startedAt);
  if (
    id === undefined ||
    url === undefined ||
    httpUrl === undefined ||
    rooms === undefined ||
    clients === undefined ||
    loadRooms === undefined ||
    loadClients === undefined ||
    tickMsP99 === undefined ||
    bytesOutPerSec === undefined ||
    startedAt === undefined ||
    typeof v.draining !== 'boolean'
  ) {
    return undefined;
  }
  return {
    id,
    url,
    httpUrl,
    capacity: { rooms, clients },
    load: { rooms: loadRooms, clients: loadClients, tickMsP99, bytesOutPerSec },
    draining: v.draining,
    startedAt,
  };
}

/** `info` checked and reduced to its known fields; a RangeError saying which field is wrong. */
export function checkProcessInfo(info: ProcessInfo): ProcessInfo {
  const parsed = parseProcessInfo(info);
  if (!parsed) {
    throw new RangeError(
      `a process record needs a non-empty id (up to ${MAX_ID} characters), a ws:// or wss:// url, an http:// or https:// httpUrl, ` +
        `non-negative integer capacity and load counts, non-negative tickMsP99, bytesOutPerSec and startedAt, and a boolean draining; got ${JSON.stringify(info).slice(0, 300)}`,
    );
  }
  return parsed;
}

/** A time to live in whole ms, at least 1. */
export function checkTtl(ttlMs: number): number {
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new RangeError(`a process's time to live must be a positive number of ms, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

function record(x: unknown): Record<string, unknown> | undefined {
  return typeof x === 'object' && x !== null ? { ...x } : undefined;
}

function text(x: unknown, max: number): string | undefined {
  return typeof x === 'string' && x.length > 0 && x.length <= max ? x : undefined;
}

function count(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : undefined;
}

function amount(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}

function urlWith(x: unknown, protocols: readonly string[]): string | undefined {
  const s = text(x, MAX_URL);
  if (s === undefined || !URL.canParse(s)) return undefined;
  return protocols.includes(new URL(s).protocol) ? s : undefined;
}

function wsUrl(x: unknown): string | undefined {
  return urlWith(x, ['ws:', 'wss:']);
}

function httpBase(x: unknown): string | undefined {
  return urlWith(x, ['http:', 'https:']);
}

/**
 * The process a new room should go to: among live, non-draining processes with room to spare,
 * the one with the largest share of its client capacity free, then of its room capacity, then
 * the smallest id (so every caller picks the same one from the same records). Undefined when
 * every process is draining or full.
 *
 * @example
 * const target = leastLoaded(await processes.list());
 */
export function leastLoaded(records: readonly ProcessRecord[]): ProcessRecord | undefined {
  let best: ProcessRecord | undefined;
  let bestClients = -1;
  let bestRooms = -1;
  for (const p of records) {
    if (p.draining) continue;
    const clients = headroom(p.load.clients, p.capacity.clients);
    const rooms = headroom(p.load.rooms, p.capacity.rooms);
    if (clients <= 0 || rooms <= 0) continue;
    if (clients > bestClients || (clients === bestClients && (rooms > bestRooms || (rooms === bestRooms && best !== undefined && p.id < best.id)))) {
      best = p;
      bestClients = clients;
      bestRooms = rooms;
    }
  }
  return best;
}

/** The free share of a capacity, 0 when full (or when the capacity is 0). */
function headroom(used: number, capacity: number): number {
  return capacity > 0 ? Math.max(0, 1 - used / capacity) : 0;
}

/**
 * The process registry of a single process (and of tests): a map on the process's clock.
 *
 * @example
 * const processes = new MemoryProcessRegistry(systemClock);
 * await processes.heartbeat(info, 6000);
 */
export class MemoryProcessRegistry implements ProcessRegistry {
  private readonly records = new Map<string, ProcessRecord>();

  constructor(private readonly clock: Clock) {}

  async heartbeat(info: ProcessInfo, ttlMs: number): Promise<ProcessRecord> {
    const checked = checkProcessInfo(info);
    const rec: ProcessRecord = { ...checked, expiresAt: this.clock.now() + checkTtl(ttlMs) };
    this.records.set(rec.id, rec);
    return rec;
  }

  async remove(id: string): Promise<void> {
    this.records.delete(id);
  }

  async get(id: string): Promise<ProcessRecord | undefined> {
    const rec = this.records.get(id);
    return rec && rec.expiresAt > this.clock.now() ? rec : undefined;
  }

  async list(): Promise<ProcessRecord[]> {
    const now = this.clock.now();
    const live: ProcessRecord[] = [];
    for (const [id, rec] of this.records) {
      if (rec.expiresAt > now) live.push(rec);
      else this.records.delete(id);
    }
    return live;
  }
}
