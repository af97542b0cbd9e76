/**
 * The bridge at seed 004's full load, measured: 48 players (8 ships x 6 consoles, driven by the
 * bridge's own bot module, the one `tickwire bots` runs) in one session of ~150 entities, for a
 * minute; then players dropped mid-game (their sockets cut, as a network would) and timed until
 * they are back in their seats.
 *
 *   npm run measure:bridge -- [--clients 48] [--duration 60] [--warmup 5] [--drop 10] [--rounds 3] [--snapshot-hz 10] [--json]
 *                             [--profile DIR]   (the server writes a V8 CPU profile there)
 *
 * Server CPU (user + system) and memory come from /proc of the server's own process; the time of
 * the tick loop itself from its /metrics histogram; bytes and the rate each tier's entities were
 * updated at, from what the clients received (bridge-tiers.ts).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import bridgeBot from '@tickwire/bridge/bot';
import { bridge, type Bridge } from '@tickwire/bridge/protocol';
import { connect, type ClientRoom } from '@tickwire/client/node';
import { seededRandom } from '@tickwire/protocol';
import type { Bot } from 'tickwire';
import { flags, num } from './args.js';
import { TIERS, TierMeter } from './bridge-tiers.js';
import { CutProxy } from './cut-proxy.js';
import { cpuSeconds, rssBytes } from './proc.js';

const f = flags();
const clients = num(f, 'clients', 48);
const duration = num(f, 'duration', 60);
const warmup = num(f, 'warmup', 5);
const drop = num(f, 'drop', 10);
const rounds = num(f, 'rounds', 3);
const snapshotHz = num(f, 'snapshot-hz', 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const profile = f.get('profile');
const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), '--expose-gc', '--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./bridge-server.ts', import.meta.url)), '--snapshot-hz', String(snapshotHz)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const lines = createInterface({ input: child.stdout! });
const server = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`the bridge server exited with ${code}`)));
  lines.once('line', (line) => resolve(JSON.parse(line) as { port: number; pid: number }));
});

/** The server's heap in use right after a full garbage collection. */
function heapAfterGc(): Promise<number> {
  const answer = new Promise<number>((resolve) => lines.once('line', (line) => resolve((JSON.parse(line) as { heapUsed: number }).heapUsed)));
  child.kill('SIGUSR2');
  return answer;
}
const http = `http://127.0.0.1:${server.port}`;
const rssIdle = rssBytes(server.pid);

/** A value of the server's /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}
const heapIdle = await heapAfterGc();

/** The tick loop's histogram from /metrics: total seconds and ticks so far. */
async function tickTotals(): Promise<{ sum: number; count: number }> {
  return { sum: await metric('tickwire_tick_duration_seconds_sum'), count: await metric('tickwire_tick_duration_seconds_count') };
}

async function entityCount(): Promise<number> {
  const body = (await (await fetch(`${http}/api/rooms`)).json()) as { rooms: { entities: number }[] };
  return body.rooms[0]?.entities ?? 0;
}

interface Member {
  index: number;
  room: ClientRoom<Bridge>;
  proxy: CutProxy;
  think: (now: number) => void;
  meter: TierMeter;
  resumed: boolean;
}

// Players join one by one, each through a relay of its own (so it can be cut), the first creating the session.
const random = seededRandom(3);
const members: Member[] = [];
let code = '';
let refused = 0;
for (let index = 0; index < clients; index++) {
  const proxy = await CutProxy.open(server.port);
  const url = `ws://127.0.0.1:${proxy.port}/ws`;
  const where = index === 0 ? { create: 'bridge' } : { room: code };
  const room = await connect({ url, ...where, name: `bot-${index}`, protocol: bridge, interpolation: false });
  code = room.code;
  const bot: Bot<Bridge> = {
    index,
    room,
    random,
    sendInput: (input) => void room.sendInput(input),
    sendCommand(feature, action, payload) {
      room.sendCommand(feature, action, payload).catch(() => refused++);
    },
  };
  const meter = new TierMeter(room, () => room.session.me?.seat?.group);
  const member: Member = { index, room, proxy, think: bridgeBot.spawn(bot, performance.now()), meter, resumed: false };
  room.on('reconnected', (info) => (member.resumed = info.resumed));
  members.push(member);
}
const beat = setInterval(() => {
  const now = performance.now();
  for (const m of members) if (m.room.status === 'connected') m.think(now);
}, 50);

