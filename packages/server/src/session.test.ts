/**
 * Sessions in the runtime, on a manual clock with raw clients over in-memory pipes: what each
 * request may do in each state, what every member is told, what the game is told, and the
 * timeouts. (The same flows over real sockets with the SDK are in tests/src/sessions.test.ts.)
 */
import { CloseCode, ErrorCode } from '@tickwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { flush, harness, type RawClient } from './harness.test-support.js';
import { ask, duoRoom, events, sessionState, type Seen } from './session.test-support.js';

type H = ReturnType<typeof harness>;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function start(room = duoRoom()): H {
  const h = harness(room);
  cleanups.push(() => h.close());
  return h;
}

/** Each raw member's identity token. */
const tokens = new Map<RawClient, string>();

/** A member of session 's' as a user of its own (anonymous identity issued by the server). */
async function member(h: H, name: string): Promise<RawClient> {
  const c = h.connect();
  const { token } = h.server.anonymous!.issue();
  tokens.set(c, token);
  c.hello('s', { token, name });
  await flush();
  if (!c.welcome) throw new Error(`${name} not welcomed: ${JSON.stringify(c.errors)}`);
  return c;
}

/** Ada and Bob, members, in these seats. */
async function seated(h: H, adaSeat: [number, number], bobSeat: [number, number]): Promise<[RawClient, RawClient]> {
  const ada = await member(h, 'ada');
  const bob = await member(h, 'bob');
  expect((await ask(ada, { action: 'claim', group: adaSeat[0], role: adaSeat[1] })).ok).toBe(true);
  expect((await ask(bob, { action: 'claim', group: bobSeat[0], role: bobSeat[1] })).ok).toBe(true);
  return [ada, bob];
}

function seen(h: H): Seen {
  return h.server.rooms.get('s')!.state as Seen;
}

describe('sessions: joining and the roster', () => {
  it('a member gets WELCOME, then the whole session; the others get an event', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    const kinds = ada.received.map((m) => m.kind);
    expect(kinds.indexOf('sessionState')).toBe(kinds.indexOf('welcome') + 1);
    expect(sessionState(ada)).toMatchObject({ state: 'lobby', round: 1, host: ada.welcome!.clientId, groups: ['Red', 'Blue'], options: { teams: 2, minutes: 10 } });
    const bob = await member(h, 'bob');
    expect(events(ada)).toContainEqual({ event: 'joined', member: { id: bob.welcome!.clientId, name: 'bob', seat: null, ready: false, connected: true } });
    expect(sessionState(bob)!.members.map((m) => m.name)).toEqual(['ada', 'bob']);
    bob.send(bob.codec.leave());
    await flush();
    expect(events(ada)).toContainEqual({ event: 'left', id: bob.welcome!.clientId, reason: 'left' });
  });

  it('two members racing for one seat: exactly one gets it, the other SEAT_TAKEN', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    const bob = await member(h, 'bob');
    // Both requests are on the wire before either is answered.
    ada.send(ada.codec.session(1, { action: 'claim', group: 1, role: 0 }));
    bob.send(bob.codec.session(1, { action: 'claim', group: 1, role: 0 }));
    await flush();
    const answers = [ada, bob].map((c) => c.last('commandResult')!);
    expect(answers.map((a) => a.ok).sort()).toEqual([false, true]);
    expect(answers.find((a) => !a.ok)!.code).toBe(ErrorCode.SEAT_TAKEN);
    const seatEvents = events(ada).filter((e) => e.event === 'seat');
    expect(seatEvents).toHaveLength(1);
    expect(seen(h).seats.map((s) => [s.player.name, s.to, s.reason])).toEqual([['ada', { group: 1, role: 'attack' }, 'claim']]);
  });

  it('the host is the creator while present, then the longest-present member', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    const bob = await member(h, 'bob');
    const cy = await member(h, 'cy');
    ada.send(ada.codec.leave());
    await flush();
    expect(events(cy)).toContainEqual({ event: 'host', id: bob.welcome!.clientId });
    expect(await ask(cy, { action: 'start' })).toMatchObject({ ok: false, code: ErrorCode.NOT_HOST });
  });
});

