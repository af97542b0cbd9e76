/**
 * What the gateway costs: how many joins per second it routes on this machine, and how much
 * later a player is in a room when it joins through the gateway than when it connects straight
 * to the process (with a ticket in hand).
 *
 * The gateway runs as a process of its own (`tickwire gateway`) on the local Redis, in front of
 * two game processes (cluster mode, in this process) that hold 64 open rooms. Routing: 32
 * concurrent HTTP clients with keep-alive send POST /api/join for those rooms (the owner lookup
 * and a signed ticket per join), then POST /api/join { create } (least-loaded placement). Latency:
 * the SDK's connect() one at a time, `rounds` times each way, to the same room.
 *
 *   node --conditions=source --import tsx bench/src/measure-gateway.ts [--seconds 3] [--rounds 100]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { anonymousIdentity, connect } from '@tickwire/client/node';
import { defineProtocol, t } from '@tickwire/protocol';
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import { createServer, defineRoom, JoinTickets, type TickwireServer } from '@tickwire/server';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { cpuSeconds } from './proc.js';

const given = flags();
const seconds = num(given, 'seconds', 3);
const rounds = num(given, 'rounds', 100);
const CONCURRENCY = 32;
const ROOMS = 64;
const secret = randomUUID() + randomUUID();
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `tickwire-bench:${randomUUID()}:`;
const silent = pino({ level: 'silent' });

const lobby = defineProtocol({ name: 'gateway-bench', components: { spot: { x: t.uint(8) } }, entities: { dot: ['spot'] } });
const lobbyRoom = defineRoom({ protocol: lobby, createOnJoin: true, reconnectWindowMs: 0 });

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const registry = new RedisRegistry(redis, { prefix });
const processes = new RedisProcessRegistry(redis, { prefix });
const servers: TickwireServer[] = [];
for (const id of ['game-1', 'game-2']) {
  const server = createServer({ rooms: { lobby: lobbyRoom }, registry, processId: id, secret, cluster: { processes }, logger: silent, processMetrics: false, env: {}, limits: { maxRooms: 10_000 } });
  await server.listen(0, '127.0.0.1');
  servers.push(server);
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', `${root}scripts/tickwire.ts`, 'gateway', '--port', '0', '--host', '127.0.0.1'], {
  env: { ...process.env, REDIS_URL: redisUrl, TICKWIRE_REDIS_PREFIX: prefix, TICKWIRE_SECRET: secret, LOG_LEVEL: 'warn', NODE_ENV: 'development' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const gateway = await new Promise<string>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
  createInterface({ input: child.stdout! }).once('line', (l) => resolve(String((JSON.parse(l) as { gateway: string }).gateway)));
});

const { token } = await anonymousIdentity(gateway);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

// Rooms for the joins to find: opened through the gateway, so they spread over both processes,
// each kept open by the client that created it.
const codes: string[] = [];
for (let i = 0; i < ROOMS; i++) codes.push((await connect({ gateway, create: 'lobby', token, protocol: lobby, reconnect: false })).code);

/** Sends `body` to POST /api/join from CONCURRENCY loops for `seconds`; answers joins/s, latency and gateway CPU per join. */
async function hammer(body: (i: number) => unknown): Promise<{ perSecond: number; p50: number; p99: number; cpuUsPerJoin: number; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const cpu0 = cpuSeconds(child.pid!);
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await fetch(`${gateway}/api/join`, { method: 'POST', headers, body: JSON.stringify(body(n++)) });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuSeconds(child.pid!) - cpu0;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 100) / 100;
  return { perSecond: Math.round(latencies.length / elapsed), p50: at(0.5), p99: at(0.99), cpuUsPerJoin: Math.round((cpu / latencies.length) * 1e6), failed };
}

const joins = await hammer((i) => ({ room: codes[i % codes.length] }));
const creates = await hammer(() => ({ create: 'lobby' }));

/** Times `join` `rounds` times, one after another; answers p50 and p99 in ms. */
async function time(join: () => Promise<{ leave(): void }>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const room = await join();
    ms.push(performance.now() - t0);
    room.leave();
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}

const code = codes[0]!;
const claim = (await registry.lookup(code))!;
const owner = (await processes.get(claim.owner))!;
const tickets = new JoinTickets(secret);
// Another player than the rooms' creator, who stays in the room meanwhile (so it stays open, on one process).
const guest = await anonymousIdentity(gateway);
const direct = await time(async () => connect({ url: owner.url, room: code, token: await tickets.issue({ userId: guest.userId, name: '', room: code, process: owner.id }), protocol: lobby, reconnect: false }));
const through = await time(() => connect({ gateway, room: code, token: guest.token, protocol: lobby, reconnect: false }));

console.log(
  JSON.stringify(
    {
      joinsRouted: { concurrency: CONCURRENCY, seconds, ...joins },
      createsPlaced: { concurrency: CONCURRENCY, seconds, ...creates },
      joinLatencyMs: { rounds, direct, throughGateway: through, addedP50: Math.round((through.p50 - direct.p50) * 100) / 100 },
    },
    null,
    2,
  ),
);

child.kill('SIGTERM');
await Promise.all(servers.map((s) => s.close()));
for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
await redis.quit();
process.exit(0);
