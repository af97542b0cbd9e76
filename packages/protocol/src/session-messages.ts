/**
 * The session messages: SESSION (client -> server: claim a seat, ready, start, chat...),
 * SESSION_STATE (the whole session as one member sees it, on joining and resuming) and
 * SESSION_EVENT (one change: someone joined, took a seat, the round ended...).
 *
 * Their payloads mix fixed structs with the game's own (the options its creator sets, the
 * results a round ends with), so they are written here with the game protocol's session schema.
 * Each fixed part is one Struct that drives both directions; the lists (members, groups, chat
 * lines) are a gamma count, bounds-checked when read, then their items. docs/protocol.md 7.15
 * to 7.17 give the same bytes.
 */
import type { BitReader, BitWriter } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';
import { SESSION_BOUNDS, type SessionSchema } from './schema.js';
import { Struct, optional, t, type FieldsDef } from './types.js';

/** A session's lifecycle states, in wire order (docs/sessions.md has the diagram). */
export const SESSION_STATES = ['lobby', 'running', 'results', 'closed'] as const;
export type SessionStateName = (typeof SESSION_STATES)[number];

/** Why a member left, in wire order (the room's leave reasons). */
export const SESSION_LEAVE_REASONS = ['left', 'disconnected', 'timeout', 'closed', 'shutdown'] as const;
export type SessionLeaveReason = (typeof SESSION_LEAVE_REASONS)[number];

/** What a SESSION request asks, in wire order of its `action`. */
export const SESSION_ACTIONS = ['claim', 'release', 'rename', 'ready', 'options', 'start', 'chat', 'lobby'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

/** What a SESSION_EVENT says, in wire order of its `event`. */
export const SESSION_EVENTS = ['joined', 'left', 'seat', 'ready', 'connection', 'rename', 'groups', 'host', 'options', 'state', 'chat'] as const;
export type SessionEventName = (typeof SESSION_EVENTS)[number];

/** Wire limits of the session messages (also in LIMITS). */
export const SESSION_LIMITS = { nameBytes: 64, members: 1024, chatLines: 64 } as const;

type Values = Record<string, unknown>;

/** A seat: a group (ship, team) and a role index in it. */
export type SeatBody = {
  group: number;
  role: number;
};

/** One member as the roster shows it. */
export type SessionMemberBody = {
  id: number;
  name: string;
  seat: SeatBody | null;
  ready: boolean;
  connected: boolean;
};

/** One chat line; `group` is the group it was said to, null for the whole session. */
export type SessionChatBody = {
  from: number;
  name: string;
  group: number | null;
  text: string;
};

/** What a round ended with: the game's structs for the session, each group and each member. */
export type SessionResultsBody<S = Values, G = Values, M = Values> = {
  session: S;
  groups: { name: string; stats: G }[];
  members: { id: number; name: string; stats: M }[];
};

/** SESSION_STATE: the whole session as one member sees it (chat: its session and group lines). */
export type SessionStateBody<O = Values> = {
  name: string;
  state: SessionStateName;
  round: number;
  /** The member who may set options and start (0: none right now). */
  host: number;
  password: boolean;
  /** Server-clock ms at which the session closes by itself (results), 0 when not scheduled. */
  closesAt: number;
  options: O;
  groups: string[];
  members: SessionMemberBody[];
  chat: SessionChatBody[];
  /** The last round's results, once there are some. */
  results: SessionResultsBody | null;
};

/**
 * A session as the server's HTTP API lists it (`GET /api/sessions`, docs/sessions.md): what a
 * lobby page shows before anyone joins.
 */
export interface SessionSummary {
  id: string;
  name: string;
  /** The room type it was created as. */
  type: string;
  state: SessionStateName;
  round: number;
  /** Members connected now. */
  players: number;
  /** Members, connected or with a seat held for them. */
  members: number;
  seats: number;
  seatsFree: number;
  /** Whether joining needs a password. */
  password: boolean;
}

/**
 * A session summary read from JSON (an HTTP answer): field by field, so nothing else gets
 * through to a page that shows it. Counts that are not safe non-negative integers read as 0, an
 * unknown state as 'closed', a missing name as the id; undefined when there is no id.
 *
 * @example
 * const summary = parseSessionSummary(await res.json());
 */
export function parseSessionSummary(v: unknown): SessionSummary | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o: Record<string, unknown> = { ...v };
  if (typeof o.id !== 'string' || o.id === '' || o.id.length > 64) return undefined;
  const count = (k: string): number => {
    const n = o[k];
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
  };
  return {
    id: o.id,
    name: typeof o.name === 'string' ? o.name : o.id,
    type: typeof o.type === 'string' ? o.type : '',
    state: SESSION_STATES.find((s) => s === o.state) ?? 'closed',
    round: count('round'),
    players: count('players'),
    members: count('members'),
    seats: count('seats'),
    seatsFree: count('seatsFree'),
    password: o.password === true,
  };
}

