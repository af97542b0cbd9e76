/**
 * Identity over real sockets on port 0: a server that validates JWTs, the Node SDK joining with
 * a token `tickwire token` would print, refused with a reason for an expired one, and a token
 * provider that the SDK calls again when it reconnects, so a token that expired while the
 * player was away is replaced by a fresh one.
 */
import type { Socket } from 'node:net';
import { connect, type ClientRoom, type CloseInfo, type TokenSource } from '@tickwire/client/node';
import { CloseCode, ErrorCode, TickwireError } from '@tickwire/protocol';
import { createServer, type Identity } from '@tickwire/server';
import { issueToken, main } from 'tickwire';
import { afterEach, describe, expect, it } from 'vitest';
import { silent, testGame, testRoom, type TestGame } from './game.js';
import { waitFor } from './wait.js';

const SECRET = 'identity-test-secret-of-32-bytes-or-more';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A JWT server whose wall clock the test sets (`clock.now`), and the identities its room admitted. */
async function serve() {
  const wall = { now: Date.now() };
  const admitted: Identity[] = [];
  const server = createServer({
    rooms: testRoom({
      reconnectWindowMs: 10_000,
      onAuth: (_options, identity) => {
        admitted.push(identity);
      },
    }),
    auth: { jwt: { secret: SECRET, issuer: 'tests', audience: 'test-game', clockToleranceSec: 0, now: () => wall.now } },
    env: {},
    logger: silent,
    processMetrics: false,
  });
  const sockets: Socket[] = [];
  server.http.on('upgrade', (_req, socket: Socket) => sockets.push(socket));
  const addr = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  return { server, addr, wall, admitted, sockets };
}

const token = (sub: string, now: number, ttlSec = 60) => issueToken({ secret: SECRET, sub, ttlSec, issuer: 'tests', audience: 'test-game', now });

async function join(wsUrl: string, tokenSource: TokenSource): Promise<ClientRoom<TestGame>> {
  const room = await connect({ url: wsUrl, room: 'r1', name: 'ada', token: tokenSource, protocol: testGame, reconnect: { initialDelayMs: 20 } });
  cleanups.push(() => room.isOpen && room.disconnect());
  return room;
}

describe('JWT identity over real sockets', () => {
  it('joins with a valid token (the subject is the user id) and is refused with an expired one', async () => {
    const { addr, wall, admitted } = await serve();
    const room = await join(addr.wsUrl, await token('alice', wall.now));
    expect(admitted.map((i) => i.userId)).toEqual(['alice']);
    expect(admitted[0]!.claims).toMatchObject({ sub: 'alice', iss: 'tests', aud: 'test-game' });
    expect(room.clientId).toBeGreaterThan(0);

    const expired = await token('bob', wall.now - 120_000);
    const refusal = await join(addr.wsUrl, expired).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(TickwireError);
    expect((refusal as TickwireError).code).toBe(ErrorCode.AUTH_FAILED);
    expect((refusal as TickwireError).message).toMatch(/^expired: /);
    expect((refusal as TickwireError).message).not.toContain(expired);

    const forged = await issueToken({ secret: 'another-secret-that-is-32-bytes-long', sub: 'alice', issuer: 'tests', audience: 'test-game', now: wall.now });
    expect(await join(addr.wsUrl, forged).catch((e: unknown) => (e as TickwireError).message)).toMatch(/^bad signature: /);
    expect(await join(addr.wsUrl, '').catch((e: unknown) => (e as TickwireError).message)).toMatch(/^missing token: /);
    expect(admitted).toHaveLength(1);
  });

  it('calls the token provider again on reconnect, so a token that expired meanwhile is replaced', async () => {
    const { server, addr, wall, admitted, sockets } = await serve();
    const issuedAt: number[] = [];
    const provider = async () => {
      issuedAt.push(wall.now);
      return token('alice', wall.now);
    };
    const room = await join(addr.wsUrl, provider);
    const { clientId, entityId } = room;
    await waitFor(() => room.stats.snapshots > 2, 3000, 'snapshots');

    // The first token expires while the player is connected, then the connection drops.
    wall.now += 120_000;
    sockets.at(-1)!.destroy();
    await waitFor(() => room.status === 'reconnecting', 3000, 'the drop');
    await waitFor(() => room.status === 'connected', 5000, 'the reconnect');
    expect(issuedAt).toHaveLength(2);
    expect(issuedAt[1]).toBe(issuedAt[0]! + 120_000);
    // The same membership came back, under the same user.
    expect([room.clientId, room.entityId]).toEqual([clientId, entityId]);
    expect(server.rooms.get('r1')!.size).toBe(1);
    expect(admitted.every((i) => i.userId === 'alice')).toBe(true);
  });

  it('a fixed token that expired while away cannot come back: the reconnect ends with AUTH_FAILED', async () => {
    const { addr, wall, sockets } = await serve();
    const room = await join(addr.wsUrl, await token('alice', wall.now));
    await waitFor(() => room.stats.snapshots > 2, 3000, 'snapshots');
    const closed = new Promise<CloseInfo>((resolve) => room.on('close', resolve));
    wall.now += 120_000;
    sockets.at(-1)!.destroy();
    const info = await closed;
    expect(info.code).toBe(CloseCode.AUTH_FAILED);
    expect(info.error?.code).toBe(ErrorCode.AUTH_FAILED);
    expect(info.error?.message).toMatch(/^expired: /);
  });

  it('tickwire token prints a token this server accepts', async () => {
    const { addr, admitted } = await serve();
    let printed = '';
    const code = await main(['token', '--sub', 'cli-user', '--ttl', '600'], { write: (s: string) => (printed += s) }, { write: () => true }, process.cwd(), {
      TICKWIRE_JWT_SECRET: SECRET,
      TICKWIRE_JWT_ISSUER: 'tests',
      TICKWIRE_JWT_AUDIENCE: 'test-game',
    });
    expect(code).toBe(0);
    // The server's wall clock is real time here, as the CLI's is.
    await join(addr.wsUrl, printed.trim());
    expect(admitted.map((i) => i.userId)).toEqual(['cli-user']);
    const res = await fetch(`${addr.url}/api/identity`, { headers: { authorization: `Bearer ${printed.trim()}` } });
    expect(await res.json()).toEqual({ userId: 'cli-user' });
  });
});