// Everyone seated in a running round.
for (let waited = 0; !members.every((m) => m.room.session.state === 'running' && m.room.session.me?.seat); waited += 100) {
  if (waited > 30_000) throw new Error('the crews were not all seated in a running round within 30 s');
  await sleep(100);
}
await sleep(warmup * 1000);

const bytes = () => members.reduce((a, m) => a + m.room.stats.wireBytesIn, 0);
const snapshots = () => members.reduce((a, m) => a + m.room.stats.snapshots, 0);
const cpu0 = cpuSeconds(server.pid);
const tick0 = await tickTotals();
const bytes0 = bytes();
const snaps0 = snapshots();
const t0 = performance.now();
for (const m of members) m.meter.counting = true;
const entities: number[] = [];
for (let s = 0; s < duration; s++) {
  await sleep(1000);
  for (const m of members) m.meter.sample();
  entities.push(await entityCount());
}
for (const m of members) m.meter.counting = false;
const secs = (performance.now() - t0) / 1000;
const cpu = cpuSeconds(server.pid) - cpu0;
const bytesIn = bytes() - bytes0;
const snapshotsIn = snapshots() - snaps0;
const tick1 = await tickTotals();
const ticks = tick1.count - tick0.count;
const rss = rssBytes(server.pid);
const heap = await heapAfterGc();
const tiers = Object.fromEntries(
  TIERS.map((t) => {
    const records = members.reduce((a, m) => a + m.meter.records.get(t)!, 0);
    const held = members.reduce((a, m) => a + m.meter.entitySeconds.get(t)!, 0);
    return [t, { updates_per_entity_s: held > 0 ? Number((records / held).toFixed(2)) : 0, entities_per_client: Number((held / secs / members.length).toFixed(1)) }];
  }),
);

// Drops: `drop` players at a time have their sockets cut; each is timed until it is back in its seat.
const restored: number[] = [];
for (let round = 0; round < rounds; round++) {
  // Spread over the ships and consoles, a different set each round; never the host.
  const step = Math.max(1, Math.floor((clients - 1) / drop));
  const victims = [...new Set(Array.from({ length: Math.min(drop, clients - 1) }, (_, k) => members[1 + ((round + k * step) % (clients - 1))]!))];
  const seats = victims.map((m) => m.room.session.me?.seat);
  const cutAt = performance.now();
  for (const m of victims) {
    m.resumed = false;
    m.proxy.cut();
  }
  await Promise.all(
    victims.map(async (m, i) => {
      const seat = seats[i];
      for (;;) {
        const now = m.room.session.me?.seat;
        if (m.resumed && m.room.status === 'connected' && now?.group === seat?.group && now?.role === seat?.role) break;
        if (performance.now() - cutAt > 60_000) throw new Error(`bot-${m.index} was not back in its seat within 60 s`);
        await sleep(5);
      }
      restored.push((performance.now() - cutAt) / 1000);
    }),
  );
  await sleep(2000);
}

clearInterval(beat);
for (const m of members) {
  m.room.leave();
  m.proxy.close();
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));

restored.sort((a, b) => a - b);
const report = {
  clients,
  snapshot_hz: snapshotHz,
  duration_s: Number(secs.toFixed(1)),
  entities: { mean: Math.round(entities.reduce((a, b) => a + b, 0) / entities.length), min: Math.min(...entities), max: Math.max(...entities) },
  server_cpu_ms_per_tick: Number(((cpu * 1000) / ticks).toFixed(3)),
  tick_loop_ms_per_tick: Number((((tick1.sum - tick0.sum) * 1000) / ticks).toFixed(3)),
  server_cpu_percent_of_one_core: Number(((100 * cpu) / secs).toFixed(1)),
  server_rss_mb: { idle: Number((rssIdle / 1e6).toFixed(1)), loaded: Number((rss / 1e6).toFixed(1)) },
  // After a full collection: the session's world (~150 entities) and the 48 players' state together.
  server_heap_after_gc_mb: { idle: Number((heapIdle / 1e6).toFixed(1)), loaded: Number((heap / 1e6).toFixed(1)), per_player_kb: Math.round((heap - heapIdle) / 1e3 / members.length) },
  down_bytes_per_client_s: Math.round(bytesIn / secs / members.length),
  snapshots_per_client_s: Number((snapshotsIn / secs / members.length).toFixed(2)),
  commands_refused: refused,
  tiers,
  reconnect_s: { drops: restored.length, min: restored[0], median: restored[Math.floor(restored.length / 2)], max: restored.at(-1) },
};
if (f.has('json')) console.log(JSON.stringify(report));
else console.log(JSON.stringify(report, null, 2));
process.exit(0);