export type SessionRequest<O = Values> =
  | { action: 'claim'; group: number; role: number }
  | { action: 'release' }
  | { action: 'rename'; group: number; name: string }
  | { action: 'ready'; ready: boolean }
  | { action: 'options'; options: O }
  | { action: 'start' }
  | { action: 'chat'; group: boolean; text: string }
  | { action: 'lobby' };

export type SessionEventBody<O = Values> =
  | { event: 'joined'; member: SessionMemberBody }
  | { event: 'left'; id: number; reason: SessionLeaveReason }
  | { event: 'seat'; id: number; seat: SeatBody | null }
  | { event: 'ready'; id: number; ready: boolean }
  | { event: 'connection'; id: number; connected: boolean }
  | { event: 'rename'; group: number; name: string }
  | { event: 'groups'; groups: string[] }
  | { event: 'host'; id: number }
  | { event: 'options'; options: O }
  | { event: 'state'; state: SessionStateName; round: number; closesAt: number; results: SessionResultsBody | null }
  | { event: 'chat'; line: SessionChatBody };

const group = () => t.varuint(SESSION_BOUNDS.groups - 1);
const memberName = () => t.string(32);

const parts = {
  member: new Struct({ id: t.varuint(), name: memberName(), group: optional(group()), role: t.varuint(SESSION_BOUNDS.roles - 1), ready: t.bool(), connected: t.bool() }),
  chat: new Struct({ from: t.varuint(), name: memberName(), group: optional(group()), text: t.string(256) }),
  groupName: new Struct({ name: memberName() }),
  resultMember: new Struct({ id: t.varuint(), name: memberName() }),
  stateHead: new Struct({
    name: t.string(SESSION_LIMITS.nameBytes),
    state: t.enum(SESSION_STATES),
    round: t.varuint(),
    host: t.varuint(),
    password: t.bool(),
    closesAt: t.f64(),
  }),
  seat: new Struct({ id: t.varuint(), group: optional(group()), role: t.varuint(SESSION_BOUNDS.roles - 1) }),
  phase: new Struct({ state: t.enum(SESSION_STATES), round: t.varuint(), closesAt: t.f64(), results: t.bool() }),
};

/** Fixed bodies of the requests (`options` is the game's own struct). */
const requestBodies: Record<Exclude<SessionAction, 'options'>, Struct<FieldsDef>> = {
  claim: new Struct({ group: group(), role: t.varuint(SESSION_BOUNDS.roles - 1) }),
  release: new Struct({}),
  rename: new Struct({ group: group(), name: memberName() }),
  ready: new Struct({ ready: t.bool() }),
  start: new Struct({}),
  chat: new Struct({ group: t.bool(), text: t.string(256) }),
  lobby: new Struct({}),
};

