/**
 * The gateway in front of real game processes (servers in cluster mode on port 0): players go
 * through it with the SDK (`connect({ gateway })`, `createClient({ gateway })`) to create, join
 * and list, and land on the process that owns their room with a ticket it accepts; the admin
 * API sees and acts on every process; and when the process that runs a room is killed (kill -9
 * of a process of its own, on Redis registries), the player resumes on another one by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { anonymousIdentity, connect, createClient, serverAt, type ClientRoom } from '@tickwire/client/node';
import { ErrorCode, type SessionSummary } from '@tickwire/protocol';
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import type { ProcessInfo } from '@tickwire/server';
import { defineBot, main, runBots } from 'tickwire';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connection, dropPrefixes, freshPrefix, redisMissing, redisUrl } from '../../packages/redis/src/redis.test-support.js';
import { testGame, type TestGame } from './game.js';
import { ADMIN_TOKEN, SECRET, testCluster, type TestCluster } from './gateway-support.js';
import { teams } from './teams-game.js';
import { eventually } from './wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function cluster(ids: string[]): Promise<TestCluster> {
  const c = await testCluster(ids);
  cleanups.push(() => c.close());
  return c;
}

/** Who owns `code` now, by the registry. */
async function owner(c: TestCluster, code: string): Promise<string | undefined> {
  return (await c.registry.lookup(code))?.owner;
}

