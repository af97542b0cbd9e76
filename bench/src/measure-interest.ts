/**
 * Server CPU of interest-managed snapshots, in process: one room on a stepped clock with NPC
 * ships moving on the map, N clients over in-memory pipes that acknowledge every snapshot (as
 * the SDK does), three distance tiers and a byte budget. There are no sockets, so the time is
 * the replication hot path (publish, grid, per-client encode, acks) plus a header decode per
 * frame on the client side.
 *
 *   node --conditions=source --import tsx bench/src/measure-interest.ts [--clients 200] [--npcs 1000] [--ticks 400] [--warmup 100]
 *
 * Prints one JSON line: CPU microseconds per tick and per client-tick, and the mean snapshot size.
 */
import { FrameEncoder, ManualClock, MessageCodec, createMemoryPipe, decodeServer, seededRandom } from '@tickwire/protocol';
import { createServer, defineRoom, type Entity } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { pickDirection, scene, SPEED, type Scene } from './scene.js';

const f = flags();
const clients = num(f, 'clients', 200);
const npcs = num(f, 'npcs', 1000);
const ticks = num(f, 'ticks', 400);
const warmup = num(f, 'warmup', 100);
const size = 1000;

const random = seededRandom(3);
const room = defineRoom<Scene, { movers: Map<number, { dx: number; dy: number; next: number }> }, { x: number; y: number }>({
  protocol: scene,
  createOnJoin: true,
  data: () => ({ x: 0, y: 0 }),
  maxClients: clients + 10,
  reconnectWindowMs: 0,
  setup(r) {
    const movers = new Map<number, { dx: number; dy: number; next: number }>();
    for (let i = 0; i < npcs; i++) {
      const e = r.entities.create('ship', { position: { x: random() * size, y: random() * size }, health: { hp: 100 } });
      movers.set(e.id, { ...pickDirection(random), next: 0 });
    }
    return { movers };
  },
  interest: {
    position: (e: Entity<Scene>) => ({ x: e.position.x, y: e.position.y }),
    viewer: (c) => ({ x: c.data.x, y: c.data.y }),
    tiers: [
      { name: 'near', radius: 60 },
      { name: 'mid', radius: 120, rate: 10, components: ['position', 'heading'] },
      { name: 'far', radius: 200, rate: 4, components: ['position'] },
    ],
    budgetBytes: 600,
  },
  onJoin(_r, c) {
    c.data.x = random() * size;
    c.data.y = random() * size;
    return undefined;
  },
  systems: [
    (r, dt) => {
      for (const [id, m] of r.state.movers) {
        const ship = r.entities.get(id) as Entity<Scene, 'ship'> | undefined;
        if (!ship) continue;
        if (r.tick >= m.next) {
          Object.assign(m, pickDirection(random));
          m.next = r.tick + 10 + Math.floor(random() * 30);
        }
        ship.position.x = Math.min(size, Math.max(0, ship.position.x + m.dx * SPEED * dt));
        ship.position.y = Math.min(size, Math.max(0, ship.position.y + m.dy * SPEED * dt));
      }
    },
  ],
});

const clock = new ManualClock(1000);
const server = createServer({ rooms: room, clock, logger: pino({ level: 'silent' }), processMetrics: false });
const codec = new MessageCodec(scene);
const frames = new FrameEncoder();
let bytes = 0;
let snapshots = 0;
const flush = () => new Promise<void>((r) => setImmediate(r));
for (let i = 0; i < clients; i++) {
  const [mine, theirs] = createMemoryPipe();
  server.accept(theirs);
  mine.onmessage = (frame) => {
    const msg = decodeServer(frame, scene);
    if (msg.kind !== 'snapshot') return;
    bytes += frame.length;
    snapshots++;
    mine.send(codec.ack(msg.tick));
  };
  mine.send(frames.hello({ room: 'm', name: `c${i}`, token: '', resumeToken: undefined, protocolHash: scene.hash }));
  await flush();
}
if (snapshots === 0 && clients > 0) await flush();
for (let t = 0; t < warmup; t++) {
  clock.advance(50);
  await flush();
}
bytes = 0;
snapshots = 0;
const fullBefore = server.metrics.totals.fullSnapshots;
let cpu = 0;
// CPU time of this process (user + system), not wall time: the machine may be shared.
for (let t = 0; t < ticks; t++) {
  const t0 = process.cpuUsage();
  clock.advance(50);
  await flush();
  const d = process.cpuUsage(t0);
  cpu += (d.user + d.system) / 1000;
}
console.log(
  JSON.stringify({
    clients,
    npcs,
    ticks,
    usPerTick: Math.round((cpu * 1000) / ticks),
    usPerClientTick: Number(((cpu * 1000) / ticks / clients).toFixed(2)),
    meanSnapshotBytes: Math.round(bytes / Math.max(1, snapshots)),
    fullSnapshots: server.metrics.totals.fullSnapshots - fullBefore,
  }),
);
await server.close();