/** Fixed bodies of the events (the others are written below: they hold lists or the game's structs). */
const eventBodies: Record<'left' | 'ready' | 'connection' | 'rename' | 'host', Struct<FieldsDef>> = {
  left: new Struct({ id: t.varuint(), reason: t.enum(SESSION_LEAVE_REASONS) }),
  ready: new Struct({ id: t.varuint(), ready: t.bool() }),
  connection: new Struct({ id: t.varuint(), connected: t.bool() }),
  rename: new Struct({ group: group(), name: memberName() }),
  host: new Struct({ id: t.varuint() }),
};

/** The session schema of a protocol, or a refusal naming the protocol. */
export function sessionSchema(schema: SessionSchema | null, game: string): SessionSchema {
  if (!schema) throw new ProtocolError(ErrorCode.UNKNOWN_KIND, `the game protocol '${game}' declares no sessions`);
  return schema;
}

function writeList<T>(w: BitWriter, items: readonly T[], max: number, what: string, item: (x: T) => void): void {
  if (items.length > max) throw new TickwireError(ErrorCode.COUNT_TOO_LARGE, `${items.length} ${what}; the limit is ${max}`);
  w.writeGamma(items.length);
  for (const x of items) item(x);
}

function readList<T>(r: BitReader, max: number, what: string, item: () => T): T[] {
  const n = r.readGamma();
  if (n > max) throw new ProtocolError(ErrorCode.COUNT_TOO_LARGE, `${n} ${what}; the limit is ${max}`);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item());
  return out;
}

function seatOf(v: { group: number | undefined; role: number }): SeatBody | null {
  return v.group === undefined ? null : { group: v.group, role: v.role };
}

function seatFields(seat: SeatBody | null): { group: number | undefined; role: number } {
  return seat ? { group: seat.group, role: seat.role } : { group: undefined, role: 0 };
}

function writeMember(w: BitWriter, m: SessionMemberBody): void {
  parts.member.write(w, { id: m.id, name: m.name, ...seatFields(m.seat), ready: m.ready, connected: m.connected });
}

function readMember(r: BitReader): SessionMemberBody {
  const v = parts.member.read(r);
  return { id: v.id, name: v.name, seat: seatOf(v), ready: v.ready, connected: v.connected };
}

function writeChat(w: BitWriter, c: SessionChatBody): void {
  parts.chat.write(w, { from: c.from, name: c.name, group: c.group ?? undefined, text: c.text });
}

function readChat(r: BitReader): SessionChatBody {
  const v = parts.chat.read(r);
  return { from: v.from, name: v.name, group: v.group ?? null, text: v.text };
}

function writeGroups(w: BitWriter, groups: readonly string[]): void {
  writeList(w, groups, SESSION_BOUNDS.groups, 'groups', (name) => parts.groupName.write(w, { name }));
}

function readGroups(r: BitReader): string[] {
  return readList(r, SESSION_BOUNDS.groups, 'groups', () => parts.groupName.read(r).name);
}

function writeResults(w: BitWriter, s: SessionSchema, res: SessionResultsBody): void {
  s.sessionResults.write(w, res.session);
  writeList(w, res.groups, SESSION_BOUNDS.groups, 'groups in results', (g) => {
    parts.groupName.write(w, { name: g.name });
    s.groupResults.write(w, g.stats);
  });
  writeList(w, res.members, SESSION_LIMITS.members, 'members in results', (m) => {
    parts.resultMember.write(w, { id: m.id, name: m.name });
    s.memberResults.write(w, m.stats);
  });
}

function readResults(r: BitReader, s: SessionSchema): SessionResultsBody {
  const session = s.sessionResults.read(r);
  const groups = readList(r, SESSION_BOUNDS.groups, 'groups in results', () => ({ name: parts.groupName.read(r).name, stats: s.groupResults.read(r) }));
  const members = readList(r, SESSION_LIMITS.members, 'members in results', () => ({ ...parts.resultMember.read(r), stats: s.memberResults.read(r) }));
  return { session, groups, members };
}

