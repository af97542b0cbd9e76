/**
 * Protocol v2 join over real WebSockets on port 0: the Node SDK creates a room by type with typed
 * join options, a second player joins it by the code the first got, onAuth refuses a wrong
 * password with its reason, and a player of a created room reconnects by itself to that room.
 */
import type { Socket } from 'node:net';
import { connect, createClient, type ClientRoom } from '@tickwire/client/node';
import { ErrorCode, defineProtocol, t, type JoinOptionsOf } from '@tickwire/protocol';
import { createServer, defineRoom, reject } from '@tickwire/server';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { silent } from './game.js';
import { waitFor } from './wait.js';

const duel = defineProtocol({
  name: 'duel',
  components: { pos: { x: t.uint({ max: 1000 }) }, team: { side: t.uint({ max: 3 }) } },
  entities: { fighter: ['pos', 'team'] },
  input: { dx: t.int({ min: -1, max: 1 }) },
  join: { team: t.uint({ max: 3 }), password: t.string(32) },
});
type Duel = typeof duel;

/** The password of each room is the one its creator chose. */
const duelRoom = defineRoom({
  protocol: duel,
  reconnectWindowMs: 10_000,
  setup: () => ({ password: undefined as string | undefined }),
  onAuth: async (options, _identity, room) => {
    await Promise.resolve(); // as a database lookup would
    if (room.state.password !== undefined && options.password !== room.state.password) reject('wrong password: ask the room creator');
  },
  onJoin: (room, _player, options) => {
    room.state.password ??= options.password;
    return room.entities.create('fighter', { pos: { x: 100 }, team: { side: options.team } });
  },
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve() {
  const server = createServer({ rooms: { duel: duelRoom }, logger: silent, processMetrics: false });
  const sockets: Socket[] = [];
  server.http.on('upgrade', (_req, socket: Socket) => sockets.push(socket));
  const addr = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  const client = (name: string) => createClient({ url: addr.wsUrl, protocol: duel, name, reconnect: { initialDelayMs: 50 } });
  return { server, sockets, client };
}

function keep(room: ClientRoom<Duel>): ClientRoom<Duel> {
  cleanups.push(() => room.isOpen && room.disconnect());
  return room;
}

describe('joining with options over real sockets', () => {
  it('create(type, options) gives a code that join(code, options) reaches; options reach the room typed', async () => {
    const { server, client } = await serve();
    expectTypeOf<Parameters<ReturnType<typeof client>['create']>[1]>().toEqualTypeOf<Partial<JoinOptionsOf<Duel>> | undefined>();
    const ada = keep(await client('ada').create('duel', { team: 1, password: 'sesame' }));
    expect(ada.code).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
    const bob = keep(await client('bob').join(ada.code, { team: 2, password: 'sesame' }));
    expect(bob.code).toBe(ada.code);
    const room = server.rooms.get(ada.code)!;
    expect(room.size).toBe(2);
    await waitFor(() => bob.entities.size === 2, 3000, 'both fighters');
    const sides = [...bob.entities.values()].map((e) => (e.typeName === 'fighter' ? e.state.team.side : -1)).sort();
    expect(sides).toEqual([1, 2]);
  });

  it('a wrong password is refused with the reason onAuth gave; a code with no room is ROOM_NOT_FOUND', async () => {
    const { server, client } = await serve();
    const ada = keep(await client('ada').create('duel', { password: 'sesame' }));
    await expect(client('eve').join(ada.code, { password: 'guess' })).rejects.toMatchObject({ code: ErrorCode.JOIN_REFUSED, message: 'wrong password: ask the room creator' });
    await expect(client('eve').join('NOSUCH', { password: 'x' })).rejects.toMatchObject({ code: ErrorCode.ROOM_NOT_FOUND });
    await expect(client('eve').create('chess')).rejects.toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE });
    expect(server.rooms.size).toBe(1);
    expect(server.rooms.get(ada.code)!.size).toBe(1);
  });

  it('options out of range are refused by the SDK before anything is sent', async () => {
    const { server, client } = await serve();
    await expect(client('ada').create('duel', { password: 'x'.repeat(2000), team: 1 })).resolves.toBeDefined();
    // A string is cut to its field's size like any string field; a value of the wrong type is refused.
    await expect(client('bob').create('duel', { team: 'two' as unknown as number })).rejects.toMatchObject({ code: ErrorCode.VALUE_OUT_OF_RANGE });
    expect(server.rooms.size).toBe(1);
  });

  it('connect takes exactly one of a code and a type, and no resume token with a create, before dialing', async () => {
    const url = 'ws://127.0.0.1:9/ws'; // never dialed
    await expect(connect({ url, protocol: duel })).rejects.toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE, message: expect.stringMatching(/exactly one of/) });
    await expect(connect({ url, protocol: duel, room: 'a', create: 'duel' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE });
    await expect(connect({ url, protocol: duel, create: 'two words' })).rejects.toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE, message: expect.stringMatching(/room type/) });
    await expect(connect({ url, protocol: duel, create: 'duel', resumeToken: new Uint8Array(16) })).rejects.toMatchObject({ code: ErrorCode.RESUME_FAILED });
  });

  it('a player of a created room, cut off, comes back by itself to that room', async () => {
    const { server, sockets, client } = await serve();
    const ada = keep(await client('ada').create('duel', { team: 3, password: 'pw' }));
    await waitFor(() => ada.stats.snapshots > 3, 3000, 'snapshots acknowledged');
    const { clientId, entityId, code } = ada;
    sockets.at(-1)!.destroy();
    await waitFor(() => ada.status === 'reconnecting', 3000, 'the drop to be noticed');
    await waitFor(() => ada.status === 'connected', 5000, 'the reconnect');
    expect([ada.code, ada.clientId, ada.entityId]).toEqual([code, clientId, entityId]);
    expect(server.rooms.size).toBe(1);
    expect(server.rooms.get(code)!.size).toBe(1);
  });
});
