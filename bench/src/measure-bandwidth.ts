/**
 * Downstream bytes per client per second for a scene of moving entities, over real sockets.
 *
 *   npm run measure:bandwidth -- [--entities 50] [--clients 10] [--duration 10] [--motion turn|jitter|straight] [--snapshot-rate 20] [--json]
 *
 * Clients are observers (no ship of their own), so the scene is exactly `--entities` ships.
 * Bytes are WebSocket payloads plus frame headers, everything a client receives.
 */
import { connect, type ClientRoom } from '@tickwire/client/node';
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num, wsHeader } from './args.js';
import { scene, sceneRoom, type Motion, type Scene } from './scene.js';

const f = flags();
const entities = num(f, 'entities', 50);
const clients = num(f, 'clients', 10);
const duration = num(f, 'duration', 10);
const snapshotRate = num(f, 'snapshot-rate', 20);
const motion = (f.get('motion') ?? 'turn') as Motion;
if (!['turn', 'jitter', 'straight'].includes(motion)) throw new Error('--motion is turn, jitter or straight');

const room = { ...sceneRoom(entities, motion, { clientShips: false }), snapshotRate };
const server = createServer({ rooms: room, logger: pino({ level: 'warn' }), processMetrics: false });
const addr = await server.listen(0, '127.0.0.1');

const rooms: ClientRoom<Scene>[] = [];
const received = new Map<ClientRoom<Scene>, { bytes: number; frames: number; changes: number }>();
for (let i = 0; i < clients; i++) {
  const r = await connect({ url: addr.wsUrl, room: 'bench', name: `obs-${i}`, protocol: scene, interpolation: false });
  const counter = { bytes: 0, frames: 0, changes: 0 };
  r.on('change', () => counter.changes++);
  received.set(r, counter);
  const transport = (r as unknown as { transport: { onmessage: ((f: Uint8Array) => void) | null } }).transport;
  const inner = transport.onmessage!;
  transport.onmessage = (frame) => {
    counter.bytes += frame.length + wsHeader(frame.length);
    counter.frames++;
    inner(frame);
  };
  rooms.push(r);
}

await new Promise((r) => setTimeout(r, 2000)); // warm-up: full snapshots and clock sync done
const start = [...received.values()].map((c) => ({ ...c }));
const t0 = performance.now();
await new Promise((r) => setTimeout(r, duration * 1000));
const secs = (performance.now() - t0) / 1000;
const per = [...received.values()].map((c, i) => ({ bytes: (c.bytes - start[i]!.bytes) / secs, frames: (c.frames - start[i]!.frames) / secs }));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const result = {
  entities,
  clients,
  motion,
  snapshot_rate: snapshotRate,
  duration_s: Math.round(secs * 10) / 10,
  down_bytes_per_client_s: Math.round(mean(per.map((p) => p.bytes))),
  frames_per_client_s: Math.round(mean(per.map((p) => p.frames)) * 10) / 10,
  entity_updates_per_client_s: Math.round(mean([...received.values()].map((c, i) => (c.changes - start[i]!.changes) / secs))),
  bytes_per_entity_update: Math.round((mean(per.map((p) => p.bytes)) / snapshotRate / entities) * 100) / 100,
};
if (f.has('json')) console.log(JSON.stringify(result));
else {
  console.log(`${entities} entities (${motion}), ${clients} clients, ${snapshotRate} Hz snapshots, ${result.duration_s} s`);
  console.log(`  downstream: ${result.down_bytes_per_client_s} B/s per client (${result.frames_per_client_s} frames/s)`);
  console.log(`  = ${result.bytes_per_entity_update} B per entity per snapshot, frame overhead included`);
}
for (const r of rooms) r.disconnect();
await server.close();
