/**
 * A process in a cluster, on in-memory registries and stepped clocks: it registers and reports
 * its load, admits players only with join tickets, takes over the rooms of a process that died
 * (spread over the live ones), drains, and hands its rooms off when a drain runs out of time.
 */
import { CloseCode, ErrorCode } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { preferred } from './cluster.js';
import { helloWith, testCluster, until } from './cluster.test-support.js';
import { flush, gameRoom, harness } from './harness.test-support.js';

describe('cluster membership', () => {
  it('registers with its addresses and capacity, reports its load on every heartbeat, and leaves on close', async () => {
    const c = testCluster();
    const a = await c.member('a', { capacity: { rooms: 10, clients: 40 } });
    expect(await c.processes.get('a')).toMatchObject({
      id: 'a',
      url: 'ws://a.test:1/ws',
      httpUrl: 'http://a.test:1',
      capacity: { rooms: 10, clients: 40 },
      load: { rooms: 0, clients: 0 },
      draining: false,
    });
    await helloWith(a.connect(), 'r1', await c.ticket('ada', 'r1', 'a', 'harness'));
    await c.step(1000, a);
    const rec = (await c.processes.get('a'))!;
    expect(rec.load).toMatchObject({ rooms: 1, clients: 1 });
    expect(rec.load.bytesOutPerSec).toBeGreaterThan(0);
    expect(rec.load.tickMsP99).toBeGreaterThanOrEqual(0);
    await a.close();
    expect(await c.processes.get('a')).toBeUndefined();
  });

  it('leases its rooms for its time to live, the default one too: they are orphans once it is taken for dead', async () => {
    const c = testCluster();
    const a = await c.member('a', { heartbeatMs: undefined, processTtlMs: undefined });
    expect(a.server.cluster).toMatchObject({ heartbeatMs: 1000, processTtlMs: 3000 });
    await helloWith(a.connect(), 'r1', await c.ticket('ada', 'r1', 'a', 'harness'));
    expect((await c.registry.lookup('r1'))!.expiresAt - c.clock.now()).toBe(3000);
    const b = await c.member('b', { processTtlMs: 900 });
    await helloWith(b.connect(), 'r2', await c.ticket('bob', 'r2', 'b', 'harness'));
    expect((await c.registry.lookup('r2'))!.expiresAt - c.clock.now()).toBe(900);
  });

  it('refuses to run as a cluster process without a shared secret or a shared registry', () => {
    const c = testCluster();
    const cluster = { processes: c.processes };
    expect(() => harness(gameRoom(), { cluster, registry: c.registry, env: {} })).toThrow(/TICKWIRE_SECRET/);
    expect(() => harness(gameRoom(), { cluster, secret: 'x'.repeat(32) })).toThrow(/registry/);
    expect(() => harness(gameRoom(), { cluster: { ...cluster, heartbeatMs: 1000, processTtlMs: 1500 }, registry: c.registry, secret: 'x'.repeat(32) })).toThrow(/twice/);
  });
});

