/**
 * Reconnecting over real WebSockets on port 0: the server-side TCP socket is destroyed, as a
 * network drop would, and the Node SDK comes back by itself to the same seat and entity with an
 * identity the server issued over HTTP.
 */
import type { Socket } from 'node:net';
import { anonymousIdentity, connect, type ClientRoom } from '@tickwire/client/node';
import { ErrorCode } from '@tickwire/protocol';
import { createServer } from '@tickwire/server';
import { afterEach, describe, expect, it } from 'vitest';
import { silent, testGame, testRoom, type TestGame } from './game.js';
import { waitFor } from './wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve() {
  const server = createServer({ rooms: testRoom({ reconnectWindowMs: 10_000 }), logger: silent, processMetrics: false });
  // Every upgraded socket, in order, so a test can cut one from the server's side.
  const sockets: Socket[] = [];
  server.http.on('upgrade', (_req, socket: Socket) => sockets.push(socket));
  const addr = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  return { server, addr, sockets };
}

async function join(wsUrl: string, name: string, token: string): Promise<ClientRoom<TestGame>> {
  const room = await connect({ url: wsUrl, room: 'r1', name, token, protocol: testGame, reconnect: { initialDelayMs: 50 } });
  cleanups.push(() => room.isOpen && room.disconnect());
  return room;
}

function ships(room: ClientRoom<TestGame>): number {
  return [...room.entities.values()].filter((e) => e.typeName === 'ship').length;
}

describe('reconnect over real sockets', () => {
  it('a socket cut on the server side comes back by itself to the same seat and entity', async () => {
    const { server, addr, sockets } = await serve();
    const ada = await join(addr.wsUrl, 'ada', (await anonymousIdentity(addr.url)).token);
    const adaSocket = sockets.at(-1)!;
    const bob = await join(addr.wsUrl, 'bob', (await anonymousIdentity(addr.url)).token);
    await waitFor(() => ships(ada) === 2 && ships(bob) === 2 && ada.stats.snapshots > 3, 3000, 'both ships on both sides');
    const { clientId, entityId } = ada;
    const statuses: string[] = [];
    ada.on('reconnecting', (i) => statuses.push(`reconnecting ${i.attempt}`));
    ada.on('reconnected', (i) => statuses.push(i.resumed ? 'resumed' : 'new seat'));

    adaSocket.destroy();
    await waitFor(() => ada.status === 'reconnecting', 3000, 'the drop to be noticed');
    await waitFor(() => ada.status === 'connected', 5000, 'the reconnect');
    expect(statuses).toEqual(['reconnecting 1', 'resumed']);
    expect([ada.clientId, ada.entityId]).toEqual([clientId, entityId]);
    await waitFor(() => ada.entities.has(entityId), 3000, 'the own ship after the resume');

    // Still one seat and one ship for ada, and her inputs reach the server again.
    expect(server.rooms.get('r1')!.size).toBe(2);
    expect(ships(bob)).toBe(2);
    const start = bob.entities.get(entityId)!;
    const x0 = start.typeName === 'ship' ? start.state.position.x : 0;
    const timer = setInterval(() => ada.sendInput({ dx: 1, dy: 0 }), 50);
    cleanups.push(() => clearInterval(timer));
    await waitFor(() => {
      const e = bob.entities.get(entityId);
      return e?.typeName === 'ship' && e.state.position.x > x0 + 40;
    }, 3000, 'bob to see ada move after her reconnect');
    clearInterval(timer);
  });

  it('a token the server did not issue is refused with AUTH_FAILED', async () => {
    const { addr } = await serve();
    const real = await anonymousIdentity(addr.url);
    const forged = real.token.slice(0, -2) + (real.token.endsWith('AA') ? 'BB' : 'AA');
    await expect(join(addr.wsUrl, 'mallory', forged)).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    await expect(join(addr.wsUrl, 'mallory', `anon:${real.userId}`)).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
  });
});
