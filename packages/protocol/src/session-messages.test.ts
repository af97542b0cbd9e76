import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter, GAMMA_MAX } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';
import { Kind, MessageCodec, decodeServer, writeEnvelope } from './messages.js';
import { defineProtocol } from './schema.js';
import {
  SESSION_ACTIONS,
  SESSION_EVENTS,
  SESSION_LIMITS,
  parseSessionSummary,
  type SessionEventBody,
  type SessionMemberBody,
  type SessionRequest,
  type SessionStateBody,
} from './session-messages.js';
import { t } from './types.js';

const crew = defineProtocol({
  name: 'crew-test',
  components: { hull: { hp: t.uint({ max: 7 }) } },
  entities: { ship: ['hull'] },
  session: {
    roles: ['helm', 'weapons', 'science'],
    maxGroups: 8,
    options: { scenario: t.enum(['patrol', 'siege']), difficulty: t.int({ min: 1, max: 11 }), ships: t.int({ min: 1, max: 8 }) },
    results: { session: { won: t.bool() }, group: { damage: t.uint({ max: 10_000 }) }, member: { shots: t.uint({ max: 255 }) } },
  },
});
const codec = new MessageCodec(crew);

const plain = defineProtocol({ name: 'plain', components: { c: { v: t.bool() } }, entities: { e: ['c'] } });

/** Runs `fn`, which must throw, and checks what: a ProtocolError (a decoder's refusal) by default. */
function refusedWith(fn: () => unknown, code: ErrorCode, type: typeof TickwireError = ProtocolError): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(type);
  expect(thrown).toMatchObject({ code });
}

/** A frame of `kind` whose payload `body` writes by hand. */
function handmade(kind: number, body: (w: BitWriter) => void): Uint8Array {
  const w = new BitWriter();
  writeEnvelope(w, kind as Kind, 0);
  body(w);
  return w.toBytes();
}

const member = (id: number, seat: { group: number; role: number } | null = null): SessionMemberBody => ({ id, name: `p${id}`, seat, ready: seat !== null, connected: id % 2 === 1 });

const results = {
  session: { won: true },
  groups: [
    { name: 'Artemis', stats: { damage: 1200 } },
    { name: 'Intrepid', stats: { damage: 0 } },
  ],
  members: [{ id: 3, name: 'ada', stats: { shots: 17 } }],
};

const state = (members: SessionMemberBody[]): SessionStateBody => ({
  name: 'Friday night',
  state: 'running',
  round: 2,
  host: 1,
  password: true,
  closesAt: 0,
  options: { scenario: 'siege', difficulty: 11, ships: 2 },
  groups: ['Artemis', 'Intrepid'],
  members,
  chat: [
    { from: 1, name: 'p1', group: null, text: 'ready?' },
    { from: 0, name: '', group: 1, text: 'crew only' },
  ],
  results,
});

describe('session messages round-trip', () => {
  const requests: SessionRequest[] = [
    { action: 'claim', group: 7, role: 2 },
    { action: 'release' },
    { action: 'rename', group: 0, name: 'Artemis' },
    { action: 'ready', ready: true },
    { action: 'options', options: { scenario: 'patrol', difficulty: 1, ships: 8 } },
    { action: 'start' },
    { action: 'chat', group: true, text: 'to the crew' },
    { action: 'lobby' },
  ];

  it('every request action', () => {
    expect(requests.map((r) => r.action)).toEqual([...SESSION_ACTIONS]);
    for (const [i, request] of requests.entries()) {
      expect(codec.decodeClient(codec.session(i + 1, request))).toEqual({ kind: 'session', seq: i + 1, request });
    }
  });

  it('every event', () => {
    const events: SessionEventBody[] = [
      { event: 'joined', member: member(4, { group: 1, role: 0 }) },
      { event: 'left', id: 4, reason: 'timeout' },
      { event: 'seat', id: 4, seat: null },
      { event: 'ready', id: 2, ready: false },
      { event: 'connection', id: 2, connected: false },
      { event: 'rename', group: 1, name: 'Intrepid' },
      { event: 'groups', groups: ['a', 'b', 'c'] },
      { event: 'host', id: 0 },
      { event: 'options', options: { scenario: 'siege', difficulty: 5, ships: 3 } },
      { event: 'state', state: 'results', round: 1, closesAt: 123_456.5, results },
      { event: 'chat', line: { from: 2, name: 'bo', group: 0, text: 'hi' } },
    ];
    expect(events.map((e) => e.event)).toEqual([...SESSION_EVENTS]);
    for (const event of events) expect(decodeServer(codec.sessionEvent(event), crew)).toEqual({ kind: 'sessionEvent', seq: 0, event });
  });

  it('property: the whole state, with any roster', () => {
    const seat = fc.option(fc.record({ group: fc.integer({ min: 0, max: 63 }), role: fc.integer({ min: 0, max: 15 }) }), { nil: null });
    const memberArb = fc.record({ id: fc.nat(1_000_000), name: fc.string({ maxLength: 8 }), seat, ready: fc.boolean(), connected: fc.boolean() });
    fc.assert(
      fc.property(fc.array(memberArb, { maxLength: 40 }), (members) => {
        const body = state(members);
        expect(decodeServer(codec.sessionState(body), crew)).toEqual({ kind: 'sessionState', seq: 0, state: body });
      }),
      { numRuns: 300 },
    );
  });
});

