import { CloseCode, ErrorCode } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { ADMIN_MAX_ENTITIES } from './admin-routes.js';
import { flush, gameRoom, harness } from './harness.test-support.js';

const token = 'an-admin-token-of-some-length';

function call(h: ReturnType<typeof harness>, method: string, path: string, body?: unknown, auth = token) {
  return h.server.fetch(
    new Request(`http://game${path}`, {
      method,
      headers: auth ? { authorization: `Bearer ${auth}` } : {},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

describe('admin endpoints', () => {
  it('do not exist without an admin token, and refuse a wrong or missing one', async () => {
    const off = harness(gameRoom(), { env: {} });
    expect((await call(off, 'GET', '/api/admin/rooms')).status).toBe(404);
    const on = harness(gameRoom(), { adminToken: token });
    expect((await call(on, 'GET', '/api/admin/rooms', undefined, '')).status).toBe(401);
    expect((await call(on, 'GET', '/api/admin/rooms', undefined, 'an-admin-token-of-some-lengtH')).status).toBe(401);
    expect((await call(on, 'POST', '/api/admin/drain', {}, 'short')).status).toBe(401);
    expect(on.server.health().status).toBe('ok');
    expect((await call(on, 'GET', '/api/admin/rooms')).status).toBe(200);
    // The environment's token works too; a short one is refused at start.
    const env = harness(gameRoom(), { env: { TICKWIRE_ADMIN_TOKEN: token } });
    expect((await call(env, 'GET', '/api/admin/rooms')).status).toBe(200);
    expect(() => harness(gameRoom(), { adminToken: 'short' })).toThrow(/16 to 1024/);
    expect(() => harness(gameRoom(), { adminToken: 'has spaces in it, which bearer tokens cannot' })).toThrow(/without spaces/);
  });

  it('shows a room with its players and its entities, field by field', async () => {
    const h = harness(gameRoom(), { adminToken: token, authenticate: ({ token: t }) => ({ userId: t }) });
    await h.join('arena-1', 'ada');
    await h.join('arena-1', 'bob');
    const list = await (await call(h, 'GET', '/api/admin/rooms')).json();
    expect(list.rooms).toEqual([expect.objectContaining({ code: 'arena-1', players: [expect.objectContaining({ userId: 'ada', connected: true }), expect.objectContaining({ userId: 'bob' })] })]);
    const res = await call(h, 'GET', '/api/admin/rooms/arena-1');
    expect(res.status).toBe(200);
    const room = await res.json();
    expect(room).toMatchObject({ code: 'arena-1', entities: 2, entitiesTruncated: false });
    expect(room.entityList).toHaveLength(2);
    expect(room.entityList[0]).toMatchObject({ type: 'ship', fields: { pos: { x: 100, y: 100 }, hp: { hp: 100 } } });
    expect(room.players.map((p: { entity: number }) => p.entity).sort()).toEqual(room.entityList.map((e: { id: number }) => e.id).sort());
    expect((await call(h, 'GET', '/api/admin/rooms/nope')).status).toBe(404);
    expect((await call(h, 'GET', '/api/admin/rooms/%E0%A4%A')).status).toBe(400);
    expect(ADMIN_MAX_ENTITIES).toBeGreaterThan(100);
  });

  it('kicks a player by user id (the client is told, and not left to reconnect) and closes a room', async () => {
    const h = harness(gameRoom({ reconnectWindowMs: 60_000 }), { adminToken: token, authenticate: ({ token: t }) => ({ userId: t }) });
    const ada = await h.join('r', 'ada');
    const bob = await h.join('r', 'bob');
    expect((await call(h, 'POST', '/api/admin/rooms/r/kick', { userId: 'nobody' })).status).toBe(404);
    for (const bad of [{}, { userId: 7 }, { userId: '' }, { userId: 'x'.repeat(257) }, 'not json', '[1]']) {
      expect((await call(h, 'POST', '/api/admin/rooms/r/kick', bad)).status).toBe(400);
    }
    expect(await (await call(h, 'POST', '/api/admin/rooms/r/kick', { userId: 'ada' })).json()).toEqual({ kicked: 1 });
    await flush();
    expect(ada.errors.at(-1)).toMatchObject({ code: ErrorCode.JOIN_REFUSED, fatal: true });
    expect(ada.closed?.code).toBe(CloseCode.JOIN_REFUSED);
    const room = h.server.rooms.get('r')!;
    expect([...room.clients.values()].map((c) => c.identity.userId)).toEqual(['bob']);
    expect(bob.closed).toBeNull();
    expect(await (await call(h, 'POST', '/api/admin/rooms/r/close')).json()).toEqual({ closed: 'r' });
    await flush();
    expect(bob.errors.at(-1)).toMatchObject({ code: ErrorCode.ROOM_CLOSED });
    expect(h.server.rooms.get('r')).toBeUndefined();
  });

  it('drains the process on request, checking the deadline', async () => {
    const h = harness(gameRoom(), { adminToken: token });
    for (const deadlineMs of [-1, 'soon', 1e12]) expect((await call(h, 'POST', '/api/admin/drain', { deadlineMs })).status).toBe(400);
    const res = await call(h, 'POST', '/api/admin/drain', { deadlineMs: 5000 });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ draining: true, deadlineMs: 5000 });
    expect(h.server.health().status).toBe('draining');
    await h.step(300);
    expect(h.server.closing).toBe(true);
  });
});
