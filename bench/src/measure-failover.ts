/**
 * Failover, measured: how long after kill -9 of a game process every one of its rooms is open on
 * another process, and every one of its players is back in the room.
 *
 * A gateway and three game processes (`tickwire gateway` / `tickwire serve`, each a process of
 * its own, with tickwire serve's default heartbeat and time to live unless TICKWIRE_HEARTBEAT_MS
 * and TICKWIRE_PROCESS_TTL_MS are set) on the local Redis and PostgreSQL, under a fresh key
 * prefix and schema removed at the end; ten vault rooms (the chaos test's) with two bots each,
 * joined through the gateway, playing and depositing. The heartbeat and time to live reported are
 * the ones seen in the process registry. Each run kills the process with the most
 * rooms and times, from the kill, until every one of its rooms is listed open by another process
 * at a higher epoch (polled every 10 ms) and until the last of its bots has reconnected (the
 * SDK's `reconnected` event); then it starts a replacement, so the next run has three again.
 *
 *   npm run measure:failover -- [--runs 10] [--rooms 10] [--json]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { freshPostgresSchema, postgresTestUrl } from '@tickwire/storage/testing';
import { Redis } from 'ioredis';
import { summarize } from '../../packages/cli/src/percentiles.js';
import { Bot, busiest, ChildCluster } from '../../tests/src/chaos-support.js';
import { eventually } from '../../tests/src/wait.js';
import { flags, num } from './args.js';

const f = flags();
const runs = num(f, 'runs', 10);
const roomCount = num(f, 'rooms', 10);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `tickwire-measure:failover:${randomUUID()}:`;
/** Waiting for something that should take seconds: past this the run is reported as failed. */
const DEADLINE_MS = 60_000;

/**
 * The heartbeat period and time to live process `id` runs with, as seen in the registry: the
 * step between two of its records' expiry times, and how far ahead of Redis's clock (the
 * registry's) a record expires when it has just been written.
 */
async function liveness(c: ChildCluster, redis: Redis, id: string): Promise<{ heartbeatMs: number; ttlMs: number }> {
  const expiries: number[] = [];
  let ttlMs = 0;
  await eventually(async () => {
    const record = await c.processRegistry.get(id);
    if (!record || record.expiresAt === expiries.at(-1)) return undefined;
    const [seconds, micros] = await redis.time();
    if (expiries.length > 0) ttlMs = record.expiresAt - (Number(seconds) * 1000 + Number(micros) / 1000);
    expiries.push(record.expiresAt);
    return expiries.length >= 3 || undefined;
  }, `two heartbeats of ${id}`, DEADLINE_MS);
  const round = (ms: number) => Math.round(ms / 100) * 100;
  return { heartbeatMs: round(expiries[2]! - expiries[1]!), ttlMs: round(ttlMs) };
}

const db = await freshPostgresSchema(postgresTestUrl());
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
let timing = { heartbeatMs: 0, ttlMs: 0 };
let cluster: ChildCluster | undefined;
const bots: Bot[] = [];
const results: { victim: string; rooms: number; players: number; openMs: number; resumedMs: number }[] = [];
try {
  let next = 1;
  const ids = () => `g${next++}`;
  const live = [ids(), ids(), ids()];
  cluster = await ChildCluster.start({ redisUrl, prefix, databaseUrl: db.url, secret: randomBytes(32).toString('base64url'), adminToken: randomBytes(24).toString('hex') }, live);
  const c = cluster;
  timing = await liveness(c, redis, live[0]!);
  const rooms = new Map<string, Bot[]>();
  await Promise.all(
    Array.from({ length: roomCount }, async (_, i) => {
      const first = await Bot.join(c.gateway, { create: 'vault' }, `r${i}a`);
      const second = await Bot.join(c.gateway, { room: first.room.code }, `r${i}b`);
      rooms.set(first.room.code, [first, second]);
      bots.push(first, second);
    }),
  );
  for (const b of bots) b.start();
  for (let run = 1; run <= runs; run++) {
    await eventually(() => bots.every((b) => b.playing), 'every bot playing', DEADLINE_MS);
    const before = await c.openRooms();
    if (before.size !== rooms.size) throw new Error(`${before.size} of ${rooms.size} rooms open before run ${run}`);
    const [victim, codes] = busiest(before, live);
    const players = codes.flatMap((code) => rooms.get(code)!);
    const killedAt = Date.now();
    c.process(victim).child.signal('SIGKILL');
    live.splice(live.indexOf(victim), 1);
    const openAt = await eventually(async () => {
      const open = await c.openRooms();
      return codes.every((code) => live.includes(open.get(code)?.process ?? '') && open.get(code)!.epoch > before.get(code)!.epoch) ? Date.now() : undefined;
    }, `the rooms of ${victim} open elsewhere`, DEADLINE_MS);
    const resumedAt = await eventually(() => {
      const back = players.map((b) => b.reconnects.find((r) => r.at >= killedAt)?.at);
      return back.every((at) => at !== undefined) ? Math.max(...back.map(Number)) : undefined;
    }, `the players of ${victim} back`, DEADLINE_MS);
    const result = { victim, rooms: codes.length, players: players.length, openMs: openAt - killedAt, resumedMs: resumedAt - killedAt };
    results.push(result);
    if (!f.has('json')) console.log(`run ${run}: killed ${victim}: ${result.rooms} rooms open elsewhere after ${result.openMs} ms, ${result.players} players back after ${result.resumedMs} ms`);
    const replacement = ids();
    await c.add(replacement);
    live.push(replacement);
  }
} finally {
  for (const b of bots) b.close();
  await cluster?.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await db.drop();
}

const open = summarize(results.map((r) => r.openMs));
const resumed = summarize(results.map((r) => r.resumedMs));
const max = (xs: number[]) => Math.max(...xs);
const report = {
  runs: results.length,
  rooms: roomCount,
  heartbeat_ms: timing.heartbeatMs,
  process_ttl_ms: timing.ttlMs,
  rooms_open_ms: { p50: open.p50, max: max(results.map((r) => r.openMs)) },
  players_back_ms: { p50: resumed.p50, max: max(results.map((r) => r.resumedMs)) },
  runs_detail: results,
};
if (f.has('json')) console.log(JSON.stringify(report));
else {
  console.log(`${results.length} runs, ${roomCount} rooms with 2 bots each, heartbeat ${timing.heartbeatMs} ms, time to live ${timing.ttlMs} ms:`);
  console.log(`  kill -9 to every room open elsewhere   p50 ${report.rooms_open_ms.p50} ms, max ${report.rooms_open_ms.max} ms`);
  console.log(`  kill -9 to every player back           p50 ${report.players_back_ms.p50} ms, max ${report.players_back_ms.max} ms`);
}