async function admin(c: TestCluster, method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(new URL(path, c.url), {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function joined(room: ClientRoom<TestGame>): ClientRoom<TestGame> {
  cleanups.push(() => room.leave());
  return room;
}

describe('a gateway in front of game processes', () => {
  it('creates a room on the least-loaded process and sends everyone who joins it there, with tickets the process accepts', async () => {
    const c = await cluster(['p1', 'p2']);
    const ada = joined(await connect({ gateway: c.url, create: 'game', name: 'ada', protocol: testGame }));
    const home = await owner(c, ada.code);
    expect(home).toBeDefined();
    const bob = joined(await connect({ gateway: c.url, room: ada.code, name: 'bob', protocol: testGame }));
    expect(bob.code).toBe(ada.code);
    const room = c.servers.get(home!)!.rooms.get(ada.code)!;
    expect(room.connectedCount).toBe(2);
    // The ticket's user is the identity the gateway authenticated (an anonymous one here), and its name the player's.
    const members = [...room.clients.values()].map((m) => [m.name, m.identity.userId.startsWith('anon-')]);
    expect(members).toEqual([
      ['ada', true],
      ['bob', true],
    ]);
    await eventually(() => ada.entities.size === 2 && bob.entities.size === 2, 'both ships on both screens');
    // The next new room goes to the other process, which holds nothing yet.
    const cy = joined(await connect({ gateway: c.url, create: 'game', name: 'cy', protocol: testGame }));
    expect(await owner(c, cy.code)).not.toBe(home);
  });

  it('tells a page whether a gateway or a server served it', async () => {
    const c = await cluster(['p1']);
    expect(await serverAt(c.url)).toEqual({ gateway: c.url });
    const p1 = (await c.processes.get('p1'))!;
    expect(await serverAt(p1.httpUrl)).toEqual({ url: p1.url });
    expect(await serverAt('http://127.0.0.1:1')).toEqual({ url: 'ws://127.0.0.1:1/ws' });
  });

  it('opens a code nobody runs where the cluster would, and refuses what the processes refuse', async () => {
    const c = await cluster(['p1', 'p2']);
    const first = joined(await connect({ gateway: c.url, room: 'lobby-7', name: 'ada', protocol: testGame }));
    const second = joined(await connect({ gateway: c.url, room: 'lobby-7', name: 'bob', protocol: testGame }));
    expect(first.code).toBe('lobby-7');
    expect(c.servers.get((await owner(c, 'lobby-7'))!)!.rooms.get('lobby-7')!.connectedCount).toBe(2);
    // A room type nobody serves: the process refuses the HELLO, and the SDK says why.
    await expect(connect({ gateway: c.url, create: 'chess', protocol: testGame, reconnect: false })).rejects.toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE });
    // A gateway that is not there.
    await expect(connect({ gateway: 'http://127.0.0.1:1', room: 'x', protocol: testGame, token: 'anon.x' })).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED });
    expect(second.status).toBe('connected');
  });

  it('lists sessions across processes, names a process that does not answer, creates and joins with a password', async () => {
    const c = await cluster(['p1', 'p2']);
    // A process that registered and then stopped answering HTTP (and can take no rooms).
    const ghost: ProcessInfo = { id: 'ghost', url: 'ws://127.0.0.1:1/ws', httpUrl: 'http://127.0.0.1:1', capacity: { rooms: 0, clients: 0 }, load: { rooms: 0, clients: 0, tickMsP99: 0, bytesOutPerSec: 0 }, draining: false, startedAt: 0 };
    await c.processes.heartbeat(ghost, 60_000);
    const host = createClient({ gateway: c.url, protocol: teams, name: 'host' });
    const friday = await host.sessions.create('teams', { name: 'Friday', password: 'sesame' });
    cleanups.push(() => friday.room.leave());
    const guest = createClient({ gateway: c.url, protocol: teams, name: 'guest' });
    const listed = await guest.sessions.list();
    expect(listed.map((s) => [s.name, s.password])).toEqual([['Friday', true]]);
    const raw = (await (await fetch(new URL('/api/sessions', c.url))).json()) as { sessions: (SessionSummary & { process: string })[]; unreachable: { process: string }[] };
    expect(raw.sessions[0]!.process).toBe(await owner(c, friday.id));
    expect(raw.unreachable.map((u) => u.process)).toEqual(['ghost']);
    await expect(guest.sessions.join(friday.id, { password: 'wrong' })).rejects.toMatchObject({ code: ErrorCode.WRONG_PASSWORD });
    const joinedSession = await guest.sessions.join(friday.id, { password: 'sesame' });
    cleanups.push(() => joinedSession.room.leave());
    await eventually(() => friday.members.size === 2 && joinedSession.members.size === 2, 'both members in the lobby');
    expect((await guest.sessions.get(friday.id)).members).toBe(2);
  });

  it('runs tickwire bots through the gateway: every bot in the one room, on the process that runs it', async () => {
    const c = await cluster(['p1', 'p2']);
    const bot = defineBot({ protocol: testGame, spawn: (b) => () => void b.sendInput({ dx: 1, dy: 0 }) });
    const report = await runBots({ bot, gateway: c.url, create: 'game', clients: 4, duration: 2, rate: 10, joinRate: 50, log: () => undefined });
    expect(report).toMatchObject({ connected: 4, failed: 0, errors: {} });
    // One room, on the process the registry names: every bot joined the code the first one created there.
    const open = [...c.servers].flatMap(([id, server]) => [...server.rooms.all()].map((r) => ({ id, code: r.code })));
    expect(open).toHaveLength(1);
    expect((await c.registry.lookup(open[0]!.code))?.owner).toBe(open[0]!.id);
    let out = '';
    let err = '';
    const cli = (argv: string[]) => main(argv, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) });
    expect(await cli(['bots', '--gateway', c.url, '--url', 'ws://127.0.0.1:1/ws'])).toBe(2);
    expect(err).toMatch(/give one of them/);
    expect(await cli(['bots', '--gateway', 'ws://gw:1'])).toBe(2);
    expect(out).toBe('');
  });

  it('shows every process, room and player to the admin, and carries out kick, close and drain on the right process', async () => {
    const c = await cluster(['p1', 'p2']);
    const ada = joined(await connect({ gateway: c.url, create: 'game', name: 'ada', protocol: testGame }));
    const bob = joined(await connect({ gateway: c.url, room: ada.code, name: 'bob', protocol: testGame }));
    const home = (await owner(c, ada.code))!;
    // The next new room goes to the other process (it is busy, so a drain keeps it running).
    const cy = joined(await connect({ gateway: c.url, create: 'game', name: 'cy', protocol: testGame }));
    const other = (await owner(c, cy.code))!;
    expect(other).not.toBe(home);

    await eventually(async () => ((await admin(c, 'GET', '/api/admin/cluster')).body.processes as { samples: unknown[] }[]).every((p) => p.samples.length >= 2) || undefined, 'load samples');
    const view = (await admin(c, 'GET', '/api/admin/cluster')).body as { processes: { id: string; health: { status: string }; rooms: { code: string; players: { name: string; userId: string }[] }[] }[] };
    expect(view.processes.map((p) => [p.id, p.health.status]).sort()).toEqual([
      ['p1', 'ok'],
      ['p2', 'ok'],
    ]);
    expect(view.processes.find((p) => p.id === other)!.rooms.map((r) => r.code)).toEqual([cy.code]);
    const listed = view.processes.find((p) => p.id === home)!.rooms.find((r) => r.code === ada.code)!;
    expect(listed.players.map((p) => p.name)).toEqual(['ada', 'bob']);

    const inspected = await admin(c, 'GET', `/api/admin/rooms/${ada.code}`);
    expect(inspected.body).toMatchObject({ code: ada.code, process: home });
    expect((inspected.body.entityList as { type: string; fields: { label: { name: string } } }[]).map((e) => [e.type, e.fields.label.name])).toEqual([
      ['ship', 'ada'],
      ['ship', 'bob'],
    ]);

    const bobId = listed.players.find((p) => p.name === 'bob')!.userId;
    const closedBob = new Promise((resolve) => bob.on('close', resolve));
    expect((await admin(c, 'POST', `/api/admin/rooms/${ada.code}/kick`, { userId: bobId })).body).toMatchObject({ kicked: 1, process: home });
    await closedBob;
    expect((await admin(c, 'POST', `/api/admin/rooms/${ada.code}/kick`, { userId: bobId })).status).toBe(404);

    const closedAda = new Promise<{ code: number }>((resolve) => ada.on('close', resolve));
    expect((await admin(c, 'POST', `/api/admin/rooms/${ada.code}/close`)).body).toMatchObject({ closed: ada.code });
    expect((await closedAda).code).toBe(4010);
    expect((await admin(c, 'GET', `/api/admin/rooms/${ada.code}`)).status).toBe(404);

    expect((await admin(c, 'POST', `/api/admin/processes/${other}/drain`, { deadlineMs: 60_000 })).body).toMatchObject({ draining: true, process: other });
    await eventually(async () => (await c.processes.get(other))?.draining || undefined, 'the drain in the registry');
    // A drained process takes no new room: the next ones go to the other.
    for (let i = 0; i < 2; i++) {
      const room = joined(await connect({ gateway: c.url, create: 'game', protocol: testGame }));
      expect(await owner(c, room.code)).toBe(home);
    }
    expect((await admin(c, 'POST', '/api/admin/processes/nobody/drain')).status).toBe(404);
    expect((await admin(c, 'POST', `/api/admin/processes/${home}/drain`, { deadlineMs: -1 })).status).toBe(400);
  });
});