describe('join tickets at the door', () => {
  it('admits the ticket holder as the ticket user, and opens the room as the ticket type says', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const ada = await helloWith(a.connect(), 'fresh-room', await c.ticket('ada', 'fresh-room', 'a', 'harness'));
    expect(ada.welcome).toBeDefined();
    const room = a.server.rooms.get('fresh-room')!;
    expect([...room.clients.values()][0]!.identity).toMatchObject({ userId: 'ada', claims: { name: 'ada' } });
    expect(await c.registry.lookup('fresh-room')).toMatchObject({ owner: 'a', type: 'harness' });
    // Without a type, a code with no room is not created (this room type does not create on join).
    const bob = await helloWith(a.connect(), 'nothing-here', await c.ticket('bob', 'nothing-here', 'a'));
    expect(bob.errors[0]).toMatchObject({ code: ErrorCode.ROOM_NOT_FOUND });
    // A ticket joins an open room by its code.
    const cy = await helloWith(a.connect(), 'fresh-room', await c.ticket('cy', 'fresh-room', 'a'));
    expect(cy.welcome).toBeDefined();
  });

  it('refuses a HELLO without a valid ticket for this process and this room, and any create', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const refused = async (room: string, token: string, create = false) => {
      const client = a.connect();
      client.hello(room, { token, create });
      await until(() => client.errors.length > 0, 'a refusal');
      expect(client.errors[0]).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true });
      expect(client.closed?.code).toBe(CloseCode.AUTH_FAILED);
      return client.errors[0]!.message;
    };
    expect(await refused('r', '')).toMatch(/ticket/);
    expect(await refused('r', 'anon.not-a-ticket')).toMatch(/ticket/);
    expect(await refused('r', await c.ticket('ada', 'r', 'b', 'harness'))).toMatch(/another process/);
    expect(await refused('r', await c.ticket('ada', 'other', 'a', 'harness'))).toMatch(/another room/);
    expect(await refused('harness', await c.ticket('ada', 'harness', 'a'), true)).toMatch(/gateway/);
    expect(a.server.rooms.size).toBe(0);
  });

  it('opens rooms for unticketed HELLOs when tickets are not required', async () => {
    const c = testCluster(gameRoom());
    const a = await c.member('a', { requireTickets: false });
    const ada = await helloWith(a.connect(), 'open-room', '');
    expect(ada.welcome).toBeDefined();
  });
});

describe('failover', () => {
  it('takes over the rooms of a process that died, at a higher epoch, and its players resume there', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const b = await c.member('b');
    const ada = await helloWith(a.connect(), 'vault', await c.ticket('ada', 'vault', 'a', 'harness'));
    const resumeToken = ada.welcome!.resumeToken;
    await c.step(300, a, b);
    const first = (await c.registry.lookup('vault'))!;
    expect(first).toMatchObject({ owner: 'a', type: 'harness' });

    // a stops: no heartbeat, no renewal, no release. Within its time to live and a beat or two, b has the room.
    await c.step(1200, b);
    expect(await c.processes.get('a')).toBeUndefined();
    const room = b.server.rooms.get('vault');
    expect(room).toBeDefined();
    const second = (await c.registry.lookup('vault'))!;
    expect(second).toMatchObject({ owner: 'b', type: 'harness' });
    expect(second.epoch).toBeGreaterThan(first.epoch);

    // The player comes back on b with a fresh ticket and its resume token, which b honours
    // though it never issued it.
    const back = await helloWith(b.connect(), 'vault', await c.ticket('ada', 'vault', 'b'), resumeToken);
    expect(back.errors).toEqual([]);
    expect(back.welcome).toBeDefined();
    expect([...room!.clients.values()].map((p) => p.identity.userId)).toEqual(['ada']);

    // a wakes: its renewal fails; it closes its copy and tells its client to reconnect.
    await c.step(400, a, b);
    await until(() => ada.closed !== null, 'the stale copy to close');
    expect(ada.errors.at(-1)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, message: expect.stringContaining('moved') });
    expect(a.server.rooms.get('vault')).toBeUndefined();
    expect((await c.registry.lookup('vault'))?.owner).toBe('b');
  });

  it('spreads a dead process\u2019s rooms over the live processes, each taken once', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const others = [await c.member('b'), await c.member('c'), await c.member('d')];
    const codes = Array.from({ length: 12 }, (_, i) => `room-${i}`);
    for (const code of codes) await helloWith(a.connect(), code, await c.ticket(`u-${code}`, code, 'a', 'harness'));
    expect(a.server.rooms.size).toBe(12);
    await c.step(1500, ...others);
    const where = new Map<string, string>();
    for (const m of others) for (const r of m.server.rooms.all()) where.set(r.code, m.id);
    expect([...where.keys()].sort()).toEqual([...codes].sort());
    // Each room went where rendezvous hashing over the live processes sends it.
    for (const code of codes) expect(where.get(code)).toBe(preferred(code, ['b', 'c', 'd']));
    expect(new Set(where.values()).size).toBeGreaterThan(1);
    for (const code of codes) expect((await c.registry.lookup(code))?.owner).toBe(where.get(code));
  });

  it('leaves an orphan whose type it does not serve, and takes one whose preferred process is gone on the next scan', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const b = await c.member('b');
    await helloWith(a.connect(), 'mine', await c.ticket('ada', 'mine', 'a', 'harness'));
    const other = (await c.registry.claim('foreign', 'z', 100, 'not-served-here'))!;
    // An orphan whose preferred taker is a process that is registered but never scans.
    await c.processes.heartbeat({ ...(await c.processes.get('b'))!, id: 'ghost' }, 60_000);
    const ghostly = Array.from({ length: 40 }, (_, i) => `g-${i}`).find((code) => preferred(code, ['b', 'ghost']) === 'ghost')!;
    await helloWith(a.connect(), ghostly, await c.ticket('bob', ghostly, 'a', 'harness'));
    await c.step(1500, b);
    expect(b.server.rooms.get('mine')).toBeDefined();
    expect(b.server.rooms.get(ghostly)).toBeDefined();
    expect(b.server.rooms.get('foreign')).toBeUndefined();
    expect(await c.registry.orphans()).toEqual([expect.objectContaining({ code: 'foreign', epoch: other.epoch })]);
  });
});

