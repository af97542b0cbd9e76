/**
 * What a cluster process costs Redis in steady state: one process with N open rooms (no
 * players: ownership traffic does not depend on them), its room leases renewed and its record
 * heartbeated on the default schedule; counts the commands it sends and the bytes both ways on
 * its Redis connection over the window, per room and per second.
 *
 *   npm run measure:cluster-redis -- [--rooms 200] [--duration 20] [--heartbeat 1000] [--ttl 3000] [--json]
 */
import { createServer, defineRoom } from '@tickwire/server';
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import { systemClock, TickwireError } from '@tickwire/protocol';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { scene } from './scene.js';

const f = flags();
const rooms = num(f, 'rooms', 200);
const duration = num(f, 'duration', 20);
const heartbeatMs = num(f, 'heartbeat', 1000);
const processTtlMs = num(f, 'ttl', 3000);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `tickwire-measure:${process.pid}:`;

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const server = createServer({
  rooms: { idle: defineRoom({ protocol: scene, emptyGraceMs: 3_600_000 }) },
  logger: pino({ level: 'warn' }),
  processMetrics: false,
  secret: 'measure-cluster-redis secret, 32b',
  env: {},
  registry: new RedisRegistry(redis, { prefix }),
  cluster: { processes: new RedisProcessRegistry(redis, { prefix }), heartbeatMs, processTtlMs, url: 'ws://127.0.0.1:1/ws', httpUrl: 'http://127.0.0.1:1' },
});
await server.startCluster();
for (let i = 0; i < rooms; i++) {
  const room = await server.rooms.open({ room: `room-${i}`, create: false, type: 'idle', protocolHash: scene.hash });
  if (room instanceof TickwireError) throw room;
}

// Counted by a MONITOR connection: every command sent that names this run's keys (the
// commands a script runs inside Redis show with source 'lua', and are not counted).
const monitor = await redis.monitor();
let commands = 0;
monitor.on('monitor', (_time: string, args: string[], source: string) => {
  if (source !== 'lua' && args.some((a) => a.startsWith(prefix))) commands++;
});
await new Promise((r) => setTimeout(r, processTtlMs)); // past the first renewals and the warm-up
commands = 0;
const socket = redis.stream;
const start = { at: systemClock.now(), out: socket.bytesWritten, in: socket.bytesRead };
await new Promise((r) => setTimeout(r, duration * 1000));
const seconds = (systemClock.now() - start.at) / 1000;
const out = socket.bytesWritten - start.out;
const read = socket.bytesRead - start.in;
const report = {
  rooms,
  duration_s: Math.round(seconds * 10) / 10,
  heartbeat_ms: heartbeatMs,
  lease_ms: processTtlMs,
  commands_per_s: Math.round((commands / seconds) * 10) / 10,
  commands_per_room_s: Math.round((commands / seconds / rooms) * 1000) / 1000,
  bytes_to_redis_per_room_s: Math.round(out / seconds / rooms),
  bytes_from_redis_per_room_s: Math.round(read / seconds / rooms),
};
if (f.has('json')) console.log(JSON.stringify(report));
else {
  console.log(`${rooms} rooms, heartbeat ${heartbeatMs} ms, lease ${processTtlMs} ms, ${report.duration_s} s:`);
  console.log(`  commands     ${report.commands_per_s}/s in all, ${report.commands_per_room_s} per room per second`);
  console.log(`  bytes        ${report.bytes_to_redis_per_room_s} B/s to Redis and ${report.bytes_from_redis_per_room_s} B/s back, per room`);
}
monitor.disconnect();
await server.close();
const keys = await redis.keys(`${prefix}*`);
if (keys.length > 0) await redis.del(...keys);
await redis.quit();
