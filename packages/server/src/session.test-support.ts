/**
 * Test support for sessions: a small team game (two to four teams, two roles each), its room
 * definition with counters of what the session told it, and raw-client helpers for session
 * requests and what came back.
 */
import { defineProtocol, t, type ServerMessage, type SessionEventBody, type SessionRequest } from '@tickwire/protocol';
import { defineRoom, type RoomDefinition } from './room-definition.js';
import type { SeatChange, SessionDefinition } from './session-api.js';
import type { RawClient } from './harness.test-support.js';
import { flush } from './harness.test-support.js';

export const duo = defineProtocol({
  name: 'duo',
  components: { body: { x: t.float({ min: 0, max: 100, precision: 0.5 }) } },
  entities: { flag: ['body'] },
  input: { push: t.int({ min: -1, max: 1 }) },
  commands: { team: { shout: { loud: t.bool() } } },
  session: {
    roles: ['attack', 'defend'],
    maxGroups: 4,
    options: { teams: t.int({ min: 2, max: 4 }), minutes: t.uint({ max: 30 }) },
    results: { session: { winner: t.uint({ max: 3 }) }, group: { score: t.uint({ max: 1000 }) }, member: { goals: t.uint({ max: 99 }) } },
  },
});
export type Duo = typeof duo;

/** What the game saw: seat changes, starts, returns to the lobby, inputs and system runs. */
export interface Seen {
  seats: SeatChange<Duo, unknown>[];
  starts: number;
  lobbies: number;
  inputs: number;
  ticks: number;
  shouts: number;
}

export function duoRoom(session: Partial<SessionDefinition<Duo, Seen>> = {}, extra: Partial<RoomDefinition<Duo, Seen>> = {}): RoomDefinition<Duo, Seen> {
  return defineRoom({
    protocol: duo,
    createOnJoin: true,
    reconnectWindowMs: 60_000,
    setup: (): Seen => ({ seats: [], starts: 0, lobbies: 0, inputs: 0, ticks: 0, shouts: 0 }),
    onInput: (room) => void room.state.inputs++,
    commands: { team: { shout: (room) => void room.state.shouts++ } },
    systems: [(room) => void room.state.ticks++],
    session: {
      groups: (o) => ['Red', 'Blue', 'Green', 'Gold'].slice(0, o.teams),
      options: { teams: 2, minutes: 10 },
      onSeat: (room, change) => void room.state.seats.push(change),
      onStart: (room) => void room.state.starts++,
      onLobby: (room) => void room.state.lobbies++,
      ...session,
    },
    ...extra,
  });
}

let nextSeq = 1000;

/** Sends a session request and returns its answer (after letting the frames flow). */
export async function ask(c: RawClient, request: SessionRequest): Promise<{ ok: boolean; code: number; message: string }> {
  const seq = ++nextSeq;
  c.send(c.codec.session(seq, request));
  await flush();
  const result = c.received.find((m): m is Extract<ServerMessage, { kind: 'commandResult' }> => m.kind === 'commandResult' && m.seq === seq);
  if (!result) throw new Error(`no answer to session request ${JSON.stringify(request)}`);
  return { ok: result.ok, code: result.code, message: result.message };
}

/** The session events a client received, in order. */
export function events(c: RawClient): SessionEventBody[] {
  return c.received.flatMap((m) => (m.kind === 'sessionEvent' ? [m.event] : []));
}

/** The last SESSION_STATE a client received. */
export function sessionState(c: RawClient) {
  return c.last('sessionState')?.state;
}
