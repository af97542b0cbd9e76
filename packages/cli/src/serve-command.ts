/**
 * `tickwire serve`: runs a game module's rooms as one game process of a cluster, configured by
 * the environment (and a few flags), until SIGTERM (it drains: rooms run on until they end or the
 * drain deadline, then are handed off) or SIGINT (it hands its rooms off at once). Logs go to
 * stderr; stdout carries one JSON line once the process has joined the cluster
 * (`{ "process": id, "url": ws url, "httpUrl": http base, "port": n }`), so a script that starts
 * it on port 0 can read where it is.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://... TICKWIRE_SECRET=... \
 *     npx tickwire serve --rooms dist/rooms.js --port 9001
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import { createServer, hostFromEnv, type ClusterOptions, type ServerOptions } from '@tickwire/server';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { AgonesReporter, AgonesSdk, agonesPublicUrl } from './agones.js';
import { UsageError, describeFlags, numberFlag, parseArgs, type FlagSpec } from './args.js';
import { GameModuleError, loadGameModule, locateGameModule } from './game-module.js';
import type { Output } from './main.js';

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'rooms', value: 'FILE', help: 'the game module: exports `rooms` (default: "tickwire.rooms" in the nearest package.json)' },
  { name: 'port', value: 'N', help: 'port to listen on (default PORT, else 8080; 0 picks a free one)' },
  { name: 'host', value: 'HOST', help: 'address to listen on (default HOST, else every interface)' },
  { name: 'static', value: 'DIR', help: "a folder of static files to serve (a game's built page)" },
  { name: 'help', help: 'print this help' },
];

export const SERVE_HELP = `usage: tickwire serve [--rooms FILE] [--port N] [--host HOST] [--static DIR]

Runs a game module's rooms as one game process of a tickwire cluster: it registers in Redis,
heartbeats its load, admits players with the gateway's join tickets, takes over the rooms of
processes that die, and drains on SIGTERM. Prints {"process", "url", "httpUrl", "port"} on
stdout once it has joined the cluster.

${describeFlags(SERVE_FLAGS)}

Environment:
  REDIS_URL                  the cluster's Redis (default redis://127.0.0.1:6379)
  TICKWIRE_REDIS_PREFIX      key prefix of the deployment (default tickwire:)
  DATABASE_URL               the database every process shares (postgres://...; default SQLite in ./data)
  TICKWIRE_SECRET            the secret the gateway and every process share (required)
  PUBLIC_URL                 where players connect (default ws://<bound address>/ws)
  INTERNAL_URL               where the gateway calls this process (default http://<bound address>)
  TICKWIRE_PROCESS_ID        this process's id (default <hostname>-<random>)
  TICKWIRE_CAPACITY_ROOMS, TICKWIRE_CAPACITY_CLIENTS   what the gateway may place here
  TICKWIRE_HEARTBEAT_MS (1000), TICKWIRE_PROCESS_TTL_MS (3000), TICKWIRE_DRAIN_DEADLINE_MS (600000)
  TICKWIRE_REQUIRE_TICKETS   0 admits players without a gateway ticket (development only)
  TICKWIRE_ADMIN_TOKEN, TICKWIRE_JWT_SECRET / TICKWIRE_JWKS_URL, TICKWIRE_HOST, LOG_LEVEL
  AGONES_SDK_HTTP_PORT       set by Agones: report to its SDK sidecar (Ready, health, rooms and
                             players counters; the public address when PUBLIC_URL is not set)
See docs/scaling.md.
`;

type Env = Readonly<Record<string, string | undefined>>;

/** An optional whole-number variable within [min, max]. */
function envNumber(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  return n;
}

/** The cluster options the environment sets (everything but the registries). */
export function clusterFromEnv(env: Env): Omit<ClusterOptions, 'processes'> {
  const tickets = env.TICKWIRE_REQUIRE_TICKETS?.trim();
  if (tickets !== undefined && tickets !== '' && tickets !== '0' && tickets !== '1') throw new UsageError(`TICKWIRE_REQUIRE_TICKETS must be 1 or 0, got "${tickets.slice(0, 40)}"`);
  return {
    url: env.PUBLIC_URL?.trim() || undefined,
    httpUrl: env.INTERNAL_URL?.trim() || undefined,
    capacity: { rooms: envNumber(env, 'TICKWIRE_CAPACITY_ROOMS', 0, 1_000_000), clients: envNumber(env, 'TICKWIRE_CAPACITY_CLIENTS', 0, 10_000_000) },
    heartbeatMs: envNumber(env, 'TICKWIRE_HEARTBEAT_MS', 10, 600_000),
    processTtlMs: envNumber(env, 'TICKWIRE_PROCESS_TTL_MS', 20, 3_600_000),
    drainDeadlineMs: envNumber(env, 'TICKWIRE_DRAIN_DEADLINE_MS', 10, 24 * 3_600_000),
    requireTickets: tickets !== '0',
  };
}

/**
 * @tickwire/storage, loaded when serving: an optional peer of this package (a game that runs a
 * cluster has it for its rooms' state), so that installing the CLI for `tickwire bots` does not
 * build a SQLite driver.
 */
async function storageModule(): Promise<typeof import('@tickwire/storage')> {
  try {
    return await import('@tickwire/storage');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new Error('tickwire serve keeps rooms in a database through @tickwire/storage: npm install @tickwire/storage');
    throw err;
  }
}

