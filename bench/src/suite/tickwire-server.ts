/**
 * tickwire's server process for one run: the workload's room on port 0, on the Node host (ws)
 * or the uWebSockets.js host, its CPU and memory read from outside by the benchmark.
 *
 *   node --conditions=source --import tsx bench/src/suite/tickwire-server.ts --workload arena --size 1000 [--players 48] [--transport ws|uws]
 */
import { createServer, type RoomsOption } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from '../args.js';
import { loadTestLimits } from '../load-limits.js';
import { bridgeRoom } from './bridge-room.js';
import { announce, serveStats } from './child-line.js';
import { meanNeighbours } from './rules.js';
import { benchRoom, type RoomCounters } from './tickwire-room.js';

const f = flags();
const workload = f.get('workload') ?? 'arena';
const transport = f.get('transport') ?? 'ws';
if (transport !== 'ws' && transport !== 'uws') throw new Error(`--transport is ws or uws, not ${transport}`);
const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const counters: RoomCounters = { inputs: 0, positions: new Map() };
const room: RoomsOption =
  workload === 'bridge'
    ? bridgeRoom({ players: num(f, 'players', 48), counters })
    : benchRoom({ size: num(f, 'size', 1000), relevance: workload === 'open-world', counters });
const server = createServer({
  rooms: room,
  logger: pino({ level: 'warn' }),
  processMetrics: false,
  limits: loadTestLimits,
  host: transport === 'uws' ? 'uws' : 'node',
});
const addr = await server.listen(0, '127.0.0.1');
serveStats((detail) => ({
  clients: [...server.rooms.all()].reduce((a, r) => a + r.clients.size, 0),
  inputs: counters.inputs,
  ticks: server.metrics.totals.ticks,
  ...(detail ? { neighbours: mean([...counters.positions.values()].map((positions) => meanNeighbours(positions()))) } : {}),
}));
announce({ ready: true, port: addr.port, pid: process.pid });
// Exit normally on SIGTERM so `TICKWIRE_SERVER_PROF=dir npm run bench ...` gets its CPU profile written.
process.on('SIGTERM', () => process.exit(0));