const redisSkip = await redisMissing();
const processScript = fileURLToPath(new URL('./fixtures/gateway-process.ts', import.meta.url));

describe.skipIf(redisSkip !== undefined)('a player through the gateway when its process is killed', () => {
  const redis = connection();
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await dropPrefixes(redis);
    await redis.quit();
  });

  it('reconnects to another process by itself, as the same player, within seconds of kill -9', { timeout: 30_000 }, async () => {
    const prefix = freshPrefix('gateway');
    // The doomed process runs on its own: its id sorts first, so it wins the tie for the new room.
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', processScript, redisUrl, prefix, 'a-doomed'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TICKWIRE_SECRET: SECRET },
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the game process exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', () => resolve());
    });
    const c = await testCluster(['b-survivor'], { registry: new RedisRegistry(redis, { prefix }), processes: new RedisProcessRegistry(redis, { prefix }) });
    cleanups.push(() => c.close());

    const identity = await anonymousIdentity(c.url);
    const ada = joined(await connect({ gateway: c.url, create: 'game', name: 'ada', token: identity.token, protocol: testGame, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } }));
    expect(await owner(c, ada.code)).toBe('a-doomed');
    const reconnected = new Promise<{ attempts: number }>((resolve) => ada.on('reconnected', resolve));

    const killedAt = Date.now();
    child.kill('SIGKILL');
    const { attempts } = await reconnected;
    const tookMs = Date.now() - killedAt;
    expect(ada.status).toBe('connected');
    expect(await owner(c, ada.code)).toBe('b-survivor');
    // The same player, by the resume token the dead process issued: the new owner honoured it.
    const room = c.servers.get('b-survivor')!.rooms.get(ada.code)!;
    expect([...room.clients.values()].map((m) => m.identity.userId)).toEqual([identity.userId]);
    expect(attempts).toBeGreaterThan(1); // the first attempts find the dead address, or the room moving
    expect(tookMs).toBeLessThan(5000);
    console.log(`gateway failover: the player was back on b-survivor ${tookMs} ms after kill -9 of its process`);
    // And plays on: its input moves its ship there.
    ada.sendInput({ dx: 1, dy: 0 });
    await eventually(() => (ada.entity?.state.position.x ?? 0) > 120, 'the ship to move on the new process');
  });
});
