/**
 * Joining in protocol v2: explicit creation by room type, joins by code (creating only where the
 * room type allows it), join options decoded with the room's protocol and handed to onAuth and
 * onJoin, and refusals with reasons.
 */
import { CloseCode, ErrorCode, ROOM_CODE_PATTERN, defineProtocol, encodeJoinOptions, t, type JoinOptionsOf } from '@tickwire/protocol';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { flush, harness } from './harness.test-support.js';
import { Rejection, reject, defineRoom, type RoomDefinition } from './room-definition.js';
import { RoomCatalog, generateRoomCode } from './room-manager.js';
import type { RoomStore } from './persistence-writer.js';
import type { Identity } from './room-client.js';

const duel = defineProtocol({
  name: 'duel',
  components: { pos: { x: t.uint({ max: 100 }) } },
  entities: { fighter: ['pos'] },
  join: { team: t.uint({ max: 2 }), password: t.string(16) },
});
type Duel = typeof duel;
type DuelOptions = JoinOptionsOf<Duel>;

function duelRoom(overrides: Partial<RoomDefinition<Duel>> = {}): RoomDefinition<Duel> {
  return defineRoom({ protocol: duel, reconnectWindowMs: 60_000, ...overrides });
}

const options = (o: Partial<DuelOptions>) => encodeJoinOptions(duel, o);

/** A harness whose server serves `types` by name (createOnJoin as each definition says). */
function serve(types: Record<string, RoomDefinition<Duel>>) {
  return harness(Object.values(types)[0]!, { rooms: types });
}

describe('creating and joining rooms', () => {
  it('create(type) makes a room under a fresh code that others join by that code', async () => {
    const h = serve({ duel: duelRoom() });
    const a = h.connect();
    a.hello('duel', { create: true, options: options({ team: 1 }) });
    await flush();
    const code = a.welcome?.room ?? '';
    expect(code).toMatch(ROOM_CODE_PATTERN);
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
    const b = h.connect();
    b.hello(code, { options: options({ team: 2 }) });
    await flush();
    expect(b.welcome?.room).toBe(code);
    expect(h.server.rooms.size).toBe(1);
    expect(h.server.rooms.get(code)?.size).toBe(2);
    // A second create is a second room.
    const c = h.connect();
    c.hello('duel', { create: true, options: options({}) });
    await flush();
    expect(c.welcome?.room).not.toBe(code);
    expect(h.server.rooms.size).toBe(2);
  });

  it('a join for a code with no room is ROOM_NOT_FOUND, and creates nothing, unless the type allows it', async () => {
    const h = serve({ duel: duelRoom() });
    const c = h.connect();
    c.hello('nope', { options: options({}) });
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.ROOM_NOT_FOUND, fatal: true });
    expect(c.errors[0]!.message).toMatch(/no room 'nope'.*create a room \('duel'\)/);
    expect(c.closed?.code).toBe(CloseCode.JOIN_REFUSED);
    expect(h.server.rooms.size).toBe(0);

    const open = serve({ duel: duelRoom({ createOnJoin: true }) });
    const d = open.connect();
    d.hello('abc', { options: options({}) });
    await flush();
    expect(d.welcome?.room).toBe('abc');
    expect(open.server.rooms.get('abc')).toBeDefined();
  });

  it('a create for a type the server does not serve names the types it does', async () => {
    const h = serve({ duel: duelRoom(), brawl: duelRoom() });
    const c = h.connect();
    c.hello('chess', { create: true, options: options({}) });
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE, fatal: true });
    expect(c.errors[0]!.message).toMatch(/no room type 'chess'.*'duel', 'brawl'/);
    expect(h.server.rooms.size).toBe(0);
  });

  it('a create by a client of another protocol is SCHEMA_MISMATCH and creates nothing', async () => {
    const h = serve({ duel: duelRoom() });
    const c = h.connect();
    c.hello('duel', { create: true, protocolHash: duel.hash ^ 1, options: options({}) });
    await flush();
    expect(c.errors[0]?.code).toBe(ErrorCode.SCHEMA_MISMATCH);
    expect(h.server.rooms.size).toBe(0);
  });

  it('a member of a created room resumes by its code', async () => {
    const h = serve({ duel: duelRoom() });
    const a = h.connect();
    a.hello('duel', { create: true, options: options({ team: 1 }) });
    await flush();
    const welcome = a.welcome!;
    // A membership is kept for a resume once its client acknowledged a snapshot.
    await h.step(200);
    a.transport.close(1000, 'drop');
    await flush();
    const back = h.connect();
    back.hello(welcome.room, { resumeToken: welcome.resumeToken, options: options({ team: 1 }) });
    await flush();
    expect(back.welcome).toMatchObject({ room: welcome.room, clientId: welcome.clientId });
    // Resuming says create = false: a create with a resume token is refused with the fix.
    const wrong = h.connect();
    wrong.hello('duel', { create: true, resumeToken: welcome.resumeToken, options: options({}) });
    await flush();
    expect(wrong.errors[0]).toMatchObject({ code: ErrorCode.RESUME_FAILED });
    expect(wrong.errors[0]!.message).toMatch(/create = false/);
  });

  it('the old forms still work: one definition is named after its protocol, a resolver serves codes', async () => {
    const one = harness(duelRoom({ createOnJoin: false }));
    const c = one.connect();
    c.hello('duel', { create: true, options: options({}) });
    await flush();
    expect(c.welcome?.room).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);

    const resolved = harness(duelRoom(), { rooms: (code) => (code.startsWith('d-') ? duelRoom({ createOnJoin: true }) : undefined) });
    const d = resolved.connect();
    d.hello('d-1', { options: options({}) });
    await flush();
    expect(d.welcome?.room).toBe('d-1');
    const e = resolved.connect();
    e.hello('x-1', { options: options({}) });
    await flush();
    expect(e.errors[0]?.code).toBe(ErrorCode.INVALID_ROOM_CODE);
    const f = resolved.connect();
    f.hello('duel', { create: true, options: options({}) });
    await flush();
    expect(f.errors[0]?.code).toBe(ErrorCode.INVALID_ROOM_CODE);
    expect(f.errors[0]!.message).toMatch(/join a code/);
  });
});

