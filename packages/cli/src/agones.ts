/**
 * `tickwire serve` as an Agones GameServer. Agones sets AGONES_SDK_HTTP_PORT in the game server's
 * container and runs an SDK sidecar that answers a small REST API on the pod's loopback; this
 * module speaks that API with fetch (no SDK package, no gRPC):
 *
 * - `GET /gameserver` gives the address and host port players reach the pod at, which becomes
 *   the process's public URL when PUBLIC_URL is not set;
 * - two Counters, `rooms` and `players` (`PATCH /v1beta1/counters/{name}`), carry the process's
 *   capacity and load, so a FleetAutoscaler with a Counter policy can keep spare room capacity;
 * - `POST /ready` once the process serves, `POST /health` every few seconds after that, and
 *   `POST /shutdown` when it ends by itself (a drain through the admin API), so Agones replaces
 *   it instead of restarting it in place.
 *
 * It lives beside the serve command rather than in @tickwire/server because the runtime has no
 * business knowing which orchestrator runs it: the command reads the runtime's load and reports.
 */
import { systemClock, type Clock, type TimerHandle } from '@tickwire/protocol';
import { pino, type Logger } from 'pino';

/** An Agones Counter as the sidecar reports it. */
export interface AgonesCounter {
  readonly name: string;
  readonly count: number;
  readonly capacity: number;
}

/** Where players reach this GameServer: the node's address and the host port Agones gave the pod. */
export interface AgonesAddress {
  readonly address: string;
  readonly port: number;
}

/** A call to the sidecar failed: unreachable (`status` undefined), or it answered an error. */
export class AgonesError extends Error {
  override readonly name = 'AgonesError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** The largest answer read from the sidecar (a GameServer object with its annotations and labels). */
const MAX_ANSWER = 1024 * 1024;
/** Counter counts and capacities are int64 in Agones, strings on the JSON wire; ours stay far below 2^53. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * A client of the Agones SDK sidecar's REST API.
 *
 * @example
 * const sdk = AgonesSdk.fromEnv(process.env); // undefined when not running under Agones
 * await sdk?.ready();
 */
export class AgonesSdk {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  /**
   * `host` defaults to 127.0.0.1, not `localhost`: the sidecar listens on IPv4 loopback, and
   * Node may try `::1` first for `localhost`.
   */
  constructor(port: number, options: { host?: string; timeoutMs?: number } = {}) {
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new RangeError(`the Agones SDK port must be 1-65535, got ${port}`);
    this.baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /** The sidecar named by AGONES_SDK_HTTP_PORT, or undefined when the variable is not set (not under Agones). */
  static fromEnv(env: Readonly<Record<string, string | undefined>>): AgonesSdk | undefined {
    const raw = env.AGONES_SDK_HTTP_PORT;
    if (raw === undefined || raw === '') return undefined;
    const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new RangeError(`AGONES_SDK_HTTP_PORT must be a port number (1-65535), got "${raw.slice(0, 20)}"`);
    return new AgonesSdk(port);
  }

  /** The GameServer can take players (Agones moves it to Ready). */
  async ready(): Promise<void> {
    await this.call('POST', '/ready', {});
  }

  /** One health ping; Agones marks the GameServer Unhealthy when they stop. */
  async health(): Promise<void> {
    await this.call('POST', '/health', {});
  }

  /** The GameServer is done: Agones deletes it (and a Fleet makes a new one). */
  async shutdown(): Promise<void> {
    await this.call('POST', '/shutdown', {});
  }

  /**
   * Where players reach the pod (the GameServer's status address and the host port of the port
   * named `portName`, else its first port), or undefined while it is not scheduled yet.
   */
  async address(portName = 'default'): Promise<AgonesAddress | undefined> {
    const body = await this.call('GET', '/gameserver');
    const status = field(body, 'status');
    const address = field(status, 'address');
    const ports = field(status, 'ports');
    if (typeof address !== 'string' || address === '' || !Array.isArray(ports) || ports.length === 0) return undefined;
    if (address.length > 255 || !/^[0-9A-Za-z.:\-]+$/.test(address)) throw new AgonesError(`the GameServer's address is not a host name or IP: "${address.slice(0, 60)}"`, 200);
    const chosen = ports.find((p) => field(p, 'name') === portName) ?? ports[0];
    const port = field(chosen, 'port');
    if (!(typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw new AgonesError(`the GameServer's port is not a port number: ${JSON.stringify(port)?.slice(0, 20)}`, 200);
    }
    return { address, port };
  }

  /**
   * Sets a Counter's count, and its capacity when given. Agones refuses a count above the
   * capacity (OUT_OF_RANGE) and an undeclared counter (NOT_FOUND, status 404).
   */
  async setCounter(name: string, count: number, capacity?: number): Promise<AgonesCounter> {
    if (!/^[A-Za-z0-9_.-]{1,63}$/.test(name)) throw new RangeError(`an Agones counter name is 1-63 letters, digits, '_', '.' or '-', got "${name.slice(0, 70)}"`);
    const body: Record<string, string> = { name, count: String(whole(count, 'count')) };
    if (capacity !== undefined) body.capacity = String(whole(capacity, 'capacity'));
    const answer = await this.call('PATCH', `/v1beta1/counters/${name}`, body);
    return { name, count: int64(field(answer, 'count'), 'count'), capacity: int64(field(answer, 'capacity'), 'capacity') };
  }

  private async call(method: string, path: string, body?: object): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw new AgonesError(`the Agones SDK sidecar at ${this.baseUrl} did not answer ${method} ${path} (${err instanceof Error ? err.message : String(err)})`, undefined);
    }
    const text = await readCapped(res);
    if (!res.ok) throw new AgonesError(`the Agones SDK sidecar answered ${method} ${path} with ${res.status}: ${text.slice(0, 200)}`, res.status);
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new AgonesError(`the Agones SDK sidecar answered ${method} ${path} with something other than JSON: ${text.slice(0, 80)}`, res.status);
    }
  }
}

