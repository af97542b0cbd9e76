/**
 * The server under fuzz, in a process of its own: an uncaught exception ends this process and
 * nothing else, which is how the harness tells a crash from a refusal.
 *
 *   node --conditions=source --import tsx tests/src/fuzz/server-process.ts '{"limits":{...}}'
 *
 * Serves the arena room on 127.0.0.1, port 0. Prints one JSON line ({ url, wsUrl, port, pid })
 * on stdout once listening; logs (warn and above) go to stderr as JSON lines. SIGTERM shuts it
 * down gracefully.
 */
import { arenaRoom } from '@tickwire/arena/room';
import { createServer, type ServerOptions } from '@tickwire/server';
import { openStorage } from '@tickwire/storage';
import { pino } from 'pino';

export interface ServerProcessConfig {
  /** Server limits (createServer's `limits`). */
  limits: Record<string, number>;
  /** SQLite file for the arena's durable state; none when absent. */
  db?: string;
  /** A folder of static files to serve, so static paths are fuzzed too. */
  staticDir?: string;
}

function parseConfig(text: string | undefined): ServerProcessConfig {
  const raw: unknown = JSON.parse(text ?? '{}');
  if (typeof raw !== 'object' || raw === null) throw new Error('the config must be a JSON object');
  const { limits = {}, db, staticDir } = raw as { limits?: unknown; db?: unknown; staticDir?: unknown };
  if (typeof limits !== 'object' || limits === null || !Object.values(limits).every((v) => typeof v === 'number')) {
    throw new Error('limits must be an object of numbers');
  }
  return {
    limits: limits as Record<string, number>,
    db: typeof db === 'string' ? db : undefined,
    staticDir: typeof staticDir === 'string' ? staticDir : undefined,
  };
}

const config = parseConfig(process.argv[2]);
const logger = pino({ level: 'warn' }, pino.destination(2));
const storage = config.db ? await openStorage({ url: config.db, logger }) : undefined;
const server = createServer({
  rooms: arenaRoom(),
  logger,
  storage,
  staticDir: config.staticDir,
  processMetrics: false,
  // The harness passes only names the server declares; resolveLimits checks every value.
  limits: config.limits as ServerOptions['limits'],
});
server.handleSignals((code) => {
  void (storage ? storage.close() : Promise.resolve()).finally(() => process.exit(code));
});
const addr = await server.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ url: addr.url, wsUrl: addr.wsUrl, port: addr.port, pid: process.pid })}\n`);
