/**
 * Starts the arena: the game WebSocket at /ws and the built page on one port.
 *
 *   PORT=8080 npm start
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from '@tickwire/server';
import { arenaRoom } from './room.js';

const staticDir = fileURLToPath(new URL('../../dist/public', import.meta.url));
if (!existsSync(staticDir)) {
  console.error(`the arena page is not built (${staticDir} is missing): run "npm start" from the repository root, or "npm run build -w examples/arena"`);
  process.exit(1);
}

const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}

const server = createServer({ rooms: arenaRoom(), staticDir });
server.handleSignals();
try {
  const addr = await server.listen(port, process.env.HOST);
  server.logger.info(`arena ready: open http://localhost:${addr.port} (two tabs to play against yourself; /?room=name picks a room)`);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use: set PORT to another port (PORT=8081 npm start)` : String(err));
  process.exit(1);
}