/** What the process reports: how many rooms it runs and how many players it holds. */
export interface AgonesLoad {
  readonly rooms: number;
  readonly players: number;
}

export interface AgonesReporterOptions {
  /** The process's load now. */
  load: () => AgonesLoad;
  /** The Counters' capacities: the rooms and players the process takes. */
  capacity: AgonesLoad;
  /** How often to ping health and refresh the counters (default 2000 ms: well inside Agones' default 5 s period). */
  healthMs?: number;
  /** How long `start` keeps trying to reach the sidecar, which may start after the game (default 30 000 ms). */
  startTimeoutMs?: number;
  /** The Counters' names (default `rooms` and `players`), as the Fleet declares them. */
  counters?: { rooms: string; players: string };
  clock?: Clock;
  logger?: Logger;
}

/**
 * Keeps Agones told: capacities and Ready on `start`, then a health ping and the counters (only
 * those that changed) every `healthMs`, and Shutdown on `stop` when asked.
 *
 * @example
 * const reporter = new AgonesReporter(sdk, { load: () => ({ rooms: rooms.size, players: clients() }), capacity: { rooms: 100, players: 1000 } });
 * await reporter.start();
 */
export class AgonesReporter {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly healthMs: number;
  private readonly startTimeoutMs: number;
  private readonly names: { rooms: string; players: string };
  /** What each counter was last set to (undefined: not yet, or the last try failed); a counter Agones does not know is dropped. */
  private readonly sent = new Map<'rooms' | 'players', number | undefined>([
    ['rooms', undefined],
    ['players', undefined],
  ]);
  private timer: TimerHandle | null = null;
  private running = false;
  private beating: Promise<void> = Promise.resolve();

