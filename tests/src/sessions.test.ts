/**
 * Sessions over real WebSockets and HTTP on port 0, through the SDK (`client.sessions`): the
 * server runs on a stepped clock, so reconnect windows, results and idle lobbies are stepped
 * through, not waited for; the sockets and the SDK run in real time.
 */
import type { Socket } from 'node:net';
import { createClient, type ClientSession, type TickwireClient } from '@tickwire/client/node';
import { ErrorCode, ManualClock, TickwireError } from '@tickwire/protocol';
import { createServer, type RoomStore } from '@tickwire/server';
import { openStorage } from '@tickwire/storage';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silent } from './game.js';
import { backends, databases } from './persistence-support.js';
import { teams, teamsRoom, type Teams, type TeamsState } from './teams-game.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const dbs = databases();
afterAll(() => dbs.dropAll());

async function serve(options: { storage?: RoomStore; resultsMs?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const rooms = { teams: teamsRoom({ session: { ...teamsRoom().session!, ...(options.resultsMs ? { resultsMs: options.resultsMs } : {}) } }) };
  // The server's clock is stepped by the test; with it, nothing on the server idles out in real time.
  const server = createServer({ rooms, clock, logger: silent, processMetrics: false, storage: options.storage, limits: { idleTimeoutMs: 0 } });
  const sockets: Socket[] = [];
  server.http.on('upgrade', (_req, socket: Socket) => sockets.push(socket));
  const addr = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  /** Steps the server's clock by `ms`, 25 ms at a time, letting the sockets flow in between. */
  const step = async (ms: number) => {
    for (let done = 0; done < ms; done += 25) {
      clock.advance(Math.min(25, ms - done));
      await new Promise((r) => setImmediate(r));
    }
  };
  /** Steps the server until `cond` holds (a real-time deadline guards against a hang). */
  const until = async (cond: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(25);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  /** Reads `read` until `ok` holds (the database is written off the loop, in real time). */
  const eventually = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const player = (name: string): TickwireClient<Teams> => createClient({ url: addr.wsUrl, protocol: teams, name, reconnect: { initialDelayMs: 20 } });
  const state = (id: string) => server.rooms.get(id)!.state as TeamsState;
  /** Until the server has seen a member acknowledge a snapshot (only then is its seat held across a drop). */
  const playing = (s: ClientSession<Teams>) => until(() => server.rooms.get(s.id)?.clients.get(s.room.clientId)?.everAcked === true, `${s.me?.name} to acknowledge a snapshot`);
  return { server, clock, addr, sockets, step, until, eventually, playing, player, state };
}

type World = Awaited<ReturnType<typeof serve>>;

function track(session: ClientSession<Teams>): ClientSession<Teams> {
  cleanups.push(() => session.room.isOpen && session.room.leave());
  return session;
}

async function rejection(p: Promise<unknown>): Promise<TickwireError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TickwireError);
  return err as TickwireError;
}

/** Ada creates a session, Bob joins it; each takes a seat in a team of its own, both ready. */
async function readyPair(w: World, password?: string) {
  const ada = track(await w.player('ada').sessions.create('teams', { name: 'Friday', password }));
  const bob = track(await w.player('bob').sessions.join(ada.id, { password }));
  await ada.claim(0, 'attack');
  await bob.claim(1, 'attack');
  await ada.setReady();
  await bob.setReady();
  await w.until(() => ada.members.get(bob.room.clientId)?.ready === true, 'ada to see bob ready');
  return { ada, bob };
}