describe('sessions: lobby rules', () => {
  it('ready needs a seat; start needs the host and a ready member in every crewed group', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    const bob = await member(h, 'bob');
    expect(await ask(ada, { action: 'ready', ready: true })).toMatchObject({ ok: false, code: ErrorCode.NO_SUCH_SEAT });
    expect(await ask(ada, { action: 'start' })).toMatchObject({ ok: false, code: ErrorCode.NOT_READY, message: 'nobody has taken a seat yet' });
    expect((await ask(ada, { action: 'claim', group: 0, role: 0 })).ok).toBe(true);
    expect((await ask(bob, { action: 'claim', group: 1, role: 1 })).ok).toBe(true);
    expect((await ask(ada, { action: 'ready', ready: true })).ok).toBe(true);
    expect(await ask(ada, { action: 'start' })).toMatchObject({ ok: false, code: ErrorCode.NOT_READY, message: expect.stringContaining('Blue has nobody ready') });
    expect((await ask(bob, { action: 'ready', ready: true })).ok).toBe(true);
    expect(await ask(bob, { action: 'start' })).toMatchObject({ ok: false, code: ErrorCode.NOT_HOST });
    expect((await ask(ada, { action: 'start' })).ok).toBe(true);
    expect(events(bob).at(-1)).toEqual({ event: 'state', state: 'running', round: 1, closesAt: 0, results: null });
    expect(seen(h).starts).toBe(1);
    expect(await ask(ada, { action: 'start' })).toMatchObject({ ok: false, code: ErrorCode.SESSION_STATE });
    expect(await ask(ada, { action: 'ready', ready: false })).toMatchObject({ ok: false, code: ErrorCode.SESSION_STATE });
  });

  it('a seat change clears readiness; giving a seat up is an event too', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    const bob = await member(h, 'bob');
    await ask(ada, { action: 'claim', group: 0, role: 0 });
    await ask(ada, { action: 'ready', ready: true });
    await ask(ada, { action: 'claim', group: 0, role: 1 });
    expect(sessionState(await member(h, 'cy'))!.members[0]).toMatchObject({ name: 'ada', seat: { group: 0, role: 1 }, ready: false });
    await ask(ada, { action: 'release' });
    expect(events(bob).at(-1)).toEqual({ event: 'seat', id: ada.welcome!.clientId, seat: null });
    expect(seen(h).seats.at(-1)).toMatchObject({ reason: 'release', from: { group: 0, role: 'defend' }, to: undefined, groupEmpty: true });
  });

  it('the host sets options: fields are range-checked, the game checks the rest, fewer groups free their seats', async () => {
    const h = start(duoRoom({ checkOptions: (o) => (o.minutes === 0 ? 'a round needs at least a minute' : undefined) }));
    const ada = await member(h, 'ada');
    const bob = await member(h, 'bob');
    expect((await ask(ada, { action: 'options', options: { teams: 4, minutes: 5 } })).ok).toBe(true);
    expect(events(bob)).toContainEqual({ event: 'groups', groups: ['Red', 'Blue', 'Green', 'Gold'] });
    await ask(bob, { action: 'claim', group: 3, role: 0 });
    expect(await ask(bob, { action: 'options', options: { teams: 2, minutes: 5 } })).toMatchObject({ ok: false, code: ErrorCode.NOT_HOST });
    expect(await ask(ada, { action: 'options', options: { teams: 2, minutes: 0 } })).toMatchObject({ ok: false, code: ErrorCode.COMMAND_REJECTED, message: 'a round needs at least a minute' });
    expect((await ask(ada, { action: 'options', options: { teams: 2, minutes: 5 } })).ok).toBe(true);
    expect(events(bob).slice(-3)).toEqual([
      { event: 'options', options: { teams: 2, minutes: 5 } },
      { event: 'seat', id: bob.welcome!.clientId, seat: null },
      { event: 'groups', groups: ['Red', 'Blue'] },
    ]);
    expect(seen(h).seats.at(-1)).toMatchObject({ reason: 'options', from: { group: 3, role: 'attack' } });
  });

  it("a group's first member renames it; nobody else may", async () => {
    const h = start();
    const [ada, bob] = await seated(h, [1, 0], [1, 1]);
    expect(await ask(bob, { action: 'rename', group: 1, name: 'Nope' })).toMatchObject({ ok: false, code: ErrorCode.NOT_CAPTAIN });
    expect((await ask(ada, { action: 'rename', group: 1, name: 'Sharks' })).ok).toBe(true);
    expect(await ask(ada, { action: 'rename', group: 1, name: 'bad\u202ename' })).toMatchObject({ ok: false, code: ErrorCode.INVALID_TEXT });
    expect(events(bob)).toContainEqual({ event: 'rename', group: 1, name: 'Sharks' });
  });

  it('the game gets no systems, inputs or commands before the round starts', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    ada.input(1);
    ada.send(ada.codec.command(7, 'team', 'shout', 0, 0, { loud: true }));
    await h.step(200);
    expect(ada.last('commandResult')).toMatchObject({ seq: 7, ok: false, code: ErrorCode.SESSION_STATE });
    expect(seen(h)).toMatchObject({ ticks: 0, inputs: 0, shouts: 0 });
    await ask(ada, { action: 'claim', group: 0, role: 0 });
    await ask(ada, { action: 'ready', ready: true });
    await ask(ada, { action: 'start' });
    ada.input(1);
    ada.send(ada.codec.command(8, 'team', 'shout', 0, 0, { loud: true }));
    await h.step(200);
    expect(seen(h).ticks).toBeGreaterThan(0);
    expect(seen(h)).toMatchObject({ inputs: 1, shouts: 1 });
  });
});

