/**
 * The physical limit: a plain WebSocket server with no game logic that sends each client the
 * frames tickwire sent it in the same workload (same count, same sizes, same times within the
 * window, looped), read from a recording; on `ws` (node:http) or on uWebSockets.js. Client k
 * connects with `?i=k`. Upstream frames are counted and dropped. What it costs is what moving
 * those bytes through Node and that WebSocket server costs.
 *
 *   node --conditions=source --import tsx bench/src/suite/raw-server.ts --replay /tmp/replay.json [--transport ws|uws]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { flags } from '../args.js';
import { announce, serveStats } from './child-line.js';
import { downTimeline, LoopCursor, type Recording } from './replay.js';

/** How often the replay looks for frames that are due (ms). */
const STEP_MS = 5;
/** Largest upstream frame taken (the recording's are a few bytes). */
const MAX_PAYLOAD = 64 * 1024;

/** A connected client, whichever server holds it. */
interface Peer {
  send(payload: Buffer): void;
}

/** What the replay needs of a WebSocket server: clients by index, and upstream frames counted. */
interface Sockets {
  readonly peers: Map<number, Peer>;
  received: number;
}

const clientIndex = (query: string | null): number | undefined => {
  const index = Number(query);
  return query !== null && query !== '' && Number.isInteger(index) && index >= 0 ? index : undefined;
};

/** `ws` on node:http, on 127.0.0.1 port 0; resolves with the port. */
function listenWs(s: Sockets): Promise<number> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  wss.on('connection', (ws, req) => {
    const index = clientIndex(new URL(req.url ?? '/', 'http://localhost').searchParams.get('i'));
    if (index === undefined) return ws.close(1008, 'connect with ?i=<client index>');
    const peer: Peer = { send: (p) => ws.readyState === ws.OPEN && ws.send(p, { binary: true }) };
    s.peers.set(index, peer);
    ws.on('message', () => s.received++);
    ws.on('close', () => s.peers.get(index) === peer && s.peers.delete(index));
    ws.on('error', () => ws.terminate());
  });
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port)));
}

/**
 * uWebSockets.js on 127.0.0.1 port 0; resolves with the port. Its send buffers what the socket
 * cannot take up to `maxBackpressure`: set high, so like `ws` it never drops a frame.
 */
async function listenUws(s: Sockets): Promise<number> {
  const { default: uws } = await import('uWebSockets.js');
  const app = uws.App();
  app.ws<{ index: number }>('/*', {
    compression: uws.DISABLED,
    maxPayloadLength: MAX_PAYLOAD,
    maxBackpressure: 256 * 1024 * 1024,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      const index = clientIndex(req.getQuery('i'));
      if (index === undefined) {
        res.writeStatus('400 Bad Request').end('connect with ?i=<client index>');
        return;
      }
      res.upgrade({ index }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      s.peers.set(ws.getUserData().index, { send: (p) => ws.send(p, true) });
    },
    message: () => {
      s.received++;
    },
    close: (ws) => {
      s.peers.delete(ws.getUserData().index);
    },
  });
  return new Promise((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(uws.us_socket_local_port(socket)) : reject(new Error('uWebSockets.js could not listen on 127.0.0.1')))),
  );
}

const f = flags();
const path = f.get('replay');
if (!path) throw new Error('raw-server needs --replay FILE (a recording of a tickwire run)');
const transport = f.get('transport') ?? 'ws';
if (transport !== 'ws' && transport !== 'uws') throw new Error(`--transport is ws or uws, not ${transport}`);
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

const sockets: Sockets = { peers: new Map(), received: 0 };
const port = transport === 'uws' ? await listenUws(sockets) : await listenWs(sockets);
const start = performance.now();
setInterval(() => {
  for (const frame of cursor.due(performance.now() - start)) sockets.peers.get(frame.client)?.send(payload(frame.bytes, frame.snapshot));
}, STEP_MS);
serveStats(() => ({ clients: sockets.peers.size, inputs: sockets.received }));
announce({ ready: true, port, pid: process.pid });
