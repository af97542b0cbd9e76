/**
 * Starts the arena: the game WebSocket at /ws and the built page on one port, with the world
 * kept in a database: SQLite in ./data/ by default (nothing to set up), PostgreSQL when
 * DATABASE_URL is a postgres:// URL.
 *
 *   PORT=8080 npm start                  # HOST picks the interface (default: all)
 *   TICKWIRE_HOST=uws npm start          # served by uWebSockets.js instead of node:http + ws
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm start
 *   TICKWIRE_SECRET=<32+ random chars> npm start
 *   TICKWIRE_RECORD=recordings npm start  # each room's recording saved there when it ends, for `tickwire replay`
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, hostFromEnv, type HostKind, type RecordOptions } from '@tickwire/server';
import { openStorage } from '@tickwire/storage';
import { pino } from 'pino';
import { arenaRoom } from './room.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const staticDir = fileURLToPath(new URL('../../dist/public', import.meta.url));
if (!existsSync(staticDir)) {
  console.error(`the arena page is not built (${staticDir} is missing): run "npm start" from the repository root, or "npm run build -w examples/arena"`);
  process.exit(1);
}

let host: HostKind;
try {
  host = hostFromEnv();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}

// The repository's data/ folder, wherever npm runs this from.
const defaultDb = fileURLToPath(new URL('../../../../data/arena.db', import.meta.url));
const url = process.env.DATABASE_URL || defaultDb;
let storage;
try {
  storage = await openStorage({ url, logger });
} catch (err) {
  console.error(`could not open the database: ${(err as Error).message}`);
  process.exit(1);
}
logger.info({ database: storage.kind, where: storage.kind === 'sqlite' ? url : url.replace(/:[^:@/]*@/, ':***@') }, 'storage ready');

// Anonymous pilots carry a token signed with this secret: keep it across restarts (in the data
// folder, beside the database) so a returning player is still themselves.
function loadSecret(): string {
  if (process.env.TICKWIRE_SECRET) return process.env.TICKWIRE_SECRET;
  const file = fileURLToPath(new URL('../../../../data/secret', import.meta.url));
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

// With TICKWIRE_RECORD=<folder>, every room is recorded and saved there as <code>-<instance>.twrec
// when it ends (or reaches its size limit): replay one with `npm run replay -- <file>`.
const recordTo = process.env.TICKWIRE_RECORD;
if (recordTo) mkdirSync(recordTo, { recursive: true });
const record: RecordOptions | undefined = recordTo
  ? {
      save(bytes, info) {
        const file = join(recordTo, `${info.code}-${info.instanceId}.twrec`);
        writeFileSync(file, bytes);
        logger.info({ file, bytes: bytes.length, truncated: info.truncated }, 'room recording saved');
      },
    }
  : undefined;

const server = createServer({ rooms: arenaRoom(record ? { record } : {}), staticDir, storage, logger, secret: loadSecret(), host });
const db = storage;
server.handleSignals((code) => {
  db.close().finally(() => process.exit(code));
});
try {
  const addr = await server.listen(port, process.env.HOST);
  const restored = await server.restoreRooms();
  if (restored.length > 0) logger.info({ rooms: restored }, 'rooms restored from their last checkpoint');
  logger.info(`arena ready: open http://localhost:${addr.port} (two tabs to play against yourself; /?room=name picks a room)`);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use: set PORT to another port (PORT=8081 npm start)` : String(err));
  process.exit(1);
}