  constructor(
    readonly sdk: AgonesSdk,
    private readonly options: AgonesReporterOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ enabled: false });
    this.healthMs = options.healthMs ?? 2000;
    if (!(Number.isFinite(this.healthMs) && this.healthMs >= 100)) throw new RangeError(`healthMs must be at least 100 ms, got ${this.healthMs}`);
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.names = options.counters ?? { rooms: 'rooms', players: 'players' };
    whole(options.capacity.rooms, 'capacity.rooms');
    whole(options.capacity.players, 'capacity.players');
  }

  /**
   * Sets the counters' capacities and counts, then marks the GameServer Ready and starts the
   * health pings. Retries while the sidecar is not up yet; rejects after `startTimeoutMs`, or at
   * once when the sidecar refuses (a 4xx).
   */
  async start(): Promise<void> {
    await untilAnswered(this.clock, this.startTimeoutMs, this.logger, async () => {
      await this.updateCounters(true);
      await this.sdk.ready();
      return true;
    });
    this.running = true;
    this.logger.info({ sidecar: this.sdk.baseUrl }, 'Agones: GameServer Ready');
    this.schedule();
  }

  /** One health ping and the counters that changed; failures are logged and tried again next time. */
  beat(): Promise<void> {
    this.beating = (async () => {
      try {
        await this.sdk.health();
      } catch (err) {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Agones health ping failed');
      }
      await this.updateCounters(false).catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not update the Agones counters'));
    })();
    return this.beating;
  }

  /** Stops the pings; with `shutdown`, tells Agones the GameServer is done. */
  async stop(shutdown: boolean): Promise<void> {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.beating;
    if (shutdown) await this.sdk.shutdown().catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not tell Agones the GameServer is done'));
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.beat().finally(() => this.schedule());
    }, this.healthMs);
  }

  /** Sets each known counter whose value changed (all of them, with capacities, when `initial`). */
  private async updateCounters(initial: boolean): Promise<void> {
    let load: AgonesLoad;
    try {
      load = this.options.load();
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not read the load for the Agones counters');
      return;
    }
    for (const key of ['rooms', 'players'] as const) {
      if (!this.sent.has(key)) continue;
      const capacity = this.options.capacity[key];
      const count = Math.min(capacity, Math.max(0, Math.floor(Number.isFinite(load[key]) ? load[key] : 0)));
      if (!initial && this.sent.get(key) === count) continue;
      this.sent.set(key, undefined);
      try {
        await this.sdk.setCounter(this.names[key], count, initial ? capacity : undefined);
        this.sent.set(key, count);
      } catch (err) {
        if (err instanceof AgonesError && err.status === 404) {
          this.sent.delete(key);
          this.logger.warn(`Agones does not know the counter "${this.names[key]}": declare it under spec.template.spec.counters in the Fleet (see deploy/agones/fleet.yaml) to report ${key}`);
          continue;
        }
        throw err;
      }
    }
  }
}

/**
 * The GameServer's public WebSocket URL (`ws://address:port/ws`), for a process run by Agones
 * without PUBLIC_URL: waits up to `timeoutMs` for the sidecar to answer and the GameServer to
 * have an address (it gets one once it is scheduled on a node).
 *
 * @example
 * const url = await agonesPublicUrl(sdk); // 'ws://203.0.113.7:7342/ws'
 */
export async function agonesPublicUrl(sdk: AgonesSdk, options: { clock?: Clock; timeoutMs?: number; logger?: Logger } = {}): Promise<string> {
  const at = await untilAnswered(options.clock ?? systemClock, options.timeoutMs ?? 30_000, options.logger ?? pino({ enabled: false }), () => sdk.address());
  return `ws://${at.address.includes(':') ? `[${at.address}]` : at.address}:${at.port}/ws`;
}

/**
 * Runs `attempt` until it answers something other than undefined, waiting 250 ms (doubling up
 * to 2 s) between tries while the sidecar is unreachable or answers 5xx (it may start after the
 * game); rejects at once on any other error, and after `timeoutMs` with the last reason.
 */
async function untilAnswered<T>(clock: Clock, timeoutMs: number, logger: Logger, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    let why: string;
    try {
      const answer = await attempt();
      if (answer !== undefined) return answer;
      why = 'the GameServer has no address yet';
    } catch (err) {
      if (!(err instanceof AgonesError) || (err.status !== undefined && err.status < 500)) throw err;
      why = err.message;
    }
    if (clock.now() + wait > deadline) throw new AgonesError(`Agones did not answer within ${timeoutMs} ms: ${why}`, undefined);
    logger.info({ why }, 'waiting for the Agones SDK sidecar');
    await new Promise<void>((resolve) => clock.setTimeout(resolve, wait));
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.getOwnPropertyDescriptor(value, name)?.value : undefined;
}

function whole(n: number, what: string): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`${what} must be a whole number of at least 0, got ${n}`);
  return n;
}

/** An int64 from the sidecar's JSON: a decimal string (or a number) within 0..2^53. Absent means 0 (proto3 leaves zeros out). */
function int64(value: unknown, what: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_COUNT)) throw new AgonesError(`the Agones SDK sidecar answered a counter ${what} that is not a count: ${JSON.stringify(value)?.slice(0, 30)}`, 200);
  return n;
}

/** The body as text, read up to MAX_ANSWER bytes: past that the answer is refused and the rest never read. */
async function readCapped(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
    size += r.value.byteLength;
    if (size > MAX_ANSWER) {
      await reader?.cancel();
      throw new AgonesError(`the Agones SDK sidecar's answer is larger than ${MAX_ANSWER} bytes`, res.status);
    }
    chunks.push(Buffer.from(r.value));
  }
  return Buffer.concat(chunks).toString('utf8');
}