describe('stored rooms', () => {
  /** A database that holds one room, 'kept'. */
  const store: RoomStore = {
    loadRoom: async (code) => (code === 'kept' ? { code, meta: null, entities: [], players: [], checkpointAt: 1 } : undefined),
    writeCheckpoint: async () => undefined,
    transact: async () => {
      throw new Error('not used');
    },
    committedResult: async () => undefined,
  };

  it('a join opens a room the storage holds even when a join may not create rooms; an unknown code is still ROOM_NOT_FOUND', async () => {
    const h = serve({ duel: duelRoom({ persistence: {} }) });
    const withStore = harness(duelRoom({ createOnJoin: false, persistence: {} }), { rooms: { duel: duelRoom({ persistence: {} }) }, storage: store });
    const kept = withStore.connect();
    kept.hello('kept', { options: options({}) });
    await flush();
    expect(kept.welcome?.room).toBe('kept');
    const other = withStore.connect();
    other.hello('gone', { options: options({}) });
    await flush();
    expect(other.errors[0]?.code).toBe(ErrorCode.ROOM_NOT_FOUND);
    // Without storage the same code is not found.
    const bare = h.connect();
    bare.hello('kept', { options: options({}) });
    await flush();
    expect(bare.errors[0]?.code).toBe(ErrorCode.ROOM_NOT_FOUND);
  });
});

