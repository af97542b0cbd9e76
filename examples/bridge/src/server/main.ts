/**
 * Starts the bridge: the lobby and consoles page and the game WebSocket (/ws) on one port, with
 * sessions and their results kept in a database (SQLite in ./data/bridge.db by default,
 * PostgreSQL when DATABASE_URL is a postgres:// URL).
 *
 *   npm run start:bridge                      # from the repository root; PORT, HOST as for the arena
 *   TICKWIRE_HOST=uws npm run start:bridge    # served by uWebSockets.js
 *   BRIDGE_SNAPSHOT_HZ=20 npm run start:bridge  # torpedoes (and the helm's own state) at 20 Hz
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, hostFromEnv } from '@tickwire/server';
import { openStorage } from '@tickwire/storage';
import { pino } from 'pino';
import { bridgeRoom } from './room.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });

/** Stops with a message saying what to do (no stack trace: these are the operator's mistakes). */
function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const staticDir = fileURLToPath(new URL('../../dist/public', import.meta.url));
if (!existsSync(staticDir)) fail(`the bridge page is not built (${staticDir} is missing): run "npm run start:bridge" from the repository root, or "npm run build -w examples/bridge"`);

const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got "${process.env.PORT}"`);
const snapshotRate = Number(process.env.BRIDGE_SNAPSHOT_HZ ?? 10);
if (snapshotRate !== 10 && snapshotRate !== 20) fail(`BRIDGE_SNAPSHOT_HZ is 10 (the seed's rate) or 20, got "${process.env.BRIDGE_SNAPSHOT_HZ}"`);

// The repository's data/ folder, wherever npm runs this from: the database, and the secret that
// keeps anonymous players themselves across restarts.
const dataDir = fileURLToPath(new URL('../../../../data/', import.meta.url));
mkdirSync(dataDir, { recursive: true });
const secretFile = `${dataDir}bridge-secret`;
if (!process.env.TICKWIRE_SECRET && !existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
const secret = process.env.TICKWIRE_SECRET ?? readFileSync(secretFile, 'utf8').trim();

const url = process.env.DATABASE_URL || `${dataDir}bridge.db`;
const storage = await openStorage({ url, logger }).catch((err: Error) => fail(`could not open the database: ${err.message}`));

let host;
try {
  host = hostFromEnv();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const server = createServer({ rooms: { bridge: bridgeRoom({ snapshotRate }) }, staticDir, storage, logger, secret, host });
server.handleSignals((code) => {
  storage.close().finally(() => process.exit(code));
});
try {
  const addr = await server.listen(port, process.env.HOST);
  logger.info(`bridge ready: open http://localhost:${addr.port} in two tabs, create a session in one and join it from the other`);
} catch (err) {
  const inUse = err instanceof Error && 'code' in err && err.code === 'EADDRINUSE';
  fail(inUse ? `port ${port} is in use: set PORT to another port (PORT=8081 npm run start:bridge)` : String(err));
}