describe('draining', () => {
  it('opens no new room, lets running rooms go on until they empty, closes empty rooms at once, then leaves', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const ada = await helloWith(a.connect(), 'busy', await c.ticket('ada', 'busy', 'a', 'harness'));
    const bob = await helloWith(a.connect(), 'quiet', await c.ticket('bob', 'quiet', 'a', 'harness'));
    bob.send(bob.frames.leave());
    await flush();
    let drained = false;
    void a.server.drain(60_000).then(() => (drained = true));
    await until(() => a.server.health().status === 'draining', 'health to say draining');
    await c.step(300, a);
    expect(await c.processes.get('a')).toMatchObject({ draining: true });
    expect(a.server.rooms.get('quiet')).toBeUndefined();
    expect(await c.registry.lookup('quiet')).toBeUndefined();
    // A new room is refused (the SDK retries elsewhere); the running room takes joins.
    const late = await helloWith(a.connect(), 'new-one', await c.ticket('cy', 'new-one', 'a', 'harness'));
    expect(late.errors[0]).toMatchObject({ code: ErrorCode.SHUTTING_DOWN });
    const cy = await helloWith(a.connect(), 'busy', await c.ticket('cy', 'busy', 'a'));
    expect(cy.welcome).toBeDefined();
    // Nobody takes over the rooms of a draining process while it runs them.
    const b = await c.member('b');
    await c.step(1000, a, b);
    expect(b.server.rooms.size).toBe(0);
    expect(drained).toBe(false);
    for (const p of [ada, cy]) p.send(p.frames.leave());
    await c.step(500, a, b);
    expect(drained).toBe(true);
    expect(a.server.rooms.size).toBe(0);
    expect(await c.processes.get('a')).toBeUndefined();
    expect(await c.registry.orphans()).toEqual([]);
    expect(b.server.rooms.size).toBe(0);
  });

  it('hands the rooms still playing at the deadline off to another process, where their players resume', async () => {
    const c = testCluster();
    const a = await c.member('a');
    const b = await c.member('b');
    const ada = await helloWith(a.connect(), 'long-game', await c.ticket('ada', 'long-game', 'a', 'harness'));
    const epoch = (await c.registry.lookup('long-game'))!.epoch;
    let drained = false;
    void a.server.drain(1000).then(() => (drained = true));
    await c.step(1500, a, b);
    expect(drained).toBe(true);
    // Told the server is going away (a drop: the SDK reconnects through the gateway).
    expect(ada.errors.at(-1)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN });
    expect(ada.closed?.code).toBe(CloseCode.GOING_AWAY);
    await c.step(500, b);
    const taken = await c.registry.lookup('long-game');
    expect(taken).toMatchObject({ owner: 'b', type: 'harness' });
    expect(taken!.epoch).toBeGreaterThan(epoch);
  });
});