describe('join options, onAuth and onJoin', () => {
  it('options reach onAuth and onJoin, decoded and typed by the protocol', async () => {
    const seen: { auth: DuelOptions[]; join: DuelOptions[]; identities: Identity[] } = { auth: [], join: [], identities: [] };
    const h = serve({
      duel: duelRoom({
        createOnJoin: true,
        onAuth: async (o, identity) => {
          expectTypeOf(o).toEqualTypeOf<DuelOptions>();
          await Promise.resolve();
          seen.auth.push(o);
          seen.identities.push(identity);
        },
        onJoin: (room, _player, o) => {
          expectTypeOf(o.team).toEqualTypeOf<number>();
          expectTypeOf(o.password).toEqualTypeOf<string>();
          seen.join.push(o);
          return room.entities.create('fighter', { pos: { x: o.team * 10 } });
        },
      }),
    });
    const c = h.connect();
    c.hello('r', { options: options({ team: 2, password: 'pw' }) });
    await flush();
    expect(c.welcome).toBeDefined();
    expect(seen.auth).toEqual([{ team: 2, password: 'pw' }]);
    expect(seen.join).toEqual([{ team: 2, password: 'pw' }]);
    expect(seen.identities[0]?.userId).toBeTruthy();
    expect(h.server.rooms.get('r')!.entities.get(c.welcome!.entity)).toMatchObject({ pos: { x: 20 } });
  });

  it('onAuth refuses with a reason (JOIN_REFUSED) or a code of its own, before anyone becomes a member', async () => {
    const h = serve({
      duel: duelRoom({
        createOnJoin: true,
        onAuth: async (o) => {
          await Promise.resolve();
          if (o.password !== 'sesame') reject('wrong password: ask the host for it');
          if (o.team === 2) reject('team 2 is for staff', ErrorCode.AUTH_FAILED);
        },
      }),
    });
    const wrong = h.connect();
    wrong.hello('r', { options: options({ password: 'open' }) });
    await flush();
    expect(wrong.errors[0]).toMatchObject({ code: ErrorCode.JOIN_REFUSED, fatal: true, message: 'wrong password: ask the host for it' });
    expect(wrong.closed?.code).toBe(CloseCode.JOIN_REFUSED);
    const staff = h.connect();
    staff.hello('r', { options: options({ password: 'sesame', team: 2 }) });
    await flush();
    expect(staff.errors[0]).toMatchObject({ code: ErrorCode.AUTH_FAILED, message: 'team 2 is for staff' });
    expect(staff.closed?.code).toBe(CloseCode.AUTH_FAILED);
    expect(h.server.rooms.get('r')?.size).toBe(0);
    const right = h.connect();
    right.hello('r', { options: options({ password: 'sesame' }) });
    await flush();
    expect(right.welcome).toBeDefined();
    expect(h.server.rooms.get('r')?.size).toBe(1);
  });

  it('an onAuth that fails (not a reject) refuses the join, counts a fault, and the room goes on', async () => {
    let calls = 0;
    const h = serve({
      duel: duelRoom({
        createOnJoin: true,
        onAuth: () => {
          if (++calls === 1) throw new Error('database down');
        },
      }),
    });
    const c = h.connect();
    c.hello('r', { options: options({}) });
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.JOIN_REFUSED });
    expect(c.errors[0]!.message).toMatch(/game code failed/);
    expect(await h.server.metrics.text()).toMatch(/tickwire_game_faults_total\{hook="onAuth"\} 1/);
    const again = h.connect();
    again.hello('r', { options: options({}) });
    await flush();
    expect(again.welcome).toBeDefined();
  });

  it('a connection that closes while onAuth waits is not admitted, whatever onAuth decides', async () => {
    const pending: { resolve: () => void; reject: (err: unknown) => void }[] = [];
    const h = serve({ duel: duelRoom({ createOnJoin: true, onAuth: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })) }) });
    const clients = [h.connect(), h.connect(), h.connect()];
    for (const c of clients) c.hello('r', { options: options({}) });
    await flush();
    for (const c of clients) c.transport.close(1000, 'bye');
    await flush();
    const received = clients.map((c) => c.received.length);
    pending[0]!.resolve();
    pending[1]!.reject(new Error('late failure'));
    pending[2]!.reject(new Rejection('not you'));
    await flush();
    expect(h.server.rooms.get('r')?.size).toBe(0);
    expect(clients.map((c) => c.received.length)).toEqual(received);
    // A failure is a fault even when nobody waits for the answer; a refusal is not.
    expect(await h.server.metrics.text()).toMatch(/tickwire_game_faults_total\{hook="onAuth"\} 1/);
  });

  it('options past their limits, or not the room protocol’s, refuse the join with the decoder’s code', async () => {
    const h = serve({ duel: duelRoom({ createOnJoin: true }) });
    const cases: [Uint8Array, ErrorCode][] = [
      [Uint8Array.of(0b11), ErrorCode.VALUE_OUT_OF_RANGE], // team 3 > max 2
      [new Uint8Array(0), ErrorCode.TRUNCATED],
      [Uint8Array.of(...options({}), 9), ErrorCode.TRAILING_DATA],
    ];
    for (const [bytes, code] of cases) {
      const c = h.connect();
      c.hello('r', { options: bytes });
      await flush();
      expect(c.errors[0], `options ${[...bytes].join(',')}`).toMatchObject({ code, fatal: true });
      expect(c.errors[0]!.message).toMatch(/^join options: /);
      expect(c.closed?.code).toBe(CloseCode.JOIN_REFUSED);
    }
    expect(h.server.rooms.get('r')?.size ?? 0).toBe(0);
  });
});

describe('room types', () => {
  it('refuses two createOnJoin types of one protocol: a join could not tell which to create', () => {
    expect(() => new RoomCatalog({ a: duelRoom({ createOnJoin: true }), b: duelRoom({ createOnJoin: true }) })).toThrow(
      /'a' and 'b' both have createOnJoin/,
    );
    expect(() => new RoomCatalog({ 'no spaces': duelRoom() })).toThrow(RangeError);
    expect(() => new RoomCatalog({})).toThrow(/at least one room type/);
  });

  it('generates codes from its alphabet, evenly', () => {
    let seed = 0;
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3100; i++) for (const ch of generateRoomCode(bytes)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(31);
    for (const n of counts.values()) expect(n).toBeGreaterThan(450); // 600 expected each
    // Bytes past the last whole multiple of 31 are skipped, not folded in.
    expect(generateRoomCode((n) => new Uint8Array(n).fill(255).map((b, i) => (i === n - 1 ? 0 : b)))).toHaveLength(6);
  });
});
