/**
 * A cluster of real processes for the chaos test and the failover measurement: a gateway and
 * game processes, each `tickwire serve` / `tickwire gateway` from this repository's sources in a
 * process of its own (so it can be killed with SIGKILL, paused with SIGSTOP, drained with
 * SIGTERM), on port 0, sharing a Redis key prefix and a PostgreSQL database (the caller makes
 * both fresh and removes them). The processes run the vault room of fixtures/chaos-rooms.ts.
 *
 * Also here: bots (the SDK through the gateway, playing and depositing, keeping every deposit
 * the server acknowledged) and a watch that samples who owns what while the test runs.
 *
 * No test framework is imported, so the failover measurement in bench/ runs on it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { anonymousIdentity, connect, type ClientRoom, type ReconnectedInfo } from '@tickwire/client/node';
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import type { Storage } from '@tickwire/storage';
import { Redis } from 'ioredis';
import { chaos, type Chaos } from './fixtures/chaos-rooms.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ROOMS_MODULE = fileURLToPath(new URL('./fixtures/chaos-rooms.ts', import.meta.url));

/** The deployment the processes share. */
export interface ChaosDeployment {
  redisUrl: string;
  /** The Redis key prefix of this deployment (TICKWIRE_REDIS_PREFIX). */
  prefix: string;
  /** PostgreSQL, a database or schema of this deployment's own. */
  databaseUrl: string;
  secret: string;
  adminToken: string;
  /** More environment for the game processes (TICKWIRE_HEARTBEAT_MS...); what is not set takes tickwire serve's defaults. */
  processEnv?: Record<string, string>;
}

/** `tickwire <command>` in a process of its own: its first stdout line (JSON), its stderr log lines, how it ended. */
export class TickwireChild {
  /** Every line it wrote on stderr (pino's JSON lines). */
  readonly logs: string[] = [];
  /** Resolves once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  private constructor(args: readonly string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', `${root}scripts/tickwire.ts`, ...args], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.logs.push(line));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `tickwire <args>` and resolves with it and its first stdout line once it printed one. */
  static async start(args: readonly string[], env: Record<string, string>): Promise<{ child: TickwireChild; line: Record<string, unknown> }> {
    const child = new TickwireChild(args, env);
    const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
      void child.exited.then(({ code, signal }) => reject(new Error(`tickwire ${args[0]} exited (${signal ?? `code ${code}`}) before it was ready:\n${child.logs.slice(-5).join('\n')}`)));
      createInterface({ input: child.child.stdout! }).once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
    });
    return { child, line };
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** The log lines that parse as JSON objects. */
  entries(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.logs) {
      try {
        const v: unknown = JSON.parse(line);
        if (typeof v === 'object' && v !== null) out.push(v as Record<string, unknown>);
      } catch {
        // Not a log entry (a stack trace printed by Node, say).
      }
    }
    return out;
  }
}

/** A game process of the cluster. */
export interface GameProcess {
  id: string;
  /** Where players connect. */
  url: string;
  /** Its HTTP base (health, admin API). */
  httpUrl: string;
  child: TickwireChild;
}

/** A room as a process's admin API lists it. */
export interface ListedRoom {
  code: string;
  epoch: number | null;
  players: { userId: string; connected: boolean }[];
}

/** A gateway and game processes, each a process of its own. */
export class ChildCluster {
  readonly processes = new Map<string, GameProcess>();
  /** The cluster's registries, read here on a connection of the cluster object's own. */
  readonly registry: RedisRegistry;
  readonly processRegistry: RedisProcessRegistry;
  private readonly redis: Redis;

  private constructor(
    private readonly d: ChaosDeployment,
    readonly gateway: string,
    readonly gatewayChild: TickwireChild,
  ) {
    this.redis = new Redis(d.redisUrl, { maxRetriesPerRequest: 1 });
    this.registry = new RedisRegistry(this.redis, { prefix: d.prefix });
    this.processRegistry = new RedisProcessRegistry(this.redis, { prefix: d.prefix });
  }