describe('sessions: running, results and back to the lobby', () => {
  async function running(h: H): Promise<[RawClient, RawClient]> {
    const [ada, bob] = await seated(h, [0, 0], [1, 0]);
    await ask(ada, { action: 'ready', ready: true });
    await ask(bob, { action: 'ready', ready: true });
    expect((await ask(ada, { action: 'start' })).ok).toBe(true);
    return [ada, bob];
  }

  it('roles change within a group while running, groups do not; a hot joiner sees the free seats', async () => {
    const h = start();
    const [ada] = await running(h);
    expect((await ask(ada, { action: 'claim', group: 0, role: 1 })).ok).toBe(true);
    expect(await ask(ada, { action: 'claim', group: 1, role: 1 })).toMatchObject({ ok: false, code: ErrorCode.GROUP_LOCKED });
    const late = await member(h, 'late');
    const state = sessionState(late)!;
    expect(state.state).toBe('running');
    const taken = state.members.flatMap((m) => (m.seat ? [`${m.seat.group}:${m.seat.role}`] : []));
    expect(taken.sort()).toEqual(['0:1', '1:0']);
    expect((await ask(late, { action: 'claim', group: 1, role: 1 })).ok).toBe(true);
  });

  it('a dropped member keeps its seat for the reconnect window and gets it back with its token', async () => {
    const h = start();
    const [ada, bob] = await running(h);
    await h.step(200); // both acknowledge snapshots: their memberships are kept for a reconnect
    const token = ada.welcome!.resumeToken;
    ada.transport.close(1006, 'network');
    await flush();
    expect(events(bob).at(-1)).toEqual({ event: 'connection', id: ada.welcome!.clientId, connected: false });
    await h.step(59_000);
    const back = h.connect();
    back.hello('s', { resumeToken: token, token: tokens.get(ada) });
    await flush();
    expect(back.welcome).toMatchObject({ clientId: ada.welcome!.clientId, resumed: true });
    expect(sessionState(back)!.members.find((m) => m.id === ada.welcome!.clientId)).toMatchObject({ seat: { group: 0, role: 0 }, connected: true });
    expect(events(bob).at(-1)).toEqual({ event: 'connection', id: ada.welcome!.clientId, connected: true });
    expect(seen(h).seats.filter((s) => s.reason !== 'claim')).toEqual([]);
  });

  it('after the window the seat is released and the game told its group is empty', async () => {
    const h = start();
    const [ada, bob] = await running(h);
    await h.step(200);
    ada.transport.close(1006, 'network');
    await flush();
    await h.step(60_050);
    expect(events(bob)).toContainEqual({ event: 'left', id: ada.welcome!.clientId, reason: 'timeout' });
    expect(seen(h).seats.at(-1)).toMatchObject({ reason: 'timeout', from: { group: 0, role: 'attack' }, groupEmpty: true });
    // Coming back later is joining again: a new membership, with no seat.
    const back = h.connect();
    back.hello('s', { resumeToken: ada.welcome!.resumeToken, token: tokens.get(ada) });
    await flush();
    expect(back.welcome).toMatchObject({ resumed: false });
    expect(back.welcome!.clientId).not.toBe(ada.welcome!.clientId);
    expect(sessionState(back)!.members.find((m) => m.id === back.welcome!.clientId)?.seat).toBeNull();
  });

  it('the game ends the round with its results; members go back to the lobby for another, or it closes', async () => {
    const h = start(duoRoom({ resultsMs: 60_000 }));
    const [ada, bob] = await running(h);
    const session = h.server.rooms.get('s')!.session!;
    const adaPlayer = h.server.rooms.get('s')!.clients.get(ada.welcome!.clientId)!;
    session.end({ session: { winner: 1 }, groups: [{ score: 3 }, { score: 7 }], members: [{ player: adaPlayer, stats: { goals: 2 } }] });
    await flush();
    const ended = events(bob).at(-1)!;
    expect(ended).toMatchObject({ event: 'state', state: 'results', round: 1 });
    expect(ended.event === 'state' && ended.results).toEqual({
      session: { winner: 1 },
      groups: [
        { name: 'Red', stats: { score: 3 } },
        { name: 'Blue', stats: { score: 7 } },
      ],
      members: [{ id: ada.welcome!.clientId, name: 'ada', stats: { goals: 2 } }],
    });
    expect(() => session.end({})).toThrow(expect.objectContaining({ code: ErrorCode.SESSION_STATE }));
    expect(await ask(bob, { action: 'claim', group: 1, role: 1 })).toMatchObject({ ok: false, code: ErrorCode.SESSION_STATE });
    expect((await ask(bob, { action: 'lobby' })).ok).toBe(true);
    expect(events(ada).at(-1)).toMatchObject({ event: 'state', state: 'lobby', round: 2, closesAt: 0 });
    expect(seen(h).lobbies).toBe(1);
    // Seats stay; readiness starts over.
    expect(sessionState(await member(h, 'cy'))!.members.slice(0, 2).map((m) => [m.seat, m.ready])).toEqual([
      [{ group: 0, role: 0 }, false],
      [{ group: 1, role: 0 }, false],
    ]);

    await ask(ada, { action: 'ready', ready: true });
    await ask(bob, { action: 'ready', ready: true });
    await ask(ada, { action: 'start' });
    session.end({});
    await h.step(59_950);
    expect(ada.closed).toBeNull();
    await h.step(100);
    expect(events(ada).at(-1)).toMatchObject({ event: 'state', state: 'closed' });
    expect(ada.errors.at(-1)).toMatchObject({ code: ErrorCode.ROOM_CLOSED, fatal: true });
    expect(ada.closed?.code).toBe(CloseCode.ROOM_CLOSED);
  });

  it('an idle lobby closes after lobbyIdleMs; activity keeps it open', async () => {
    const h = start(duoRoom({ lobbyIdleMs: 10_000 }));
    const ada = await member(h, 'ada');
    await h.step(9_000);
    await ask(ada, { action: 'claim', group: 0, role: 0 });
    await h.step(9_000);
    expect(ada.closed).toBeNull();
    await h.step(1_100);
    expect(ada.closed?.code).toBe(CloseCode.ROOM_CLOSED);
    expect(ada.errors.at(-1)?.message).toMatch(/idle/);
  });
});

