import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, ErrorCode, FrameEncoder, PROTOCOL_VERSION, decodeServer, type ServerMessage } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { addressKey } from './address-book.js';
import { flush, game, gameRoom, harness } from './harness.test-support.js';
import { HOSTS, serversOn } from './hosts.test-support.js';
import { json } from './http-routes.js';

describe.each(HOSTS)('HTTP API ($host host)', ({ host }) => {
  const serve = serversOn(host);
  const start = (staticDir?: string) => serve({ rooms: gameRoom(), staticDir });

  it('serves health, the room list and Prometheus metrics', async () => {
    const { server, url } = await start();
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', protocol: PROTOCOL_VERSION, rooms: 0, clients: 0 });
    await server.rooms.open('alpha');
    const rooms = (await (await fetch(`${url}/api/rooms`)).json()) as { rooms: unknown[] };
    expect(rooms.rooms).toEqual([expect.objectContaining({ code: 'alpha', players: 0, tickRate: 20, snapshotRate: 20 })]);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    for (const name of [
      'tickwire_rooms 1',
      'tickwire_clients 0',
      'tickwire_tick_duration_seconds_bucket',
      'tickwire_ticks_dropped_total',
      'tickwire_bytes_in_total',
      'tickwire_bytes_out_total',
      'tickwire_snapshots_skipped_total',
      'tickwire_snapshot_bytes_bucket',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('serves static files, falls back to index.html for routes, and refuses to leave the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickwire-static-'));
    await writeFile(join(dir, 'index.html'), '<h1>arena</h1>');
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    // Bigger than a socket takes at once, so the host streams it under backpressure.
    const bundle = 'x'.repeat(3 * 1024 * 1024);
    await writeFile(join(dir, 'assets', 'bundle.js'), bundle);
    await writeFile(join(dir, 'assets', 'empty.txt'), '');
    const { url } = await start(dir);
    expect(await (await fetch(`${url}/`)).text()).toBe('<h1>arena</h1>');
    const js = await fetch(`${url}/assets/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toBe('console.log(1)');
    const big = await fetch(`${url}/assets/bundle.js`);
    expect(big.headers.get('content-length')).toBe(String(bundle.length));
    expect(await big.text()).toBe(bundle);
    const empty = await fetch(`${url}/assets/empty.txt`);
    expect([empty.status, empty.headers.get('content-length'), await empty.text()]).toEqual([200, '0', '']);
    const head = await fetch(`${url}/assets/app.js`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '14', '']);
    expect(await (await fetch(`${url}/play`)).text()).toBe('<h1>arena</h1>');
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    // An encoded slash survives URL normalisation, so this really tries to climb out.
    const escape = await new Promise<number>((resolve, reject) => {
      request(`${url}/..%2f..%2f..%2fetc%2fpasswd`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(escape).toBe(404);
    expect((await fetch(`${url}/api/health`, { method: 'POST' })).status).toBe(405);
  });

  it('admits WebSockets under the address the per-address limits count, IPv4 as itself', async () => {
    const { server, wsUrl } = await serve({ rooms: gameRoom(), limits: { maxConnectionsPerAddress: 1 } });
    const a = await socket(wsUrl);
    a.ws.send(frames.hello({ room: 'r', name: 'a', token: '', resumeToken: undefined, protocolHash: game.hash }));
    const welcome = await a.next((m) => m.kind === 'welcome');
    if (welcome.kind !== 'welcome') throw new Error('no welcome');
    const address = server.rooms.get('r')!.clients.get(welcome.clientId)!.remoteAddress;
    expect(addressKey(address)).toBe('127.0.0.1');
    // A second connection from the same address is over the limit of one.
    const b = await socket(wsUrl);
    expect(await b.next((m) => m.kind === 'error')).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    expect(await b.closed).toBe(CloseCode.TOO_MANY_CONNECTIONS);
  });

  it('shuts down over real sockets: clients get SHUTTING_DOWN and close 1001, the port is released', async () => {
    let disposed = 0;
    const { server, wsUrl, url } = await serve({ rooms: gameRoom({ onDispose: () => void disposed++ }) });
    const a = await socket(wsUrl);
    a.ws.send(frames.hello({ room: 'r', name: 'a', token: '', resumeToken: undefined, protocolHash: game.hash }));
    await a.next((m) => m.kind === 'welcome');
    await server.close();
    expect(await a.next((m) => m.kind === 'error')).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, fatal: true });
    expect(await a.closed).toBe(CloseCode.GOING_AWAY);
    expect(disposed).toBe(1);
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
  });

  it('answers the request that closes it before it cuts its connections (an admin drain)', async () => {
    let closing: Promise<void> | undefined;
    const { server, url } = await serve({
      rooms: gameRoom(),
      routes: [{ method: 'POST', path: '/api/bye', handler: () => ((closing = server.close()), json(202, { bye: true })) }],
    });
    const res = await fetch(`${url}/api/bye`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ bye: true });
    await closing;
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
  });
});

const frames = new FrameEncoder();

/** A raw protocol client over a real WebSocket: the messages it got, and its close code. */
async function socket(url: string) {
  const ws = new WebSocket(url);
  const got: ServerMessage[] = [];
  const waiting: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    got.push(decodeServer(new Uint8Array(data), game));
    for (const wake of waiting.splice(0)) wake();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve) => ws.once('open', resolve));
  /** The first message that passes `ok`, when it arrives. */
  const next = async (ok: (m: ServerMessage) => boolean): Promise<ServerMessage> => {
    for (;;) {
      const found = got.find(ok);
      if (found) return found;
      await new Promise<void>((wake) => waiting.push(wake));
    }
  };
  return { ws, next, closed };
}

describe('shutdown', () => {
  it('tells clients with an error and close 1001, disposes rooms, and refuses new joins', async () => {
    let disposed = 0;
    const h = harness(gameRoom({ onDispose: () => void disposed++ }));
    const a = await h.join();
    await h.close();
    await flush();
    expect(a.errors.at(-1)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, fatal: true });
    expect(a.closed?.code).toBe(CloseCode.GOING_AWAY);
    expect(disposed).toBe(1);
    const b = h.connect();
    b.hello();
    await flush();
    expect(b.errors[0]?.code).toBe(ErrorCode.SHUTTING_DOWN);
  });

  it('shuts down on the first signal and exits at once on the second', async () => {
    const h = harness();
    await h.join();
    const exits: number[] = [];
    const remove = h.server.handleSignals((code) => exits.push(code));
    try {
      process.emit('SIGTERM');
      process.emit('SIGINT');
      expect(exits).toEqual([1]);
      await flush();
      await flush();
      expect(exits).toEqual([1, 0]);
      expect(h.server.closing).toBe(true);
    } finally {
      remove();
    }
  });
});
