/**
 * Malformed HTTP and upgrade requests, over raw TCP to a real server on port 0, on each host:
 * each gets an answer (400, 404), never an exception out of a handler, and the server keeps
 * serving. What a host's own HTTP parser refuses, node:http answers and uWebSockets.js drops;
 * the table in hosts.test-support.ts says which.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { gameRoom } from './harness.test-support.js';
import { HOSTS, raw, serversOn, upgrade } from './hosts.test-support.js';

describe.each(HOSTS)('malformed HTTP never ends the process ($host host)', ({ host, answersUnparsable, bigHeaders }) => {
  const serve = serversOn(host);

  async function start() {
    const dir = await mkdtemp(join(tmpdir(), 'tickwire-http-'));
    await writeFile(join(dir, 'index.html'), '<h1>game</h1>');
    return serve({ rooms: gameRoom(), staticDir: dir });
  }

  it('answers 400 to upgrades whose target is not a valid path', async () => {
    const { port, url } = await start();
    for (const target of ['//a:99999/ws', '/ws/../%']) {
      expect(await raw(port, upgrade(target)), target).toMatch(/^HTTP\/1\.1 (400|404)/);
    }
    // Not paths at all: the HTTP parser's to refuse.
    for (const target of ['http://[/ws', '*', 'ws']) {
      const answer = await raw(port, upgrade(target), answersUnparsable ? 2000 : 300);
      if (answersUnparsable) expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404)/);
      else expect(answer, target).toBe('');
    }
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('answers 404 to upgrades elsewhere and 400 to broken upgrade headers, then still upgrades', async () => {
    const { port } = await start();
    expect(await raw(port, upgrade('/nope'))).toMatch(/^HTTP\/1\.1 404/);
    expect(await raw(port, upgrade('/ws/'))).toMatch(/^HTTP\/1\.1 404/);
    const badVersion = `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 99\r\n\r\n`;
    expect(await raw(port, badVersion)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(port, upgrade('/ws', ''))).toMatch(/^HTTP\/1\.1 101/);
    const goodKeyBadVersion = upgrade('/ws').replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 99');
    expect(await raw(port, goodKeyBadVersion)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(port, upgrade('/ws?room=abc'))).toMatch(/^HTTP\/1\.1 101/);
  });

  it('answers garbage, huge headers and a reset mid-request without dying', async () => {
    const { port, url } = await start();
    const garbage = await raw(port, 'NOT HTTP AT ALL\r\n\r\n', answersUnparsable ? 2000 : 300);
    if (answersUnparsable) expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    else expect(garbage).toBe('');
    expect(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(bigHeaders);
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
    const res = await fetch(`${url}/api/anonymous`, { method: 'POST', body: '{"ignored":true}' });
    expect(res.status).toBe(200);
    const id = (await res.json()) as { userId: string; token: string };
    expect(server.anonymous!.verify(id.token)).toEqual({ userId: id.userId });
    const authed = await serve({ rooms: gameRoom(), authenticate: () => ({ userId: 'u' }) });
    expect((await fetch(`${authed.url}/api/anonymous`, { method: 'POST' })).status).toBe(404);
  });

  it('refuses a body over maxRequestBodyBytes with 413, whether its length is declared or not', async () => {
    const { port, url } = await serve({ rooms: gameRoom(), limits: { maxRequestBodyBytes: 1000 } });
    const declared = await raw(port, `POST /api/anonymous HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(100)}`);
    expect(declared).toMatch(/^HTTP\/1\.1 413/);
    expect(declared).toContain('PAYLOAD_TOO_LARGE');
    const chunk = 'x'.repeat(600);
    const chunked = await raw(port, `POST /api/anonymous HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`);
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    // At the limit is fine, and the server goes on.
    expect((await fetch(`${url}/api/anonymous`, { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(200);
  });

  it('counts WebSocket pings like messages: a ping flood is closed as a flood', async () => {
    const { wsUrl } = await serve({ rooms: gameRoom(), limits: { messagesPerSecond: 20, messageBurst: 20, floodTolerance: 20 } });
    const ws = new WebSocket(wsUrl);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    for (let i = 0; i < 200; i++) ws.ping();
    expect(await closed).toBe(CloseCode.FLOOD);
  });
});
