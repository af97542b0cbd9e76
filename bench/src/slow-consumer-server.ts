/**
 * The bench scene server in its own process for measure-slow-consumers.ts, so its memory can be
 * read from /proc without the load generator in it. Limits stay at their defaults: the point is
 * what the defaults let a client that stops reading cost.
 *
 * It talks over the IPC channel only (stdout is not used, so pino's warnings go to stderr):
 * one `ready` message with its address, then one `status` answer per request. A status carries
 * what only the process itself can see: tick percentiles and the longest event-loop delay, heap and external
 * memory, TOO_SLOW drops, seated clients and open TCP sockets (a socket the server closed with a
 * handshake stays open, and holds its backlog, until the peer or a timeout ends it).
 *
 *   node --expose-gc --conditions=source --import tsx bench/src/slow-consumer-server.ts [--npcs 0]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { sceneRoom } from './scene.js';

/** The parent's request: `gc` collects garbage first, `reset` starts new tick and loop windows. */
export interface StatusRequest {
  id: number;
  gc?: boolean;
  reset?: boolean;
}

export interface ServerStatus {
  id: number;
  /** Milliseconds spent in the requested garbage collection (0 without one). */
  gcMs: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Tick durations (ms) since the last reset. */
  ticks: { count: number; p50: number; p99: number; max: number };
  /**
   * Longest event-loop delay (ms) since the last reset, forced collections left out: catches
   * stalls outside ticks too (a socket freed with a large backlog, a collection of its buffers).
   */
  loopMax: number;
  ticksDropped: number;
  snapshotsSkipped: number;
  /** Bytes handed to sockets so far (what a send refused for a full buffer is not counted). */
  bytesOut: number;
  tooSlow: number;
  /** Clients seated and connected, all rooms. */
  clients: number;
  /** Accepted TCP sockets still open. */
  sockets: number;
}

export type ChildMessage = { type: 'ready'; wsUrl: string; pid: number } | ({ type: 'status' } & ServerStatus);

function isRequest(m: unknown): m is StatusRequest {
  return typeof m === 'object' && m !== null && 'id' in m && typeof m.id === 'number';
}

const server = createServer({
  rooms: sceneRoom(num(flags(), 'npcs', 0), 'turn'),
  logger: pino({ level: 'warn' }, pino.destination(2)),
  processMetrics: false,
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
/** The longest delay of the windows that a forced collection ended. */
let loopMaxBefore = 0;

/** The TOO_SLOW count, read from /metrics text: the counter is the same on every server version. */
async function tooSlowCount(): Promise<number> {
  const m = /tickwire_errors_total\{code="TOO_SLOW"\} (\d+)/.exec(await server.metrics.text());
  return m ? Number(m[1]) : 0;
}

async function status(req: StatusRequest): Promise<ServerStatus> {
  let gcMs = 0;
  if (req.gc && globalThis.gc) {
    loopMaxBefore = Math.max(loopMaxBefore, loop.max / 1e6);
    const t = performance.now();
    // Twice: the first pass can leave finalizers whose memory only the second frees.
    globalThis.gc();
    globalThis.gc();
    gcMs = performance.now() - t;
    // The collection's own pause lands in the next samples: the stall we measure is the server's,
    // not the one we asked for, so a new window starts after them.
    setTimeout(() => loop.reset(), 50);
  }
  const mem = process.memoryUsage();
  let clients = 0;
  for (const r of server.rooms.all()) clients += r.connectedCount;
  const out: ServerStatus = {
    id: req.id,
    gcMs,
    heapUsed: mem.heapUsed,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    ticks: server.metrics.tickPercentiles(req.reset),
    loopMax: Math.max(loopMaxBefore, loop.max / 1e6),
    ticksDropped: server.metrics.totals.ticksDropped,
    snapshotsSkipped: server.metrics.totals.snapshotsSkipped,
    bytesOut: server.metrics.totals.bytesOut,
    tooSlow: await tooSlowCount(),
    clients,
    sockets: process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length,
  };
  if (req.reset) {
    loop.reset();
    loopMaxBefore = 0;
  }
  return out;
}

process.on('message', (m: unknown) => {
  if (!isRequest(m)) return;
  void status(m).then((s) => process.send?.({ type: 'status', ...s } satisfies ChildMessage));
});
// The parent going away (even killed) closes the channel: stop with it, without waiting on
// sockets that are not reading.
process.on('disconnect', () => process.exit(0));

const addr = await server.listen(0, '127.0.0.1');
server.handleSignals();
process.send?.({ type: 'ready', wsUrl: addr.wsUrl, pid: process.pid } satisfies ChildMessage);