describe('sessions: chat', () => {
  it('lines go to the session or to one group; a joiner gets the history it may see', async () => {
    const h = start();
    const [ada, bob] = await seated(h, [0, 0], [1, 0]);
    await ask(ada, { action: 'chat', group: false, text: 'hello all' });
    await ask(ada, { action: 'chat', group: true, text: 'red only' });
    ada.send(ada.frames.chat('plain chat'));
    await flush();
    const heard = (c: RawClient) => events(c).flatMap((e) => (e.event === 'chat' ? [e.line.text] : []));
    expect(heard(ada)).toEqual(['hello all', 'red only', 'plain chat']);
    expect(heard(bob)).toEqual(['hello all', 'plain chat']);
    expect(bob.received.some((m) => m.kind === 'chatMessage')).toBe(false);
    expect(await ask(await member(h, 'cy'), { action: 'chat', group: true, text: 'x' })).toMatchObject({ ok: false, code: ErrorCode.NO_SUCH_SEAT });
    const cy = h.connect();
    cy.hello('s', { token: h.server.anonymous!.issue().token, name: 'dee' });
    await flush();
    expect(sessionState(cy)!.chat.map((l) => [l.name, l.group, l.text])).toEqual([
      ['ada', null, 'hello all'],
      ['ada', null, 'plain chat'],
    ]);
  });

  it('the chat rate limit applies: past the burst, lines are refused with RATE_LIMITED', async () => {
    const h = start();
    const ada = await member(h, 'ada');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(ada, { action: 'chat', group: false, text: `line ${i}` }));
    expect(answers.map((a) => a.ok)).toEqual([true, true, true, true, true, false]);
    expect(answers[5]).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    expect(await ask(ada, { action: 'chat', group: false, text: 'x'.repeat(201) })).toMatchObject({ ok: false });
  });
});