describe('sessions over real sockets', () => {
  it('lists sessions with their players, free seats and whether they have a password', async () => {
    const w = await serve();
    const ada = w.player('ada');
    expect(await ada.sessions.list()).toEqual([]);
    const open = track(await ada.sessions.create('teams', { name: 'Open', options: { teams: 3, goal: 10 } }));
    const locked = track(await w.player('cy').sessions.create('teams', { name: 'Locked', password: 'sesame' }));
    await open.claim(2, 'defend');
    const listed = await w.player('bob').sessions.list();
    expect(listed.map((s) => [s.name, s.state, s.players, s.seats, s.seatsFree, s.password]).sort()).toEqual([
      ['Locked', 'lobby', 1, 4, 4, true],
      ['Open', 'lobby', 1, 6, 5, false],
    ]);
    expect(open.options).toEqual({ teams: 3, goal: 10 });
    expect(open.groups).toEqual(['Red', 'Blue', 'Green']);
    expect(locked.password).toBe(true);
    expect(await w.player('dee').sessions.get(open.id)).toMatchObject({ id: open.id, name: 'Open', type: 'teams' });
  });

  it('two players racing for one seat: exactly one gets it', async () => {
    const w = await serve();
    const ada = track(await w.player('ada').sessions.create('teams'));
    const bob = track(await w.player('bob').sessions.join(ada.id));
    const outcomes = await Promise.allSettled([ada.claim(1, 'defend'), bob.claim(1, 'defend')]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: ErrorCode.SEAT_TAKEN });
    const winner = outcomes[0]!.status === 'fulfilled' ? ada : bob;
    await w.until(() => ada.occupant(1, 'defend') !== undefined && bob.occupant(1, 'defend') !== undefined, 'both to see the seat taken');
    expect(ada.occupant(1, 'defend')!.id).toBe(winner.room.clientId);
    expect(bob.occupant(1, 'defend')!.id).toBe(winner.room.clientId);
  });

  it('a password: refused without it or with a wrong one, accepted with it', async () => {
    const w = await serve();
    const ada = track(await w.player('ada').sessions.create('teams', { password: 'sesame' }));
    const bob = w.player('bob');
    expect((await rejection(bob.sessions.join(ada.id))).code).toBe(ErrorCode.WRONG_PASSWORD);
    expect((await rejection(bob.sessions.join(ada.id, { password: 'open sesame' }))).code).toBe(ErrorCode.WRONG_PASSWORD);
    // The game socket refuses a user who did not give it, whatever the client does.
    expect((await rejection(bob.join(ada.id))).code).toBe(ErrorCode.WRONG_PASSWORD);
    const joined = track(await bob.sessions.join(ada.id, { password: 'sesame' }));
    expect(joined.state).toBe('lobby');
    expect([...joined.members.values()].map((m) => m.name).sort()).toEqual(['ada', 'bob']);
  });

  it('ready and start: the host starts once every crewed team is ready; a hot joiner sees the free seats', async () => {
    const w = await serve();
    const { ada, bob } = await readyPair(w);
    expect((await rejection(bob.start())).code).toBe(ErrorCode.NOT_HOST);
    expect(ada.isHost).toBe(true);
    await ada.start();
    await w.until(() => bob.state === 'running' && bob.room.entities.size === 2, 'bob to see the round and its two flags');
    const late = track(await w.player('late').sessions.join(ada.id));
    expect(late.state).toBe('running');
    expect(late.freeSeats()).toEqual([
      { group: 0, role: 'defend' },
      { group: 1, role: 'defend' },
    ]);
    await late.claim(1, 'defend');
    expect((await rejection(late.claim(0, 'defend'))).code).toBe(ErrorCode.GROUP_LOCKED);
  });

  it('a dropped player comes back within the window to the same seat and a full state', async () => {
    const w = await serve();
    const { ada, bob } = await readyPair(w);
    await ada.start();
    await w.until(() => bob.room.entities.size === 2, 'the flags');
    await w.playing(bob);
    const full = bob.room.stats.fullSnapshots;
    const bobSocket = w.sockets[1]!;
    const seen: boolean[] = [];
    ada.on('connection', (m) => m.id === bob.room.clientId && seen.push(m.connected));
    bobSocket.destroy();
    await w.until(() => bob.room.status === 'connected' && seen.length === 2, 'bob to come back');
    expect(seen).toEqual([false, true]);
    expect(bob.me?.seat).toEqual({ group: 1, role: 'attack' });
    await w.until(() => bob.room.stats.fullSnapshots > full, 'a full snapshot after the resume');
    expect(bob.room.entities.size).toBe(2);
    expect(w.state(ada.id).seats.filter((s) => s.reason !== 'claim')).toEqual([]);
  });

  it('after the window the seat is released, everyone sees it, and the game is told its team is empty', async () => {
    const w = await serve();
    const { ada, bob } = await readyPair(w);
    await ada.start();
    await w.playing(bob);
    const bobId = bob.room.clientId;
    bob.room.disconnect();
    await w.until(() => ada.members.get(bobId)?.connected === false, 'ada to see bob drop');
    await w.step(59_000);
    expect(ada.members.get(bobId)?.seat).toEqual({ group: 1, role: 'attack' });
    const left: string[] = [];
    ada.on('left', (m, reason) => left.push(`${m.name} ${reason}`));
    await w.until(() => left.length > 0, 'the window to end');
    expect(left).toEqual(['bob timeout']);
    expect(ada.occupant(1, 'attack')).toBeUndefined();
    expect(w.state(ada.id).seats.at(-1)).toMatchObject({ reason: 'timeout', from: { group: 1, role: 'attack' }, groupEmpty: true });
  });

  it('the round ends with results every member sees; they go back to the lobby for another', async () => {
    const w = await serve();
    const { ada, bob } = await readyPair(w);
    await ada.start();
    await w.until(() => ada.room.entities.size === 2, 'the flags');
    for (let i = 0; i < 3; i++) ada.room.sendInput({ push: 1 });
    await w.step(300);
    const results: unknown[] = [];
    bob.on('results', (r) => results.push(r));
    // Commands run in the room's ticks: step the server until the answer comes.
    const finished = bob.room.sendCommand('round', 'finish', { winner: 0 });
    await w.until(() => bob.state === 'results' && results.length === 1, 'the results');
    await finished;
    expect(bob.results).toEqual({
      session: { winner: 0 },
      groups: [
        { name: 'Red', stats: { score: 1 } },
        { name: 'Blue', stats: { score: 0 } },
      ],
      members: [
        { id: ada.room.clientId, name: 'ada', stats: { pushes: 3 } },
        { id: bob.room.clientId, name: 'bob', stats: { pushes: 0 } },
      ],
    });
    expect(bob.closesAt).toBeGreaterThan(0);
    await bob.backToLobby();
    await w.until(() => ada.state === 'lobby' && ada.room.entities.size === 0, 'the lobby, its world cleared');
    expect([ada.round, ada.me?.ready, ada.me?.seat]).toEqual([2, false, { group: 0, role: 'attack' }]);
    expect(ada.results?.session).toEqual({ winner: 0 });
  });

  it('chat: the history comes with joining; group lines stay in the group; the rate limit holds', async () => {
    const w = await serve();
    const ada = track(await w.player('ada').sessions.create('teams'));
    await ada.claim(0, 'attack');
    await ada.say('hello all');
    await ada.say('red only', { group: true });
    const bob = track(await w.player('bob').sessions.join(ada.id));
    expect(bob.chat.map((l) => l.text)).toEqual(['hello all']);
    await bob.claim(0, 'defend');
    const cy = track(await w.player('cy').sessions.join(ada.id));
    await cy.claim(1, 'defend');
    await bob.say('red again', { group: true });
    await w.until(() => ada.chat.length === 3, 'ada to hear bob');
    expect(ada.chat.map((l) => l.text)).toEqual(['hello all', 'red only', 'red again']);
    expect(cy.chat.map((l) => l.text)).toEqual(['hello all']);
    const said = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => cy.say(`line ${i}`)));
    expect(said.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((said[5] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.RATE_LIMITED });
  });
});