  /** Starts the gateway and game processes `ids`, all at once. */
  static async start(d: ChaosDeployment, ids: readonly string[]): Promise<ChildCluster> {
    const shared = { REDIS_URL: d.redisUrl, TICKWIRE_REDIS_PREFIX: d.prefix, TICKWIRE_SECRET: d.secret, TICKWIRE_ADMIN_TOKEN: d.adminToken };
    const [gw, ...games] = await Promise.allSettled([
      TickwireChild.start(['gateway', '--port', '0', '--host', '127.0.0.1'], { ...shared, LOG_LEVEL: 'warn' }),
      ...ids.map((id) => startGame(d, id)),
    ]);
    const started = [gw, ...games].flatMap((r) => (r.status === 'fulfilled' ? [r.value.child] : []));
    const failed = [gw, ...games].find((r) => r.status === 'rejected');
    if (failed || gw!.status !== 'fulfilled') {
      for (const child of started) child.signal('SIGKILL');
      throw failed?.status === 'rejected' ? failed.reason : new Error('the gateway did not start');
    }
    const cluster = new ChildCluster(d, String(gw.value.line.gateway), gw.value.child);
    for (const g of games) if (g.status === 'fulfilled') cluster.processes.set(g.value.id, g.value);
    return cluster;
  }

  /** Starts one more game process. */
  async add(id: string): Promise<GameProcess> {
    const p = await startGame(this.d, id);
    this.processes.set(id, p);
    return p;
  }

  /** A game process by id (throws for one this cluster never started). */
  process(id: string): GameProcess {
    const p = this.processes.get(id);
    if (!p) throw new Error(`no process ${id} in this cluster`);
    return p;
  }

