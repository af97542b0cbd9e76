import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '@tickwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { anonymousIdentity } from './anonymous.js';

// An HTTP peer on port 0 whose answer each test sets: what servers that do and do not issue
// identities say. (The real server's route is exercised in the cross-package tests.)
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function peer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    answer(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('anonymousIdentity', () => {
  it('POSTs to /api/anonymous and returns the identity', async () => {
    const p = await peer(json(200, { userId: 'anon-0123', token: 'anon.0123.abc' }));
    expect(await anonymousIdentity(p.base)).toEqual({ userId: 'anon-0123', token: 'anon.0123.abc' });
    expect(p.seen).toEqual(['POST /api/anonymous']);
  });

  it('takes a WebSocket URL to mean the same host', async () => {
    const p = await peer(json(200, { userId: 'anon-1', token: 't' }));
    await anonymousIdentity(`${p.base.replace('http:', 'ws:')}/ws`);
    expect(p.seen).toEqual(['POST /api/anonymous']);
  });

  it('says clearly when the server does not issue identities', async () => {
    const p = await peer(json(404, { error: 'NOT_FOUND' }));
    const err = await anonymousIdentity(p.base).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.AUTH_FAILED });
    expect((err as Error).message).toMatch(/does not issue anonymous identities \(POST \/api\/anonymous answered 404\): get a token from its sign-in/);
  });

  it('passes on a rate limit and the server message', async () => {
    const p = await peer(json(429, { error: 'RATE_LIMITED', message: 'too many identities from this address' }));
    await expect(anonymousIdentity(p.base)).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED, message: expect.stringMatching(/too many identities/) });
  });

  it('refuses an answer that is not an identity', async () => {
    const html = await peer((_req, res) => res.end('<!doctype html><title>game</title>'));
    await expect(anonymousIdentity(html.base)).rejects.toMatchObject({ code: ErrorCode.INTERNAL, message: expect.stringMatching(/did not answer \{ userId, token \}/) });
    const partial = await peer(json(200, { userId: 'anon-1' }));
    await expect(anonymousIdentity(partial.base)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  });

  it('reports an unreachable server as DISCONNECTED', async () => {
    const p = await peer(json(200, {}));
    await new Promise((r) => servers.pop()!.close(r));
    await expect(anonymousIdentity(p.base)).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED, message: expect.stringMatching(/could not reach/) });
  });
});