describe.each(backends)('sessions stored on $name', (backend) => {
  it('the session, its roster and its results are in the database', async () => {
    const storage = await openStorage({ url: await dbs.fresh(backend), logger: silent });
    dbs.defer(() => storage.close());
    const w = await serve({ storage, resultsMs: 1_000 });
    const { ada, bob } = await readyPair(w, 'sesame');
    await ada.start();
    await w.until(() => ada.room.entities.size === 2, 'the round');
    const finished = ada.room.sendCommand('round', 'finish', { winner: 1 });
    await w.until(() => bob.state === 'results', 'the results');
    await finished;
    const id = ada.id;
    const stored = () => storage.sessions.loadSession(id);
    const record = await w.eventually(stored, (r) => r?.state === 'results', 'the session stored with its results');
    expect(record).toMatchObject({ id, type: 'teams', name: 'Friday', state: 'results', round: 1, groups: ['Red', 'Blue'], options: { teams: 2, goal: 50 } });
    expect(record!.passwordHash).toMatch(/^scrypt\$/);
    expect(record!.members.map((m) => [m.name, m.group, m.role]).sort()).toEqual([
      ['ada', 0, 0],
      ['bob', 1, 0],
    ]);
    // The round's results are written after the record they belong to.
    const results = await w.eventually(() => storage.sessions.loadResults(id), (r) => r.length > 0, 'the results stored');
    expect(results).toEqual([{ sessionId: id, round: 1, results: expect.objectContaining({ session: { winner: 1 } }), endedAt: expect.any(Number) }]);
    // The results are kept for resultsMs, then the session closes, and is stored closed.
    await w.until(() => ada.room.status === 'closed', 'the session to close');
    await w.eventually(stored, (r) => r?.state === 'closed', 'the session stored closed');
  });
});