describe('sessions over HTTP', () => {
  async function http(h: H, method: string, path: string, body?: unknown, token?: string) {
    const res = await h.server.fetch(
      new Request(`http://game${path}`, {
        method,
        headers: token ? { authorization: `Bearer ${token}`, 'content-type': 'application/json' } : {},
        body: body === undefined ? null : JSON.stringify(body),
      }),
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('creates, lists and looks up sessions; state-changing calls need a bearer token', async () => {
    const h = start(duoRoom({}, { createOnJoin: false }));
    const { token } = h.server.anonymous!.issue();
    expect((await http(h, 'POST', '/api/sessions', { type: 'duo' })).status).toBe(401);
    expect(await http(h, 'POST', '/api/sessions', { type: 'duo', options: { teams: 5 } }, token)).toMatchObject({ status: 400, body: { error: 'VALUE_OUT_OF_RANGE' } });
    expect(await http(h, 'POST', '/api/sessions', { type: 'duo', options: { teams: 2.5 } }, token)).toMatchObject({ status: 400 });
    expect(await http(h, 'POST', '/api/sessions', { type: 'duo', options: { speed: 1 } }, token)).toMatchObject({ status: 400, body: { message: expect.stringContaining('options.speed') } });
    expect(await http(h, 'POST', '/api/sessions', { type: 'nope' }, token)).toMatchObject({ status: 400, body: { error: 'INVALID_ROOM_CODE' } });
    const created = await http(h, 'POST', '/api/sessions', { type: 'duo', name: 'Friday', options: { teams: 3 } }, token);
    expect(created).toMatchObject({ status: 201, body: { name: 'Friday', type: 'duo', state: 'lobby', players: 0, seats: 6, seatsFree: 6, password: false } });
    const id = String(created.body.id);
    expect((await http(h, 'GET', '/api/sessions')).body).toEqual({ sessions: [created.body] });
    expect((await http(h, 'GET', `/api/sessions/${id}`)).body).toEqual(created.body);
    expect((await http(h, 'GET', '/api/sessions/NOPE')).status).toBe(404);
    // The creator joins by the id and is its host.
    const c = h.connect();
    c.hello(id, { token, name: 'ada' });
    await flush();
    expect(sessionState(c)).toMatchObject({ name: 'Friday', host: c.welcome!.clientId, groups: ['Red', 'Blue', 'Green'] });
  });

  it('a password: stored hashed, needed to join (over HTTP, then the socket), wrong ones refused', async () => {
    const h = start(duoRoom({}, { createOnJoin: false }));
    const owner = h.server.anonymous!.issue();
    const guest = h.server.anonymous!.issue();
    const created = await http(h, 'POST', '/api/sessions', { type: 'duo', password: 'sesame' }, owner.token);
    const id = String(created.body.id);
    expect(created.body.password).toBe(true);
    const hash = h.server.rooms.get(id)!.session!.passwordHash!;
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain('sesame');

    const refused = h.connect();
    refused.hello(id, { token: guest.token });
    await flush();
    expect(refused.errors.at(-1)).toMatchObject({ code: ErrorCode.WRONG_PASSWORD, fatal: true });
    expect(refused.closed?.code).toBe(CloseCode.JOIN_REFUSED);

    expect(await http(h, 'POST', `/api/sessions/${id}/join`, { password: 'Sesame' }, guest.token)).toMatchObject({ status: 403, body: { error: 'WRONG_PASSWORD' } });
    expect(await http(h, 'POST', `/api/sessions/${id}/join`, {}, guest.token)).toMatchObject({ status: 403 });
    expect((await http(h, 'POST', `/api/sessions/${id}/join`, { password: 'sesame' }, guest.token)).status).toBe(200);
    const admitted = h.connect();
    admitted.hello(id, { token: guest.token });
    await flush();
    expect(admitted.welcome).toBeDefined();
    // The creator needs no password.
    const creator = h.connect();
    creator.hello(id, { token: owner.token });
    await flush();
    expect(creator.welcome).toBeDefined();
  });

  it('password guesses are limited per user', async () => {
    const h = start(duoRoom({}, { createOnJoin: false }));
    const owner = h.server.anonymous!.issue();
    const guesser = h.server.anonymous!.issue();
    const id = String((await http(h, 'POST', '/api/sessions', { type: 'duo', password: 'right' }, owner.token)).body.id);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await http(h, 'POST', `/api/sessions/${id}/join`, { password: `wrong ${i}` }, guesser.token)).status);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
    // One more try every 12 s (5 a minute); the empty room is still open (30 s grace).
    h.clock.advance(12_000);
    expect((await http(h, 'POST', `/api/sessions/${id}/join`, { password: 'right' }, guesser.token)).status).toBe(200);
  });
});
