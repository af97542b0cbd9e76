/**
 * Server CPU of the benchmark's own rooms without sockets: the arena or the open world of
 * `npm run bench` (same room, same rules, same spawn), N clients over in-memory pipes on a stepped
 * clock, each steering like a bench bot (a new direction about every second, one input a tick,
 * the snapshot acknowledged with it). What is left is the room: inputs, systems, publishing,
 * interest, encoding and framing; the kernel's share of a real send is not in it.
 *
 *   node --conditions=source --import tsx bench/src/measure-replication.ts [--workload arena|open-world]
 *        [--clients 1000] [--ticks 200] [--warmup 60] [--baseline auto|acknowledged] [--neighbours 20]
 *
 * `--neighbours`: in the open world, how many others each player has within view on average
 * (the bench's 20 by default): the map shrinks to fit, so more means a denser crowd, more
 * players sharing a grid cell.
 *
 * Add `--cpu-prof` before `--conditions` for a profile of the measured room, `--expose-gc` for the
 * heap per client (server and in-process client together). Prints one JSON line: CPU microseconds
 * per tick and per client-tick, snapshot bytes, and full snapshots sent.
 */
import { ManualClock, MessageCodec, createMemoryPipe, decodeServer, seededRandom, FrameEncoder } from '@tickwire/protocol';
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { loadTestLimits } from './load-limits.js';
import { worldProtocol } from './suite/protocols.js';
import { ARENA_SIZE, holdMs, NEIGHBOURS, openWorldSize, pickSteer, RATE_HZ } from './suite/rules.js';
import { benchRoom, type RoomCounters } from './suite/tickwire-room.js';

const f = flags();
const workload = f.get('workload') ?? 'arena';
if (workload !== 'arena' && workload !== 'open-world') throw new Error(`--workload is arena or open-world, not ${workload}`);
const baseline = f.get('baseline') ?? 'auto';
if (baseline !== 'auto' && baseline !== 'acknowledged') throw new Error(`--baseline is auto or acknowledged, not ${baseline}`);
const clients = num(f, 'clients', 1000);
const ticks = num(f, 'ticks', 200);
const warmup = num(f, 'warmup', 60);
const neighbours = num(f, 'neighbours', NEIGHBOURS);
const size = workload === 'open-world' ? openWorldSize(clients, neighbours) : ARENA_SIZE;
const tickMs = 1000 / RATE_HZ;

/** Heap in use after a full collection (when run with --expose-gc), to count what clients hold. */
const gc: unknown = Reflect.get(globalThis, 'gc');
const heapUsed = (): number => {
  if (typeof gc === 'function') gc();
  return process.memoryUsage().heapUsed;
};

const counters: RoomCounters = { inputs: 0, positions: new Map() };
const room = { ...benchRoom({ size, relevance: workload === 'open-world', counters }), snapshotBaseline: baseline } as const;
const clock = new ManualClock(1000);
// Every in-process client comes from one (empty) address: the bench's limits let them all in.
const server = createServer({ rooms: room, clock, logger: pino({ level: 'silent' }), processMetrics: false, limits: loadTestLimits });
const protocol = worldProtocol(size);
const codec = new MessageCodec(protocol);
const random = seededRandom(7);

interface Bot {
  send(frame: Uint8Array): void;
  seq: number;
  acked: number;
  steer: { dx: number; dy: number };
  turnAt: number;
}
let bytes = 0;
let snapshots = 0;
const bots: Bot[] = [];
const flush = () => new Promise<void>((r) => setImmediate(r));
const heapBefore = heapUsed();
for (let i = 0; i < clients; i++) {
  const [mine, theirs] = createMemoryPipe();
  server.accept(theirs);
  const bot: Bot = { send: (frame) => mine.send(frame), seq: 0, acked: 0, steer: pickSteer(random), turnAt: holdMs(random) };
  bots.push(bot);
  mine.onmessage = (frame) => {
    const msg = decodeServer(frame, protocol);
    if (msg.kind !== 'snapshot') return;
    bytes += frame.length;
    snapshots++;
    bot.acked = msg.tick;
  };
  mine.send(new FrameEncoder().hello({ room: 'bench', name: `b${i}`, token: '', resumeToken: undefined, protocolHash: protocol.hash, create: false }));
  if (i % 50 === 49) await flush();
}
await flush();

/** One tick: every bot steers and sends its input (with its ack), then the room steps. */
async function tick(): Promise<void> {
  const now = clock.now();
  for (const b of bots) {
    if (now >= b.turnAt) {
      b.steer = pickSteer(random);
      b.turnAt = now + holdMs(random);
    }
    b.send(codec.input(b.acked, [{ seq: ++b.seq, time: now, input: b.steer }]));
  }
  clock.advance(tickMs);
  await flush();
}

for (let t = 0; t < warmup; t++) await tick();
// Server and in-process clients together: the clients' share is their view and pipe.
const heapPerClient = (heapUsed() - heapBefore) / clients;
bytes = 0;
snapshots = 0;
const fullBefore = server.metrics.totals.fullSnapshots;
let cpu = 0;
for (let t = 0; t < ticks; t++) {
  const t0 = process.cpuUsage();
  await tick();
  const d = process.cpuUsage(t0);
  cpu += (d.user + d.system) / 1000;
}
console.log(
  JSON.stringify({
    workload,
    baseline,
    clients,
    mapSize: Math.round(size),
    ...(workload === 'open-world' ? { neighbours } : {}),
    ticks,
    usPerTick: Math.round((cpu * 1000) / ticks),
    usPerClientTick: Number(((cpu * 1000) / ticks / clients).toFixed(2)),
    snapshotsPerClientTick: Number((snapshots / ticks / clients).toFixed(3)),
    meanSnapshotBytes: Math.round(bytes / Math.max(1, snapshots)),
    fullSnapshots: server.metrics.totals.fullSnapshots - fullBefore,
    ...(typeof gc === 'function' ? { heapKBPerClient: Number((heapPerClient / 1024).toFixed(1)) } : {}),
  }),
);
await server.close();