/** What ends the process: resolves with the signal's name (tests pass their own). */
export type Signals = (on: (signal: 'SIGTERM' | 'SIGINT') => void) => () => void;

const processSignals: Signals = (on) => {
  const term = () => on('SIGTERM');
  const int = () => on('SIGINT');
  process.on('SIGTERM', term);
  process.on('SIGINT', int);
  return () => {
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
  };
};

/**
 * Runs `tickwire serve` (argv without the command word); resolves with the exit code once the
 * process has stopped (a signal, or a drain asked for on its admin endpoint).
 */
export async function serveCommand(argv: readonly string[], out: Output, err: Output, env: Env, cwd = process.cwd(), signals: Signals = processSignals): Promise<number> {
  let options: { rooms: string | undefined; port: number; host: string | undefined; staticDir: string | undefined; cluster: Omit<ClusterOptions, 'processes'> };
  let agones: AgonesSdk | undefined;
  try {
    const args = parseArgs(argv, SERVE_FLAGS);
    if (args.switches.has('help')) {
      out.write(SERVE_HELP);
      return 0;
    }
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}": flags start with --`);
    const port = args.values.has('port') ? numberFlag(args, 'port', 8080, 0) : (envNumber(env, 'PORT', 0, 65535) ?? 8080);
    if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be a port number (0-65535), got ${args.values.get('port')}`);
    options = { rooms: args.values.get('rooms'), port, host: args.values.get('host') ?? (env.HOST || undefined), staticDir: args.values.get('static'), cluster: clusterFromEnv(env) };
    if (!env.TICKWIRE_SECRET) throw new UsageError('TICKWIRE_SECRET is not set: give the gateway and every game process the same secret of 32 random bytes');
    agones = AgonesSdk.fromEnv(env);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof RangeError)) throw e;
    err.write(`${e.message}\n\n${SERVE_HELP}`);
    return 2;
  }

  let rooms;
  try {
    rooms = await loadGameModule(locateGameModule(options.rooms, cwd));
  } catch (e) {
    if (!(e instanceof GameModuleError)) throw e;
    err.write(`tickwire serve: ${e.message}\n`);
    return 2;
  }

  const logger = pino({ level: env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  if (agones && !options.cluster.url) {
    try {
      options.cluster.url = await agonesPublicUrl(agones, { logger });
    } catch (e) {
      err.write(`tickwire serve: ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (!env.DATABASE_URL) {
    // Failover rebuilds a room from its checkpoint: only processes that read the same files can.
    logger.warn(
      { database: './data/tickwire.db' },
      'DATABASE_URL is not set: rooms are stored in SQLite under ./data, which only processes on this machine started from this folder share; processes on other machines could not take this one\'s rooms over. Give every process the same postgres:// DATABASE_URL',
    );
  }
  const prefix = env.TICKWIRE_REDIS_PREFIX || 'tickwire:';
  const redis = new Redis(env.REDIS_URL || 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, lazyConnect: true });
  const id = env.TICKWIRE_PROCESS_ID || `${hostname()}-${randomBytes(3).toString('hex')}`;
  let storage;
  try {
    const { openStorage } = await storageModule();
    await redis.connect();
    storage = await openStorage({ url: env.DATABASE_URL || undefined, logger });
  } catch (e) {
    redis.disconnect();
    err.write(`tickwire serve: ${(e as Error).message}: check REDIS_URL and DATABASE_URL\n`);
    return 1;
  }
  const serverOptions: ServerOptions = {
    rooms,
    storage,
    logger,
    env,
    processId: id,
    host: hostFromEnv(env),
    registry: new RedisRegistry(redis, { prefix }),
    cluster: { ...options.cluster, processes: new RedisProcessRegistry(redis, { prefix }) },
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
  };
  const release = async () => {
    await storage.close().catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
  };
  let server;
  let reporter: AgonesReporter | undefined;
  try {
    server = createServer(serverOptions);
    const bound = await server.listen(options.port, options.host);
    const record = await server.cluster!.processes.get(id);
    out.write(`${JSON.stringify({ process: id, url: record?.url ?? bound.wsUrl, httpUrl: record?.httpUrl ?? bound.url, port: bound.port })}\n`);
    if (agones) {
      const served = server;
      const capacity = served.cluster!.capacity;
      reporter = new AgonesReporter(agones, { load: () => ({ rooms: served.rooms.size, players: served.clientCount() }), capacity: { rooms: capacity.rooms, players: capacity.clients }, logger });
      await reporter.start();
    }
  } catch (e) {
    err.write(`tickwire serve: ${(e as Error).message}\n`);
    await server?.close().catch(() => undefined);
    await release();
    return 1;
  }
  const running = server;
  let signalled = false;
  const forced = new Promise<number>((resolve) => {
    const stop = signals((signal) => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting now');
        stop();
        resolve(1);
        return;
      }
      signalled = true;
      logger.info({ signal }, signal === 'SIGTERM' ? 'draining, then stopping' : 'handing rooms off and stopping');
      void (signal === 'SIGTERM' ? running.drain() : running.close());
    });
    void running.closed.then(() => stop());
  });
  const code = await Promise.race([running.closed.then(() => 0), forced]);
  // Under Agones the GameServer is done: it is deleted (a Fleet makes a new one), not restarted in place.
  await reporter?.stop(true);
  await release();
  return code;
}
