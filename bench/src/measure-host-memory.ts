/**
 * Memory per idle connection on each host (node:http + ws, and uWebSockets.js), in one run: for
 * each host a server process (host-memory-server.ts) is started, warmed with a few connections,
 * and sampled after full collections at three points: before, with `--connections` WebSockets
 * open (upgraded, nothing sent), and with the same sockets joined to rooms (HELLO answered by
 * WELCOME, then silent). The figures are RSS and heap deltas divided by the connection count.
 * Kernel socket buffers are not in RSS and not counted.
 *
 *   npm run measure:host-memory -- [--connections 1000] [--hosts node,uws] [--json]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FrameEncoder, Kind, peekEnvelope } from '@tickwire/protocol';
import { hostFromEnv, type HostKind } from '@tickwire/server';
import WebSocket from 'ws';
import { flags, num } from './args.js';
import type { ChildMessage, MemorySample } from './host-memory-server.js';
import { scene } from './scene.js';

const f = flags();
const connections = num(f, 'connections', 1000);
const hosts: HostKind[] = (f.get('hosts') ?? 'node,uws').split(',').map((h) => hostFromEnv({ TICKWIRE_HOST: h }));
const WARMUP = 50;
const PER_ROOM = 100;

const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;
const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

interface Child {
  wsUrl: string;
  sample(): Promise<MemorySample>;
  stop(): void;
}

function start(host: HostKind): Promise<Child> {
  const script = fileURLToPath(new URL('./host-memory-server.ts', import.meta.url));
  const child = fork(script, ['--host', host], { execArgv: ['--expose-gc', '--conditions=source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: ((s: MemorySample) => void)[] = [];
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${host} server exited (${code}) before it was ready`)));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'sample') waiting.shift()?.(m);
      else
        resolve({
          wsUrl: m.wsUrl,
          sample: () =>
            new Promise((r) => {
              waiting.push(r);
              child.send('sample');
            }),
          stop: () => void child.kill('SIGKILL'),
        });
    });
  });
}

/** Opens `n` WebSockets, a few at a time. */
async function open(url: string, n: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => new WebSocket(url, { perMessageDeflate: false }));
    await Promise.all(
      batch.map(
        (ws) =>
          new Promise((resolve, reject) => {
            ws.once('open', resolve);
            ws.once('error', reject);
          }),
      ),
    );
    sockets.push(...batch);
  }
  return sockets;
}

/** Sends each socket's HELLO (rooms of PER_ROOM) and waits for every WELCOME. */
async function join(sockets: WebSocket[], prefix: string): Promise<void> {
  const frames = new FrameEncoder();
  await Promise.all(
    sockets.map(
      (ws, i) =>
        new Promise<void>((resolve, reject) => {
          ws.on('message', (data: Buffer) => {
            const kind = peekEnvelope(new Uint8Array(data))?.kind;
            if (kind === Kind.WELCOME) resolve();
            else if (kind === Kind.ERROR) reject(new Error(`client ${i} was refused`));
          });
          ws.send(frames.hello({ room: `${prefix}-${Math.floor(i / PER_ROOM)}`, name: `idle${i}`, token: '', resumeToken: undefined, protocolHash: scene.hash }));
        }),
    ),
  );
}

async function close(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((r) => {
          ws.once('close', r);
          ws.terminate();
        }),
    ),
  );
}

interface Row {
  host: HostKind;
  connections: number;
  baseRssMb: number;
  openRssKbPerConnection: number;
  joinedRssKbPerConnection: number;
  openHeapKbPerConnection: number;
  joinedHeapKbPerConnection: number;
}

const rows: Row[] = [];
for (const host of hosts) {
  const child = await start(host);
  try {
    // Warm the paths (upgrade, join, room creation) so compiled code is not counted per connection.
    const warm = await open(child.wsUrl, WARMUP);
    await join(warm, 'warm');
    await close(warm);
    const base = await child.sample();
    const sockets = await open(child.wsUrl, connections);
    const opened = await child.sample();
    await join(sockets, 'idle');
    const joined = await child.sample();
    if (joined.clients !== connections) throw new Error(`${host}: ${joined.clients} of ${connections} clients in rooms`);
    rows.push({
      host,
      connections,
      baseRssMb: mb(base.rss),
      openRssKbPerConnection: kb((opened.rss - base.rss) / connections),
      joinedRssKbPerConnection: kb((joined.rss - base.rss) / connections),
      openHeapKbPerConnection: kb((opened.heapUsed + opened.external - base.heapUsed - base.external) / connections),
      joinedHeapKbPerConnection: kb((joined.heapUsed + joined.external - base.heapUsed - base.external) / connections),
    });
    await close(sockets);
  } finally {
    child.stop();
  }
}

if (f.has('json')) {
  console.log(JSON.stringify(rows));
} else {
  console.log(`memory per idle connection, ${connections} connections (RSS and JS heap + external deltas after full collections)`);
  console.log('host   base RSS   RSS/conn open   RSS/conn joined   heap/conn open   heap/conn joined');
  for (const r of rows) {
    console.log(
      `${r.host.padEnd(6)} ${`${r.baseRssMb} MB`.padStart(8)}   ${`${r.openRssKbPerConnection} KB`.padStart(13)}   ${`${r.joinedRssKbPerConnection} KB`.padStart(15)}   ${`${r.openHeapKbPerConnection} KB`.padStart(14)}   ${`${r.joinedHeapKbPerConnection} KB`.padStart(16)}`,
    );
  }
}
