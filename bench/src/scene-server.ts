/**
 * A scene server in its own process, so its CPU and memory can be read from /proc without the
 * load generator in them. Prints one JSON line with its port when ready.
 *
 *   node --conditions=source --import tsx bench/src/scene-server.ts --npcs 0 --motion turn
 */
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { loadTestLimits } from './load-limits.js';
import { sceneRoom, type Motion } from './scene.js';

const f = flags();
const room = { ...sceneRoom(num(f, 'npcs', 0), (f.get('motion') ?? 'turn') as Motion), snapshotRate: num(f, 'snapshot-rate', 20) };
const server = createServer({ rooms: room, logger: pino({ level: 'warn' }), processMetrics: false, limits: loadTestLimits });
const addr = await server.listen(num(f, 'port', 0), '127.0.0.1');
server.handleSignals();
console.log(JSON.stringify({ ready: true, port: addr.port, wsUrl: addr.wsUrl, pid: process.pid }));
