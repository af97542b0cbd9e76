/**
 * Malformed HTTP and upgrade requests, over raw TCP to a real server on port 0: each gets an
 * answer (400, 404), never an exception out of a handler, and the server keeps serving.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '@tickwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { gameRoom, silent } from './harness.test-support.js';
import { createServer, type TickwireServer } from './server.js';

/** Sends raw bytes and collects everything the server answers until it closes (or 2 s pass). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, 2000);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      if (out.startsWith('HTTP/1.1 101') && out.includes('\r\n\r\n')) done(); // upgraded: it stays open
    });
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => socket.write(request));
  });
}

const upgrade = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('malformed HTTP never ends the process', () => {
  const servers: TickwireServer[] = [];
  afterEach(async () => {
    while (servers.length) await servers.pop()!.close();
  });

  async function start() {
    const dir = await mkdtemp(join(tmpdir(), 'tickwire-http-'));
    await writeFile(join(dir, 'index.html'), '<h1>game</h1>');
    const server = createServer({ rooms: gameRoom(), logger: silent, processMetrics: false, staticDir: dir });
    servers.push(server);
    const addr = await server.listen(0, '127.0.0.1');
    return { server, port: addr.port, url: addr.url };
  }

  it('answers 400 to upgrades whose target is not a valid path', async () => {
    const { port, url } = await start();
    for (const target of ['http://[/ws', '//a:99999/ws', '*', 'ws', '/ws/../%']) {
      const answer = await raw(port, upgrade(target));
      expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404)/);
    }
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('answers 404 to upgrades elsewhere and 400 to broken upgrade headers, then still upgrades', async () => {
    const { port } = await start();
    expect(await raw(port, upgrade('/nope'))).toMatch(/^HTTP\/1\.1 404/);
    const badVersion = `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 99\r\n\r\n`;
    expect(await raw(port, badVersion)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(port, upgrade('/ws'))).toMatch(/^HTTP\/1\.1 101/);
  });

  it('answers garbage, huge headers and a reset mid-request without dying', async () => {
    const { port, url } = await start();
    expect(await raw(port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(upgrade('/ws').slice(0, 40));
        s.resetAndDestroy();
        resolve();
      });
    });
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('answers a malformed room code with 400 and unknown API paths with a JSON 404, not the page', async () => {
    const { url } = await start();
    const bad = await fetch(`${url}/api/rooms/%ZZ`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'BAD_REQUEST' });
    const unknown = await fetch(`${url}/api/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
    expect(await unknown.json()).toMatchObject({ error: 'NOT_FOUND' });
    // Outside /api the page still answers client-side routes.
    expect(await (await fetch(`${url}/play`)).text()).toBe('<h1>game</h1>');
  });

  it('issues anonymous identities over POST /api/anonymous, and only in anonymous mode', async () => {
    const { server, url } = await start();
    const res = await fetch(`${url}/api/anonymous`, { method: 'POST' });
    expect(res.status).toBe(200);
    const id = (await res.json()) as { userId: string; token: string };
    expect(server.anonymous!.verify(id.token)).toEqual({ userId: id.userId });
    const authed = createServer({ rooms: gameRoom(), logger: silent, processMetrics: false, authenticate: () => ({ userId: 'u' }) });
    servers.push(authed);
    const addr = await authed.listen(0, '127.0.0.1');
    expect((await fetch(`${addr.url}/api/anonymous`, { method: 'POST' })).status).toBe(404);
  });

  it('counts WebSocket pings like messages: a ping flood is closed as a flood', async () => {
    const server = createServer({ rooms: gameRoom(), logger: silent, processMetrics: false, limits: { messagesPerSecond: 20, messageBurst: 20, floodTolerance: 20 } });
    servers.push(server);
    const addr = await server.listen(0, '127.0.0.1');
    const ws = new WebSocket(addr.wsUrl);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    for (let i = 0; i < 200; i++) ws.ping();
    expect(await closed).toBe(CloseCode.FLOOD);
  });
});