describe('session messages refuse what they cannot carry', () => {
  it('a protocol without sessions neither writes nor reads them (UNKNOWN_KIND)', () => {
    const plainCodec = new MessageCodec(plain);
    refusedWith(() => plainCodec.session(1, { action: 'start' }), ErrorCode.UNKNOWN_KIND);
    refusedWith(() => plainCodec.decodeClient(codec.session(1, { action: 'start' })), ErrorCode.UNKNOWN_KIND);
    refusedWith(() => decodeServer(codec.sessionEvent({ event: 'host', id: 1 }), plain), ErrorCode.UNKNOWN_KIND);
  });

  it('an action or event past the table is VALUE_OUT_OF_RANGE', () => {
    refusedWith(() => codec.decodeClient(handmade(Kind.SESSION, (w) => w.writeGamma(SESSION_ACTIONS.length))), ErrorCode.VALUE_OUT_OF_RANGE);
    refusedWith(() => decodeServer(handmade(Kind.SESSION_EVENT, (w) => w.writeGamma(SESSION_EVENTS.length)), crew), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('a group past 63 or a role past 15 is VALUE_OUT_OF_RANGE', () => {
    refusedWith(() => codec.decodeClient(handmade(Kind.SESSION, (w) => (w.writeGamma(0), w.writeGamma(64), w.writeGamma(0)))), ErrorCode.VALUE_OUT_OF_RANGE);
    refusedWith(() => codec.decodeClient(handmade(Kind.SESSION, (w) => (w.writeGamma(0), w.writeGamma(0), w.writeGamma(16)))), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('a list longer than its limit is COUNT_TOO_LARGE, read or written, and a huge count allocates nothing', () => {
    const groups = (n: number) => handmade(Kind.SESSION_EVENT, (w) => (w.writeGamma(SESSION_EVENTS.indexOf('groups')), w.writeGamma(n)));
    refusedWith(() => decodeServer(groups(65), crew), ErrorCode.COUNT_TOO_LARGE);
    refusedWith(() => decodeServer(groups(GAMMA_MAX), crew), ErrorCode.COUNT_TOO_LARGE);
    const many = Array.from({ length: SESSION_LIMITS.members + 1 }, (_, i) => member(i + 1));
    refusedWith(() => codec.sessionState(state(many)), ErrorCode.COUNT_TOO_LARGE, TickwireError);
  });

  it('an option past its field is refused by the decoder', () => {
    // difficulty is int(1..11): 4 bits on the wire, so 11 steps (wire 0..10) fit and 11..15 do not.
    const f = handmade(Kind.SESSION, (w) => (w.writeGamma(SESSION_ACTIONS.indexOf('options')), w.writeBits(0, 1), w.writeBits(15, 4), w.writeBits(0, 3)));
    refusedWith(() => codec.decodeClient(f), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('random bytes behind a session envelope throw only ProtocolError', () => {
    const kinds = [Kind.SESSION, Kind.SESSION_STATE, Kind.SESSION_EVENT];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 64 }), (kind, payload) => {
        const f = handmade(kind, (w) => w.writeBytes(payload));
        try {
          if (kind === Kind.SESSION) codec.decodeClient(f);
          else decodeServer(f, crew);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('session declarations', () => {
  const base = { name: 's', components: { c: { v: t.bool() } }, entities: { e: ['c'] } } as const;

  it('are checked when the protocol is defined', () => {
    expect(() => defineProtocol({ ...base, session: { roles: [], maxGroups: 2 } })).toThrow(/1\.\.16 roles/);
    expect(() => defineProtocol({ ...base, session: { roles: Array.from({ length: 17 }, (_, i) => `r${i}`), maxGroups: 2 } })).toThrow(/1\.\.16 roles/);
    expect(() => defineProtocol({ ...base, session: { roles: ['a', 'a'], maxGroups: 2 } })).toThrow(/distinct/);
    expect(() => defineProtocol({ ...base, session: { roles: ['a b'], maxGroups: 2 } })).toThrow(/no spaces/);
    expect(() => defineProtocol({ ...base, session: { roles: ['a'], maxGroups: 0 } })).toThrow(/maxGroups/);
    expect(() => defineProtocol({ ...base, session: { roles: ['a'], maxGroups: 65 } })).toThrow(/maxGroups/);
  });

  it('are part of the hash; a protocol without one hashes as it always did', () => {
    const without = defineProtocol(base);
    expect(without.describe()).not.toContain('session');
    const one = defineProtocol({ ...base, session: { roles: ['a', 'b'], maxGroups: 2 } });
    const other = defineProtocol({ ...base, session: { roles: ['b', 'a'], maxGroups: 2 } });
    expect(new Set([without.hash, one.hash, other.hash]).size).toBe(3);
  });
});

describe('parseSessionSummary', () => {
  it('keeps the known fields of a summary and nothing else', () => {
    const v = { id: 'ABC123', name: 'Friday', type: 'bridge', state: 'running', round: 2, players: 3, members: 4, seats: 12, seatsFree: 8, password: true, extra: '<b>' };
    expect(parseSessionSummary(v)).toEqual({ id: 'ABC123', name: 'Friday', type: 'bridge', state: 'running', round: 2, players: 3, members: 4, seats: 12, seatsFree: 8, password: true });
  });

  it('reads out-of-range counts as 0, an unknown state as closed, a missing name as the id', () => {
    const v = { id: 'X', state: 'exploded', round: -1, players: 1.5, members: Number.MAX_SAFE_INTEGER + 2, seats: '3', password: 'yes' };
    expect(parseSessionSummary(v)).toEqual({ id: 'X', name: 'X', type: '', state: 'closed', round: 0, players: 0, members: 0, seats: 0, seatsFree: 0, password: false });
  });

  it('is undefined for what is not a summary', () => {
    for (const v of [null, 'ABC', [], {}, { id: '' }, { id: 7 }, { id: 'x'.repeat(65) }]) expect(parseSessionSummary(v)).toBeUndefined();
  });
});