function writeOptionalResults(w: BitWriter, s: SessionSchema, res: SessionResultsBody | null): void {
  w.writeBool(res !== null);
  if (res) writeResults(w, s, res);
}

/** SESSION payload: the action (gamma), then its body. */
export function writeSessionRequest(w: BitWriter, s: SessionSchema, req: SessionRequest): void {
  w.writeGamma(SESSION_ACTIONS.indexOf(req.action));
  if (req.action === 'options') s.options.write(w, req.options);
  else requestBodies[req.action].write(w, req);
}

export function readSessionRequest(r: BitReader, s: SessionSchema): SessionRequest {
  const index = r.readGamma();
  const action = SESSION_ACTIONS[index];
  if (action === undefined) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `session action #${index} is not one of ${SESSION_ACTIONS.join(', ')}`);
  if (action === 'options') return { action, options: s.options.read(r) };
  return { action, ...requestBodies[action].read(r) } as SessionRequest;
}

/** SESSION_STATE payload. */
export function writeSessionState(w: BitWriter, s: SessionSchema, body: SessionStateBody): void {
  parts.stateHead.write(w, body);
  s.options.write(w, body.options);
  writeGroups(w, body.groups);
  writeList(w, body.members, SESSION_LIMITS.members, 'members', (m) => writeMember(w, m));
  writeList(w, body.chat, SESSION_LIMITS.chatLines, 'chat lines', (c) => writeChat(w, c));
  writeOptionalResults(w, s, body.results);
}

export function readSessionState(r: BitReader, s: SessionSchema): SessionStateBody {
  const head = parts.stateHead.read(r);
  const options = s.options.read(r);
  const groups = readGroups(r);
  const members = readList(r, SESSION_LIMITS.members, 'members', () => readMember(r));
  const chat = readList(r, SESSION_LIMITS.chatLines, 'chat lines', () => readChat(r));
  const results = r.readBool() ? readResults(r, s) : null;
  return { ...head, options, groups, members, chat, results };
}

/** SESSION_EVENT payload: the event (gamma), then its body. */
export function writeSessionEvent(w: BitWriter, s: SessionSchema, ev: SessionEventBody): void {
  w.writeGamma(SESSION_EVENTS.indexOf(ev.event));
  switch (ev.event) {
    case 'joined':
      return writeMember(w, ev.member);
    case 'seat':
      return parts.seat.write(w, { id: ev.id, ...seatFields(ev.seat) });
    case 'groups':
      return writeGroups(w, ev.groups);
    case 'options':
      return s.options.write(w, ev.options);
    case 'state':
      parts.phase.write(w, { state: ev.state, round: ev.round, closesAt: ev.closesAt, results: ev.results !== null });
      if (ev.results) writeResults(w, s, ev.results);
      return;
    case 'chat':
      return writeChat(w, ev.line);
    default:
      return eventBodies[ev.event].write(w, ev);
  }
}

export function readSessionEvent(r: BitReader, s: SessionSchema): SessionEventBody {
  const index = r.readGamma();
  const event = SESSION_EVENTS[index];
  if (event === undefined) throw new ProtocolError(ErrorCode.VALUE_OUT_OF_RANGE, `session event #${index} is not one of ${SESSION_EVENTS.join(', ')}`);
  switch (event) {
    case 'joined':
      return { event, member: readMember(r) };
    case 'seat': {
      const v = parts.seat.read(r);
      return { event, id: v.id, seat: seatOf(v) };
    }
    case 'groups':
      return { event, groups: readGroups(r) };
    case 'options':
      return { event, options: s.options.read(r) };
    case 'state': {
      const { results, ...phase } = parts.phase.read(r);
      return { event, ...phase, results: results ? readResults(r, s) : null };
    }
    case 'chat':
      return { event, line: readChat(r) };
    default:
      return { event, ...eventBodies[event].read(r) } as SessionEventBody;
  }
}
