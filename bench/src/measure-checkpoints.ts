/**
 * Tick duration with and without persistence: N clients moving in one room, their positions
 * checkpointed every second (SQLite, and PostgreSQL when reachable), against the same room in
 * memory only. Reports exact tick p50/p99 over the measured window.
 *
 * With `--durable N`, ships are durable and N more stand still (see checkpoint-server.ts).
 *
 *   npm run measure:checkpoints -- [--clients 200] [--duration 10] [--durable 0] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type ClientRoom } from '@tickwire/client/node';
import { freshPostgresSchema, postgresReachable, postgresTestUrl } from '@tickwire/storage/testing';
import { flags, num } from './args.js';
import { pickDirection, rng, scene, type Scene } from './scene.js';

const f = flags();
const clients = num(f, 'clients', 200);
const duration = num(f, 'duration', 10);
const durable = num(f, 'durable', 0);
const server = fileURLToPath(new URL('./checkpoint-server.ts', import.meta.url));

async function run(label: string, db?: string) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', server, ...(db ? ['--db', db] : []), ...(durable > 0 ? ['--durable', String(durable)] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ url: string; wsUrl: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`checkpoint server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as { url: string; wsUrl: string }));
  });
  const random = rng(3);
  const rooms: ClientRoom<Scene>[] = [];
  for (let i = 0; i < clients; i++) {
    rooms.push(await connect({ url: ready.wsUrl, room: 'ticks', name: `p${i}`, token: `anon:p${i}`, protocol: scene, interpolation: false, decodeEntities: false }));
  }
  const dirs = rooms.map(() => ({ ...pickDirection(random), next: 0 }));
  const timer = setInterval(() => {
    const now = performance.now();
    rooms.forEach((r, i) => {
      const d = dirs[i]!;
      if (now >= d.next) Object.assign(d, pickDirection(random), { next: now + 500 + random() * 1000 });
      r.sendInput({ dx: d.dx, dy: d.dy });
    });
  }, 50);
  await new Promise((r) => setTimeout(r, 3000));
  await fetch(`${ready.url}/bench/ticks?reset=1`);
  await new Promise((r) => setTimeout(r, duration * 1000));
  const ticks = (await (await fetch(`${ready.url}/bench/ticks`)).json()) as { count: number; p50: number; p99: number; max: number };
  clearInterval(timer);
  for (const r of rooms) r.disconnect();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return { persistence: label, clients, durable, ticks: ticks.count, tick_p50_ms: round(ticks.p50), tick_p99_ms: round(ticks.p99), tick_max_ms: round(ticks.max) };
}

const results = [await run('none')];
const dir = mkdtempSync(join(tmpdir(), 'tickwire-ticks-'));
try {
  results.push(await run('sqlite', join(dir, 'ticks.db')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const pg = postgresTestUrl();
if (await postgresReachable(pg)) {
  const schema = await freshPostgresSchema(pg);
  try {
    results.push(await run('postgres', schema.url));
  } finally {
    await schema.drop();
  }
}
for (const r of results) {
  if (f.has('json')) console.log(JSON.stringify(r));
  else console.log(`${r.persistence.padEnd(9)} ${r.clients} clients${durable > 0 ? ` + ${durable} standing durable` : ''}: tick p50 ${r.tick_p50_ms} ms, p99 ${r.tick_p99_ms} ms, max ${r.tick_max_ms} ms (${r.ticks} ticks)`);
}
