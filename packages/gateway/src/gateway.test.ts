/**
 * The gateway's routing, through its Web-standard handler, on in-memory registries and a stepped
 * clock: where joins and creates are sent, the tickets it signs (checked the way a process checks
 * them), a room whose process died, and every refusal of a bad request. Calls to processes
 * (sessions, admin) are in tests/src/gateway.test.ts, against real processes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, ManualClock } from '@tickwire/protocol';
import { JoinTickets, MemoryProcessRegistry, MemoryRegistry, preferred, type ProcessInfo } from '@tickwire/server';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Gateway } from './gateway.js';

const SECRET = 'gateway-test-secret-0123456789abcdef';
const silent = pino({ level: 'silent' });

function info(id: string, load: { rooms: number; clients: number } = { rooms: 0, clients: 0 }, draining = false): ProcessInfo {
  return {
    id,
    url: `ws://${id}.test:7000/ws`,
    httpUrl: `http://${id}.test:7000`,
    capacity: { rooms: 100, clients: 1000 },
    load: { ...load, tickMsP99: 1, bytesOutPerSec: 0 },
    draining,
    startedAt: 0,
  };
}

async function setup() {
  const clock = new ManualClock(1000);
  const processes = new MemoryProcessRegistry(clock);
  const rooms = new MemoryRegistry(clock);
  const gateway = new Gateway({ processes, rooms, secret: SECRET, env: {}, clock, logger: silent });
  const tickets = new JoinTickets(SECRET);
  const { token, userId } = (await (await gateway.fetch(new Request('http://gw/api/anonymous', { method: 'POST' }))).json()) as { token: string; userId: string };
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, auth: string | null = token) => {
    const headers: Record<string, string> = {};
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    const res = await gateway.fetch(new Request(`http://gw${path}`, { method, headers, body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body) }));
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  return { clock, processes, rooms, gateway, tickets, userId, call };
}

describe('gateway routing', () => {
  it('sends a new room to the least-loaded process with a ticket for it that names the type', async () => {
    const { processes, tickets, userId, call } = await setup();
    await processes.heartbeat(info('a', { rooms: 5, clients: 400 }), 6000);
    await processes.heartbeat(info('b', { rooms: 5, clients: 100 }), 6000);
    const res = await call('POST', '/api/join', { create: 'duel', name: 'Ada' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ url: 'ws://b.test:7000/ws', process: 'b' });
    const ticket = await tickets.verify(String(res.body.ticket), 'b');
    expect(ticket).toEqual({ userId, name: 'Ada', room: res.body.room, type: 'duel', process: 'b' });
    // Not valid anywhere else.
    await expect(tickets.verify(String(res.body.ticket), 'a')).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
  });

  it('counts what it placed until the process heartbeats again, so a burst of creates spreads', async () => {
    const { processes, call } = await setup();
    const a = info('a', { rooms: 0, clients: 0 });
    await processes.heartbeat({ ...a, capacity: { rooms: 100, clients: 10 } }, 6000);
    await processes.heartbeat({ ...info('b'), capacity: { rooms: 100, clients: 10 } }, 6000);
    const where = [];
    for (let i = 0; i < 4; i++) where.push((await call('POST', '/api/join', { create: 'duel' })).body.process);
    expect(where.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it("sends a join to the room's owner, without a type in the ticket", async () => {
    const { processes, rooms, tickets, call } = await setup();
    await processes.heartbeat(info('a'), 6000);
    await processes.heartbeat(info('b'), 6000);
    await rooms.claim('ROOM-1', 'a', 10_000);
    const res = await call('POST', '/api/join', { room: 'ROOM-1' });
    expect(res.body).toMatchObject({ room: 'ROOM-1', process: 'a', url: 'ws://a.test:7000/ws' });
    expect((await tickets.verify(String(res.body.ticket), 'a')).type).toBeUndefined();
    const where = await call('GET', '/api/where/ROOM-1?name=Bo');
    expect(where.body).toMatchObject({ room: 'ROOM-1', process: 'a' });
    expect((await tickets.verify(String(where.body.ticket), 'a')).name).toBe('Bo');
  });

  it('says a room is moving while its dead owner still holds the lease, then sends joins where it reopens', async () => {
    const { clock, processes, rooms, tickets, call } = await setup();
    await processes.heartbeat(info('a'), 6000);
    await processes.heartbeat(info('b'), 60_000);
    await processes.heartbeat(info('c'), 60_000);
    await rooms.claim('ROOM-1', 'a', 10_000, 'duel');
    clock.advance(6000); // a's record expired: a is dead, its claim lives on for 4 s more
    const moving = await call('GET', '/api/where/ROOM-1');
    expect(moving.status).toBe(503);
    expect(moving.body.code).toBe(ErrorCode.ROOM_ELSEWHERE);
    expect(moving.headers.get('retry-after')).toBe('1');
    clock.advance(4000);
    // An orphan now: sent where the takeover prefers it, with its type, so that process can open it.
    const orphan = await call('GET', '/api/where/ROOM-1');
    expect(orphan.body.process).toBe(preferred('ROOM-1', ['b', 'c']));
    expect(await tickets.verify(String(orphan.body.ticket), String(orphan.body.process))).toMatchObject({ room: 'ROOM-1', type: 'duel' });
    expect(await rooms.claim('ROOM-1', 'c', 10_000)).toMatchObject({ owner: 'c', epoch: 2 });
    const owned = await call('GET', '/api/where/ROOM-1');
    expect(owned.body).toMatchObject({ process: 'c' });
    expect((await tickets.verify(String(owned.body.ticket), 'c')).type).toBeUndefined();
  });

  it('sends a room nobody runs to the same process for every caller, never to a draining one', async () => {
    const { processes, call } = await setup();
    await processes.heartbeat(info('a'), 6000);
    await processes.heartbeat(info('b'), 6000);
    await processes.heartbeat(info('c', undefined, true), 6000);
    const codes = Array.from({ length: 20 }, (_, i) => `free-${i}`);
    const first = await Promise.all(codes.map(async (c) => (await call('POST', '/api/join', { room: c })).body.process));
    const again = await Promise.all(codes.map(async (c) => (await call('GET', `/api/where/${c}`)).body.process));
    expect(again).toEqual(first);
    // As the processes share out orphans: spread over both, never the draining one.
    expect(first).toEqual(codes.map((c) => preferred(c, ['a', 'b'])));
    expect(new Set(first)).toEqual(new Set(['a', 'b']));
  });

  it('answers 503 when no process can take a room', async () => {
    const { processes, call } = await setup();
    expect((await call('POST', '/api/join', { create: 'duel' })).status).toBe(503);
    await processes.heartbeat(info('a', undefined, true), 6000);
    const res = await call('POST', '/api/join', { room: 'nobody' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe(ErrorCode.TOO_MANY_ROOMS);
  });

  it('needs a valid bearer token', async () => {
    const { processes, call } = await setup();
    await processes.heartbeat(info('a'), 6000);
    expect((await call('POST', '/api/join', { room: 'r' }, null)).status).toBe(401);
    expect((await call('POST', '/api/join', { room: 'r' }, 'anon.0123.forged')).status).toBe(401);
    expect((await call('GET', '/api/where/r', undefined, null)).status).toBe(401);
    const other = new Gateway({ processes, rooms: new MemoryRegistry(new ManualClock()), secret: 'another-secret-0123456789abcdef', env: {}, logger: silent });
    const stranger = (await (await other.fetch(new Request('http://gw/api/anonymous', { method: 'POST' }))).json()) as { token: string };
    expect((await call('POST', '/api/join', { room: 'r' }, stranger.token)).status).toBe(401);
  });

  it('refuses malformed requests with a code that says what to fix', async () => {
    const { processes, call } = await setup();
    await processes.heartbeat(info('a'), 6000);
    const cases: [unknown, number, number][] = [
      [{}, 400, ErrorCode.INVALID_ROOM_CODE],
      [{ room: 'r', create: 'duel' }, 400, ErrorCode.INVALID_ROOM_CODE],
      [{ room: 'has space' }, 400, ErrorCode.INVALID_ROOM_CODE],
      [{ room: 'x'.repeat(65) }, 400, ErrorCode.INVALID_ROOM_CODE],
      [{ room: 7 }, 400, ErrorCode.INVALID_ROOM_CODE],
      [{ create: ['duel'] }, 400, ErrorCode.INVALID_ROOM_CODE],
      [{ room: 'r', name: 'n'.repeat(33) }, 400, ErrorCode.STRING_TOO_LONG],
      [{ room: 'r', name: 'a\u202eb' }, 400, ErrorCode.INVALID_TEXT],
      [{ room: 'r', name: 5 }, 400, ErrorCode.STRING_TOO_LONG],
      ['{"room":', 400, ErrorCode.VALUE_OUT_OF_RANGE],
      ['[1,2]', 400, ErrorCode.VALUE_OUT_OF_RANGE],
      [JSON.stringify({ room: 'r', pad: 'x'.repeat(20_000) }), 413, ErrorCode.COUNT_TOO_LARGE],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('POST', '/api/join', body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status, code });
      expect(typeof res.body.message).toBe('string');
    }
    expect((await call('GET', '/api/where/%E0%A4%A')).status).toBe(400);
    expect((await call('GET', '/api/where/a%20b')).body.code).toBe(ErrorCode.INVALID_ROOM_CODE);
    expect((await call('GET', '/api/join')).status).toBe(405);
    expect((await call('GET', '/api/nothing')).status).toBe(404);
  });

  it('hides the admin API without an admin token, and refuses a wrong one', async () => {
    const { call, processes, rooms, clock } = await setup();
    expect((await call('GET', '/api/admin/cluster')).status).toBe(404);
    expect((await call('GET', '/admin')).status).toBe(404);
    const gateway = new Gateway({ processes, rooms, secret: SECRET, env: { TICKWIRE_ADMIN_TOKEN: 'admin-token-0123456789' }, clock, logger: silent });
    const res = await gateway.fetch(new Request('http://gw/api/admin/cluster', { headers: { authorization: 'Bearer admin-token-0123456788' } }));
    expect(res.status).toBe(401);
    const ok = await gateway.fetch(new Request('http://gw/api/admin/cluster', { headers: { authorization: 'Bearer admin-token-0123456789' } }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ processes: [], gone: [], sessions: [], unreachable: [] });
  });

  it("serves a folder of pages, never in place of the API or the admin page", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-static-'));
    await writeFile(join(dir, 'index.html'), '<h1>games</h1>');
    await mkdir(join(dir, 'admin'));
    await writeFile(join(dir, 'admin', 'index.html'), 'not the admin page');
    const clock = new ManualClock();
    const gateway = new Gateway({ processes: new MemoryProcessRegistry(clock), rooms: new MemoryRegistry(clock), secret: SECRET, env: {}, logger: silent, staticDir: dir });
    const get = async (path: string) => {
      const res = await gateway.fetch(new Request(`http://gw${path}`));
      return [res.status, await res.text()];
    };
    expect(await get('/')).toEqual([200, '<h1>games</h1>']);
    expect(await get('/?room=abc')).toEqual([200, '<h1>games</h1>']);
    expect((await get('/admin/'))[0]).toBe(404);
    expect((await get('/api/nothing'))[0]).toBe(404);
    expect((await get('/../package.json'))[1]).not.toContain('"name"');
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without the shared secret', () => {
    const clock = new ManualClock();
    expect(() => new Gateway({ processes: new MemoryProcessRegistry(clock), rooms: new MemoryRegistry(clock), env: {}, logger: silent })).toThrow(/TICKWIRE_SECRET/);
  });
});
