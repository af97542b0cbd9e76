/**
 * The server for measure-host-memory.ts, in its own process so its memory is its own: idle rooms
 * (no entities, no game code) on the host named by --host, listening on 127.0.0.1 port 0.
 *
 * It talks over the IPC channel only: one `ready` message with its WebSocket URL, then one
 * `sample` answer per request, taken right after forcing two full collections.
 *
 *   node --expose-gc --conditions=source --import tsx bench/src/host-memory-server.ts --host uws
 */
import { defineRoom, createServer, hostFromEnv } from '@tickwire/server';
import { pino } from 'pino';
import { flags } from './args.js';
import { loadTestLimits } from './load-limits.js';
import { scene } from './scene.js';

export interface MemorySample {
  type: 'sample';
  rss: number;
  heapUsed: number;
  external: number;
  /** Clients in rooms, all rooms. */
  clients: number;
}

export type ChildMessage = { type: 'ready'; wsUrl: string } | MemorySample;

const host = hostFromEnv({ TICKWIRE_HOST: flags().get('host') });
const server = createServer({
  // Players hold a membership and nothing else: what is measured is the connection.
  rooms: defineRoom({ protocol: scene, createOnJoin: true, maxClients: 100, emptyGraceMs: 600_000 }),
  logger: pino({ level: 'warn' }, pino.destination(2)),
  processMetrics: false,
  // Idle clients send nothing after joining: nothing may close them for it while they are counted.
  limits: { ...loadTestLimits, idleTimeoutMs: 0, joinTimeoutMs: 600_000 },
  host,
});

process.on('message', (m: unknown) => {
  if (m !== 'sample') return;
  globalThis.gc?.();
  globalThis.gc?.();
  const mem = process.memoryUsage();
  process.send?.({ type: 'sample', rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, clients: server.clientCount() } satisfies ChildMessage);
});
process.on('disconnect', () => process.exit(0));

const addr = await server.listen(0, '127.0.0.1');
process.send?.({ type: 'ready', wsUrl: addr.wsUrl } satisfies ChildMessage);
