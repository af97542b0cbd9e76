/**
 * What a bridge tick costs the server, split: ticks with a snapshot against ticks without (the
 * game's simulation alone), at seed 004's full load (48 players on 8 ships, a siege at
 * difficulty 11: ~140 entities). Server and clients share one process on a manual clock; the
 * clients' frames are delivered outside the timed step, so each timed step is one server tick
 * and nothing else (no sockets: measure-bridge.ts measures those). Each step is timed in CPU
 * time (getrusage: this process's threads, the garbage collector's included), which a busy
 * machine's preemption does not inflate as it does wall time; wall time is given beside it.
 *
 *   npm run measure:bridge-ticks -- [--ticks 1200] [--snapshot-hz 10] [--json]
 */
import { connect } from '@tickwire/client';
import { bridge } from '@tickwire/bridge/protocol';
import { bridgeRoom, type BridgeOptions } from '@tickwire/bridge/room';
import { ManualClock, createMemoryPipe, seededRandom } from '@tickwire/protocol';
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from './args.js';

type BridgeRoom = Parameters<NonNullable<BridgeOptions['observe']>>[0];

const f = flags();
const ticks = num(f, 'ticks', 1200);
const snapshotRate = num(f, 'snapshot-hz', 10);
const clock = new ManualClock(10_000);
let room: BridgeRoom | undefined;
const rooms = bridgeRoom({ session: false, snapshotRate, random: seededRandom(1), sector: { scenario: 'siege', difficulty: 11, ships: 8 }, observe: (r) => (room = r) });
const server = createServer({ rooms, clock, logger: pino({ level: 'warn' }), processMetrics: false });
const flush = () => new Promise<void>((r) => setImmediate(r));

// 48 players seated in join order (six consoles of ship 1, then ship 2...): every eighth is a helm.
const clients = [];
for (let i = 0; i < 48; i++) {
  const [client, end] = createMemoryPipe((deliver) => setImmediate(deliver));
  server.accept(end);
  const joining = connect({ transport: client, room: 'bridge', name: `p${i}`, protocol: bridge, clock, decodeEntities: false, interpolation: false });
  for (let k = 0; k < 5; k++) {
    clock.advance(1);
    await flush();
  }
  clients.push(await joining);
}
const withSnapshot: number[] = [];
const without: number[] = [];
const wall = { withSnapshot: 0, without: 0 };
for (let n = 0; n < ticks; n++) {
  clients.forEach((c, i) => i % 6 === 0 && c.sendInput({ impulse: 60, rudder: ((n >> 5) % 5) - 2, warp: 0 }));
  await flush();
  const tick = room!.tick + 1;
  const t = performance.now();
  const cpu = process.cpuUsage();
  clock.advance(1000 / 20);
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  const elapsed = performance.now() - t;
  // The first ten seconds warm up the code and fill the views.
  if (n >= 200) {
    const snapshot = Math.floor((tick * snapshotRate) / 20) !== Math.floor(((tick - 1) * snapshotRate) / 20);
    (snapshot ? withSnapshot : without).push(ms);
    wall[snapshot ? 'withSnapshot' : 'without'] += elapsed;
  }
  for (let k = 0; k < 3; k++) await flush();
}
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const p99 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length * 0.99)]!;
const round = (v: number) => Number(v.toFixed(3));
/** Mean and p99 of some ticks; null when there were none (at 20 Hz every tick has a snapshot). */
const stats = (a: number[]) => (a.length > 0 ? { mean: round(mean(a)), p99: round(p99(a)) } : null);
const all = [...withSnapshot, ...without];
const report = {
  players: clients.length,
  entities: room!.entities.size,
  snapshot_hz: snapshotRate,
  simulation_ms_per_tick: stats(without),
  tick_with_snapshot_ms: stats(withSnapshot),
  snapshot_ms: without.length > 0 ? round(mean(withSnapshot) - mean(without)) : null,
  mean_ms_per_tick: round(mean(all)),
  wall_ms: { simulation: without.length > 0 ? round(wall.without / without.length) : null, tick_with_snapshot: round(wall.withSnapshot / withSnapshot.length) },
};
if (f.has('json')) console.log(JSON.stringify(report));
else console.log(JSON.stringify(report, null, 2));
process.exit(0);
