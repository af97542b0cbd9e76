/**
 * Server CPU per client per tick: N clients in one room, everyone sees everyone, every client
 * moving by its inputs (direction re-picked about every second) at 20 Hz.
 *
 *   npm run measure:cpu -- [--clients 200] [--duration 10] [--warmup 3] [--json]
 *
 * The server runs in a child process; its CPU (user + system, all threads) is read from /proc
 * over the measured window. The clients run here with interpolation off and only decode.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type ClientRoom } from '@tickwire/client/node';
import { flags, num } from './args.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { pickDirection, rng, scene, type Scene } from './scene.js';

const f = flags();
const clients = num(f, 'clients', 200);
const duration = num(f, 'duration', 10);
const warmup = num(f, 'warmup', 3);

const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./scene-server.ts', import.meta.url)), '--npcs', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const ready = await new Promise<{ wsUrl: string; pid: number }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`scene server exited with ${code}`)));
  createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as { wsUrl: string; pid: number }));
});
const rssIdle = rssBytes(ready.pid);

const random = rng(7);
const rooms: ClientRoom<Scene>[] = [];
for (let i = 0; i < clients; i++) {
  rooms.push(await connect({ url: ready.wsUrl, room: 'bench', name: `bot-${i}`, protocol: scene, interpolation: false }));
}
const dirs = rooms.map(() => ({ ...pickDirection(random), next: 0 }));
let late = 0;
let sent = 0;
let expectedAt = performance.now();
const inputTimer = setInterval(() => {
  const now = performance.now();
  if (now - expectedAt > 25) late++;
  expectedAt = now + 50;
  rooms.forEach((r, i) => {
    const d = dirs[i]!;
    if (now >= d.next) Object.assign(d, pickDirection(random), { next: now + 500 + random() * 1000 });
    r.sendInput({ dx: d.dx, dy: d.dy });
    sent++;
  });
}, 50);

await new Promise((r) => setTimeout(r, warmup * 1000));
const cpu0 = cpuSeconds(ready.pid);
const snaps0 = rooms.reduce((a, r) => a + r.stats.snapshots, 0);
const t0 = performance.now();
late = 0;
await new Promise((r) => setTimeout(r, duration * 1000));
const secs = (performance.now() - t0) / 1000;
const cpu = cpuSeconds(ready.pid) - cpu0;
const rss = rssBytes(ready.pid);
const snaps = rooms.reduce((a, r) => a + r.stats.snapshots, 0) - snaps0;
clearInterval(inputTimer);

const ticks = secs * 20;
const result = {
  clients,
  duration_s: Math.round(secs * 10) / 10,
  server_cpu_cores: Math.round((cpu / secs) * 1000) / 1000,
  server_cpu_us_per_client_tick: Math.round(((cpu / ticks / clients) * 1e6) * 100) / 100,
  server_cpu_ms_per_tick: Math.round((cpu / ticks) * 1e3 * 100) / 100,
  server_rss_mb: Math.round((rss / 1048576) * 10) / 10,
  rss_kb_per_client: Math.round((rss - rssIdle) / 1024 / clients),
  snapshots_per_client_s: Math.round((snaps / clients / secs) * 10) / 10,
  generator_late_input_rounds: late,
  valid: late <= Math.ceil(duration),
};
if (f.has('json')) console.log(JSON.stringify(result));
else {
  console.log(`${clients} clients in one room, all moving, ${result.duration_s} s measured`);
  console.log(`  server CPU: ${result.server_cpu_cores} cores = ${result.server_cpu_ms_per_tick} ms per tick = ${result.server_cpu_us_per_client_tick} µs per client per tick`);
  console.log(`  server RSS: ${result.server_rss_mb} MB (${result.rss_kb_per_client} KB per client over idle); ${result.snapshots_per_client_s} snapshots/s per client`);
  if (!result.valid) console.log(`  INVALID: the load generator fell behind (${late} late input rounds)`);
}
for (const r of rooms) r.disconnect();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