  /** A process's admin API, with the deployment's token. */
  async admin(id: string, method: 'GET' | 'POST', path: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
    const res = await fetch(new URL(path, this.process(id).httpUrl), {
      method,
      headers: { authorization: `Bearer ${this.d.adminToken}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.json() };
  }

  /** The rooms process `id` has open, or undefined when it does not answer within `timeoutMs` (dead, paused). */
  async roomsOf(id: string, timeoutMs = 1000): Promise<ListedRoom[] | undefined> {
    try {
      const { status, body } = await this.admin(id, 'GET', '/api/admin/rooms', timeoutMs);
      return status === 200 ? (body as { rooms: ListedRoom[] }).rooms : undefined;
    } catch {
      return undefined;
    }
  }

  /** Where each room is open, by the processes that answer: code to process id and epoch. */
  async openRooms(timeoutMs = 500): Promise<Map<string, { process: string; epoch: number }>> {
    const out = new Map<string, { process: string; epoch: number }>();
    await Promise.all(
      [...this.processes.values()].map(async (p) => {
        for (const r of (await this.roomsOf(p.id, timeoutMs)) ?? []) out.set(r.code, { process: p.id, epoch: r.epoch ?? 0 });
      }),
    );
    return out;
  }

  /** Stops every process still running (SIGKILL: the test is over) and closes the registries' connection. */
  async close(): Promise<void> {
    const children = [this.gatewayChild, ...[...this.processes.values()].map((p) => p.child)].filter((c) => c.running);
    for (const c of children) {
      c.signal('SIGCONT');
      c.signal('SIGKILL');
    }
    await Promise.all(children.map((c) => c.exited));
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

async function startGame(d: ChaosDeployment, id: string): Promise<GameProcess> {
  const { child, line } = await TickwireChild.start(['serve', '--rooms', ROOMS_MODULE, '--port', '0', '--host', '127.0.0.1'], {
    REDIS_URL: d.redisUrl,
    TICKWIRE_REDIS_PREFIX: d.prefix,
    DATABASE_URL: d.databaseUrl,
    TICKWIRE_SECRET: d.secret,
    TICKWIRE_ADMIN_TOKEN: d.adminToken,
    TICKWIRE_PROCESS_ID: id,
    ...d.processEnv,
  });
  return { id, url: String(line.url), httpUrl: String(line.httpUrl), child };
}

/** The processes that have `codes` open (process id to its codes), by `open`. */
export function byProcess(open: Map<string, { process: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [code, { process }] of open) out.set(process, [...(out.get(process) ?? []), code]);
  return out;
}

/** The process among `ids` with the most of the open rooms, and those rooms. */
export function busiest(open: Map<string, { process: string }>, ids: readonly string[]): [string, string[]] {
  const held = byProcess(open);
  const id = [...ids].sort((a, b) => (held.get(b)?.length ?? 0) - (held.get(a)?.length ?? 0))[0]!;
  return [id, held.get(id) ?? []];
}

/** A player's drop: the close code and reason the reconnect started from. */
export interface Drop {
  code: number;
  reason: string;
  at: number;
}

/** How long a bot waits between deposits. */
const DEPOSIT_GAP_MS = 400;
/** How often a bot sends an input. */
const INPUT_MS = 100;

/**
 * A player through the gateway: it runs back and forth by input and deposits into the vault
 * (txid 1, 2, ...), retrying each deposit with the same txid until it is acknowledged, so every
 * txid it gives up on has none: `acked` holds each acknowledged txid with its amount.
 */
export class Bot {
  readonly acked = new Map<number, number>();
  readonly drops: Drop[] = [];
  readonly reconnects: (ReconnectedInfo & { at: number })[] = [];
  /** Deposits that failed and were sent again. */
  retries = 0;
  private running = false;
  private txid = 0;
  private depositing: Promise<void> = Promise.resolve();
  private inputTimer: ReturnType<typeof setInterval> | undefined;
  /** The first input seq sent since the last (re)connection (0: none yet). */
  private firstInputSince = 0;

  private constructor(
    readonly room: ClientRoom<Chaos>,
    readonly userId: string,
    readonly name: string,
  ) {
    room.on('reconnecting', ({ attempt, code, reason }) => {
      if (attempt === 1) this.drops.push({ code, reason, at: Date.now() });
    });
    room.on('reconnected', (info) => {
      this.reconnects.push({ ...info, at: Date.now() });
      this.firstInputSince = 0;
    });
  }

  /** Joins through `gateway` as a new anonymous user: a new room of type vault, or room `code`. */
  static async join(gateway: string, target: { create: 'vault' } | { room: string }, name: string): Promise<Bot> {
    const identity = await anonymousIdentity(gateway);
    const room = await connect({
      gateway,
      ...target,
      name,
      token: identity.token,
      protocol: chaos,
      // A paused server is silent: noticed after 2 s, as a drop.
      silenceTimeoutMs: 2000,
      pingIntervalMs: 500,
      interpolation: false,
      decodeEntities: false,
      reconnect: { initialDelayMs: 100, maxDelayMs: 500, attempts: 1000, windowMs: 30_000, attemptTimeoutMs: 2000 },
    });
    return new Bot(room, identity.userId, name);
  }

  /** Starts playing and depositing. */
  start(): void {
    this.running = true;
    let dx = 1;
    let sent = 0;
    this.inputTimer = setInterval(() => {
      if (++sent % 20 === 0) dx = -dx;
      const seq = this.room.sendInput({ dx });
      if (seq > 0 && this.firstInputSince === 0) this.firstInputSince = seq;
    }, INPUT_MS);
    this.depositing = this.depositLoop();
  }

  /** Connected, and an input sent since the last (re)connection has been acknowledged. */
  get playing(): boolean {
    return this.room.status === 'connected' && this.firstInputSince > 0 && this.room.ackedInput >= this.firstInputSince;
  }

  /** The sum of the acknowledged deposits. */
  get balance(): number {
    let sum = 0;
    for (const amount of this.acked.values()) sum += amount;
    return sum;
  }

  /** Stops sending inputs and starting deposits; resolves once the deposit under way is acknowledged (or the room closed). */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.inputTimer);
    await this.depositing;
  }

  /** Leaves the room for good, once the deposit under way is acknowledged. */
  async leave(): Promise<void> {
    await this.stop();
    this.room.leave();
  }

  /** Leaves at once, whatever is under way (the deposit loop ends with the room). */
  close(): void {
    this.running = false;
    clearInterval(this.inputTimer);
    this.room.leave();
  }

  private async depositLoop(): Promise<void> {
    while (this.running) {
      const txid = ++this.txid;
      const amount = 1 + (txid % 9);
      while (!(await this.deposit(txid, amount))) {
        if (this.room.status === 'closed') return;
        this.retries++;
      }
      if (this.running) await new Promise((r) => setTimeout(r, DEPOSIT_GAP_MS));
    }
  }

  /** One attempt: true once acknowledged. While reconnecting, waits for the room to be back first. */
  private async deposit(txid: number, amount: number): Promise<boolean> {
    if (this.room.status === 'reconnecting') {
      await new Promise<void>((resolve) => {
        const offs = [this.room.once('reconnected', () => done()), this.room.once('close', () => done())];
        const done = () => {
          for (const off of offs) off();
          resolve();
        };
      });
    }
    if (this.room.status !== 'connected') return false;
    try {
      await this.room.sendCommand('bank', 'deposit', { txid, amount });
      this.acked.set(txid, amount);
      return true;
    } catch {
      // Refused by a copy that lost the room, or lost with the connection: the same txid again.
      await new Promise((r) => setTimeout(r, 50));
      return false;
    }
  }
}

/**
 * Samples, as often as it can, who owns each room, from three sides, and keeps what breaks
 * "one room, one owner":
 * - the room registry: each code's epoch never goes down, and one epoch has one owner;
 * - storage: each room's owner epoch (the fencing token) never goes down;
 * - the processes' own lists of open rooms (read after the registry in each sample): no code is
 *   open with one epoch in two processes, and no process lists a copy older than the claim the
 *   registry held before it answered, except processes in `waking` (paused ones, which hold
 *   such copies until they notice; the test checks that they close them).
 */
export class OwnershipWatch {
  readonly violations: string[] = [];
  /** Processes allowed to list copies they lost (paused and woken up, not yet noticed). */
  readonly waking = new Set<string>();
  samples = 0;
  private readonly claims = new Map<string, { epoch: number; owner: string }>();
  private readonly stored = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: ChildCluster,
    private readonly storage: Storage,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.sample();
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async sample(): Promise<void> {
    const [claims, rows] = await Promise.all([this.cluster.registry.list(), this.storage.db.selectFrom('rooms').select(['code', 'owner_epoch']).execute()]);
    const ids = [...this.cluster.processes.keys()];
    const listings = await Promise.all(ids.map((id) => this.cluster.roomsOf(id, 500)));
    this.samples++;
    const live = new Map<string, number>();
    for (const c of claims) {
      live.set(c.code, c.epoch);
      const seen = this.claims.get(c.code);
      if (seen && c.epoch < seen.epoch) this.violations.push(`registry: ${c.code} went from epoch ${seen.epoch} back to ${c.epoch}`);
      if (seen && c.epoch === seen.epoch && c.owner !== seen.owner) this.violations.push(`registry: ${c.code} epoch ${c.epoch} held by ${seen.owner} and by ${c.owner}`);
      if (!seen || c.epoch >= seen.epoch) this.claims.set(c.code, { epoch: c.epoch, owner: c.owner });
    }
    for (const row of rows) {
      const epoch = Number(row.owner_epoch);
      const seen = this.stored.get(row.code);
      if (seen !== undefined && epoch < seen) this.violations.push(`storage: ${row.code} owner epoch went from ${seen} back to ${epoch}`);
      if (seen === undefined || epoch > seen) this.stored.set(row.code, epoch);
    }
    const copies = new Map<string, string>();
    ids.forEach((id, i) => {
      for (const r of listings[i] ?? []) {
        const epoch = r.epoch ?? 0;
        const key = `${r.code}@${epoch}`;
        const other = copies.get(key);
        if (other !== undefined) this.violations.push(`processes: ${r.code} open with epoch ${epoch} in ${other} and in ${id}`);
        copies.set(key, id);
        const claimed = live.get(r.code);
        if (claimed !== undefined && epoch < claimed && !this.waking.has(id)) {
          this.violations.push(`processes: ${id} lists ${r.code} at epoch ${epoch} after the registry gave it epoch ${claimed}`);
        }
      }
    });
  }
}
