/**
 * The physical limit: a plain `ws` server with no game logic that sends each client the frames
 * tickwire sent it in the same workload (same count, same sizes, same times within the window,
 * looped), read from a recording. Client k connects with `?i=k`. Upstream frames are counted
 * and dropped. What it costs is what moving those bytes through Node and `ws` costs.
 *
 *   node --conditions=source --import tsx bench/src/suite/raw-server.ts --replay /tmp/replay.json
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { flags } from '../args.js';
import { announce, serveStats } from './child-line.js';
import { downTimeline, LoopCursor, type Recording } from './replay.js';

/** How often the replay looks for frames that are due (ms). */
const STEP_MS = 5;

const f = flags();
const path = f.get('replay');
if (!path) throw new Error('raw-server needs --replay FILE (a recording of a tickwire run)');
const recording = JSON.parse(readFileSync(path, 'utf8')) as Recording;
const cursor = new LoopCursor(downTimeline(recording), recording.periodMs);

// One payload per (size, kind), shared by every send: the first byte tells raw clients
// whether the frame stands for a snapshot.
const payloads = new Map<number, Buffer>();
const payload = (bytes: number, snapshot: boolean): Buffer => {
  const key = bytes * 2 + (snapshot ? 1 : 0);
  let p = payloads.get(key);
  if (!p) {
    p = Buffer.alloc(Math.max(1, bytes));
    p[0] = snapshot ? 1 : 0;
    payloads.set(key, p);
  }
  return p;
};

const sockets = new Map<number, WebSocket>();
let received = 0;
const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 });
wss.on('connection', (ws, req) => {
  const index = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('i'));
  if (!Number.isInteger(index) || index < 0) return ws.close(1008, 'connect with ?i=<client index>');
  sockets.set(index, ws);
  ws.on('message', () => received++);
  ws.on('close', () => sockets.get(index) === ws && sockets.delete(index));
  ws.on('error', () => ws.terminate());
});

const start = performance.now();
setInterval(() => {
  for (const frame of cursor.due(performance.now() - start)) {
    const ws = sockets.get(frame.client);
    if (ws && ws.readyState === ws.OPEN) ws.send(payload(frame.bytes, frame.snapshot), { binary: true });
  }
}, STEP_MS);

http.listen(0, '127.0.0.1', () => {
  serveStats(() => ({ clients: sockets.size, inputs: received }));
  announce({ ready: true, port: (http.address() as AddressInfo).port, pid: process.pid });
});
