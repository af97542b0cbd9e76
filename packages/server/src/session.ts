/**
 * One session: a room with a lobby, seats, ready and start, a running round, results, and a
 * roster and chat every member sees. The lifecycle is the pure function in session-state.ts and
 * the seats are seats.ts; this class keeps them, the roster and the chat consistent, tells the
 * members (SESSION_STATE when they arrive, SESSION_EVENT for each change), tells the game (its
 * session hooks, behind the room's fault boundary), and stores the session off the loop.
 *
 * Requests arrive from the connection, already decoded and range-checked, and are answered at
 * once with a COMMAND_RESULT body: they change lobby state, not the simulation, so they do not
 * wait for a tick.
 */
import {
  BitReader,
  BitWriter,
  ErrorCode,
  TickwireError,
  type Clock,
  type CommandResultBody,
  type GameProtocol,
  type RoleOf,
  type SessionLeaveReason,
  type SessionOptionsOf,
  type SessionRequest,
  type SessionResultsBody,
  type SessionSchema,
  type SessionStateBody,
  type SessionStateName,
  type Struct,
  type FieldsDef,
  type TimerHandle,
} from '@tickwire/protocol';
import type { Logger } from 'pino';
import type { Player } from './game-api.js';
import type { RoomDefinition } from './room-definition.js';
import type { Room } from './room.js';
import type { RoomClient } from './room-client.js';
import { SeatMap, type Refusal, type SeatRef } from './seats.js';
import type { Seat, SeatChangeReason, Session as GameSession, SessionDefinition, SessionResultsInit } from './session-api.js';
import { apply, deadline, defaultTimeouts, due, enter, touch, type Phase, type SessionEvent, type SessionTimeouts } from './session-state.js';
import { Roster, type Member } from './session-roster.js';
import { SessionWriter, type SessionStore, type StoredSession } from './session-store.js';
import { groupNamesProblem } from './session-options.js';

/** What a session needs from the server. */
export interface SessionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store?: SessionStore | undefined;
}

/** How a session is set up when it is created on purpose (POST /api/sessions). */
export interface SessionSetup {
  type: string;
  name?: string | undefined;
  creator: string;
  passwordHash: string | null;
  options?: Record<string, unknown> | undefined;
}

const OK: CommandResultBody = Object.freeze({ ok: true, code: 0, message: '' });

function refuse(code: ErrorCode, message: string): CommandResultBody {
  return { ok: false, code, message };
}

function answer(r: Refusal | undefined): CommandResultBody {
  return r ? refuse(r.code, r.message) : OK;
}

/** A struct's values as the wire gives them back (every field present, quantized); throws on a bad value. */
export function normalize(struct: Struct<FieldsDef>, values: Record<string, unknown>): Record<string, unknown> {
  const w = new BitWriter(64);
  struct.write(w, values);
  return struct.read(new BitReader(w.toBytes()));
}

const LEAVE_REASONS: Record<string, SessionLeaveReason> = { left: 'left', disconnected: 'disconnected', timeout: 'timeout', closed: 'closed', shutdown: 'shutdown' };

export class Session<P extends GameProtocol = GameProtocol, S = unknown, D = unknown> implements GameSession<P, D> {
  type: string;
  name: string;
  creator: string | null = null;
  passwordHash: string | null = null;
  /** Users who joined with the password: they may come back without it. */
  readonly admitted = new Set<string>();
  round = 1;
  /** Server-clock ms at which the session closes by itself (results), 0 when not scheduled. */
  closesAt = 0;
  private opts: Record<string, unknown>;
  private phase: Phase;
  private readonly timeouts: SessionTimeouts;
  private readonly schema: SessionSchema;
  private readonly seats: SeatMap;
  private readonly roster: Roster<P, D>;
  private results: SessionResultsBody | null = null;
  private timer: TimerHandle | null = null;
  private readonly writer: SessionWriter | null;
  private readonly wallOffset: number;
  private readonly createdAt: number;

  constructor(
    private readonly room: Room<P, S, D>,
    /** The room definition as the game wrote it (its hooks before the session wraps them). */
    readonly base: RoomDefinition<P, S, D>,
    private readonly server: SessionHost,
  ) {
    const def = base.session!;
    const schema = base.protocol.session;
    if (!schema) throw new RangeError(`room '${room.code}': a session needs the protocol '${base.protocol.name}' to declare session { roles, maxGroups }`);
    this.schema = schema;
    this.type = base.protocol.name;
    this.name = room.code;
    this.timeouts = { lobbyIdleMs: def.lobbyIdleMs ?? defaultTimeouts.lobbyIdleMs, resultsMs: def.resultsMs ?? defaultTimeouts.resultsMs };
    this.opts = normalize(schema.options, def.options ?? {});
    const groups = this.groupsFor(this.opts);
    if (typeof groups === 'string') throw new RangeError(`room '${room.code}': ${groups}`);
    this.seats = new SeatMap(schema.roles, groups);
    this.roster = new Roster((event) => room.codec.sessionEvent(event), this.seats, Math.max(0, Math.min(64, def.chatHistory ?? 50)));
    const now = server.clock.now();
    this.phase = enter('lobby', now);
    this.wallOffset = Date.now() - now;
    this.createdAt = this.wallNow();
    this.writer = server.store ? new SessionWriter(server.store, server.logger) : null;
    this.schedule();
  }

  /* ---------------------------------------------------------------------------------------- */
  /* The game's view (session-api.ts)                                                          */
  /* ---------------------------------------------------------------------------------------- */

  get id(): string {
    return this.room.code;
  }

  get state(): SessionStateName {
    return this.phase.state;
  }

  get options(): Readonly<SessionOptionsOf<P>> {
    return this.opts as SessionOptionsOf<P>;
  }

  get roles(): readonly RoleOf<P>[] {
    return this.schema.roles as readonly RoleOf<P>[];
  }

  get groups(): readonly string[] {
    return this.seats.groupNames;
  }

  get host(): Player<P, D> | undefined {
    return this.roster.host;
  }

  /** Members, connected or waiting for a reconnect. */
  get size(): number {
    return this.roster.members.size;
  }

  get connectedCount(): number {
    return this.roster.connectedCount;
  }

  get seatsTotal(): number {
    return this.seats.total;
  }

  get seatsFree(): number {
    return this.seats.free;
  }

  seatOf(player: Player<P, D>): Seat<P> | undefined {
    const seat = this.seats.seatOf(player.id);
    return seat && this.seatFor(seat);
  }

  occupant(group: number, role: RoleOf<P>): Player<P, D> | undefined {
    const id = this.seats.holder(group, this.schema.roles.indexOf(role));
    return id === undefined ? undefined : this.roster.members.get(id)?.client;
  }

  crew(group: number): Player<P, D>[] {
    return this.seats.crew(group).map((id) => this.roster.members.get(id)!.client);
  }

  end(init: SessionResultsInit<P, D>): void {
    if (this.phase.state !== 'running') throw new TickwireError(ErrorCode.SESSION_STATE, `end() ends a running round; this session is in its ${this.phase.state}`);
    const s = this.schema;
    const results: SessionResultsBody = {
      session: normalize(s.sessionResults, { ...init.session }),
      groups: this.seats.groupNames.map((name, i) => ({ name, stats: normalize(s.groupResults, { ...init.groups?.[i] }) })),
      members: (init.members ?? []).map((m) => ({ id: m.player.id, name: m.player.name, stats: normalize(s.memberResults, { ...m.stats }) })),
    };
    this.move('end');
    this.results = results;
    this.seats.unlock();
    this.tellState();
    this.save();
    this.writer?.results({ sessionId: this.id, round: this.round, results, endedAt: this.wallNow() });
  }

  private seatFor(seat: SeatRef): Seat<P> {
    return { group: seat.group, role: this.schema.roles[seat.role] as RoleOf<P> };
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Creation, admission and the roster                                                        */
  /* ---------------------------------------------------------------------------------------- */

  /** Sets up a session created on purpose: its type, name, creator, password and options. */
  configure(setup: SessionSetup): CommandResultBody {
    this.type = setup.type;
    if (setup.name) this.name = setup.name;
    this.creator = setup.creator;
    this.admitted.add(setup.creator);
    this.passwordHash = setup.passwordHash;
    const result = setup.options ? this.applyOptions(setup.options) : OK;
    this.save();
    return result;
  }

  /** A user gave the password: they may join, now and later. */
  admit(userId: string): void {
    this.admitted.add(userId);
    this.save();
  }

  /** Why this user may not join now (onAuth), or undefined. */
  refusal(userId: string): Refusal | undefined {
    if (this.phase.state === 'closed') return { code: ErrorCode.SESSION_STATE, message: 'this session has closed: join or create another' };
    if (this.passwordHash !== null && !this.admitted.has(userId)) {
      return { code: ErrorCode.WRONG_PASSWORD, message: `session '${this.id}' has a password: join it through POST /api/sessions/${this.id}/join with the password (client.sessions.join)` };
    }
    return undefined;
  }

  /** A new member (after the game's onJoin accepted it). */
  joined(client: RoomClient<P, D>): void {
    this.creator ??= client.identity.userId;
    const member: Member<P, D> = { client, ready: false, connected: true };
    this.roster.members.set(client.id, member);
    this.roster.send({ event: 'joined', member: this.roster.body(member) }, client.id);
    this.roster.elect(this.creator);
    this.activity();
    this.save();
  }

  /** A membership ended: its seat is freed and the game told. */
  left(client: RoomClient<P, D>, reason: string): void {
    if (!this.roster.members.delete(client.id)) return;
    const seat = this.seats.forget(client.id);
    if (this.phase.state === 'closed') return;
    this.roster.send({ event: 'left', id: client.id, reason: LEAVE_REASONS[reason] ?? 'left' });
    if (seat) this.seatChanged(client, seat, undefined, reason === 'timeout' ? 'timeout' : reason === 'closed' || reason === 'shutdown' ? 'closed' : 'left');
    this.roster.elect(this.creator);
    this.activity();
    this.save();
  }

  /** A member's connection dropped (its seat is held) or it came back. */
  connection(client: RoomClient<P, D>, connected: boolean): void {
    const member = this.roster.members.get(client.id);
    if (!member || member.connected === connected) return;
    member.connected = connected;
    this.roster.send({ event: 'connection', id: client.id, connected });
  }

  /** A member was welcomed on a connection (a join, a resume, a takeover): the whole session, as it sees it. */
  welcomed(client: RoomClient<P, D>): void {
    this.connection(client, true);
    client.send(this.room.codec.sessionState(this.stateFor(client)));
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Requests                                                                                  */
  /* ---------------------------------------------------------------------------------------- */

  /** A member's request; the answer goes back as its COMMAND_RESULT. Chat text is checked already. */
  request(client: RoomClient<P, D>, req: SessionRequest): CommandResultBody {
    const state = this.phase.state;
    if (state === 'closed') return refuse(ErrorCode.SESSION_STATE, 'this session has closed');
    const member = this.roster.members.get(client.id);
    if (!member) return refuse(ErrorCode.NOT_JOINED, 'not a member of this session');
    this.activity();
    switch (req.action) {
      case 'claim':
      case 'release':
        if (state === 'results') return refuse(ErrorCode.SESSION_STATE, 'the round is over: go back to the lobby to change seats');
        return req.action === 'claim' ? this.claim(member, req.group, req.role) : this.release(member);
      case 'rename': {
        const problem = groupNamesProblem([req.name]);
        if (problem) return refuse(ErrorCode.INVALID_TEXT, problem);
        const refused = this.seats.rename(client.id, req.group, req.name);
        if (!refused) this.roster.send({ event: 'rename', group: req.group, name: req.name });
        this.save();
        return answer(refused);
      }
      case 'ready':
        return this.ready(member, req.ready);
      case 'options':
        if (state !== 'lobby') return refuse(ErrorCode.SESSION_STATE, 'options are set in the lobby');
        if (client.id !== this.roster.hostId) return refuse(ErrorCode.NOT_HOST, 'only the host sets the options');
        return this.applyOptions(req.options);
      case 'start':
        return this.start(client);
      case 'chat':
        return this.say(member, req.text, req.group);
      case 'lobby':
        return this.backToLobby();
    }
  }

  private claim(member: Member<P, D>, group: number, role: number): CommandResultBody {
    const id = member.client.id;
    const claimed = this.seats.claim(id, group, role);
    if ('code' in claimed) return answer(claimed);
    const { from } = claimed;
    if (from && from.group === group && from.role === role) return OK;
    member.ready = false;
    this.roster.send({ event: 'seat', id, seat: { group, role } });
    this.seatChanged(member.client, from ?? undefined, { group, role }, 'claim');
    this.save();
    return OK;
  }

  private release(member: Member<P, D>): CommandResultBody {
    const seat = this.seats.release(member.client.id);
    if (!seat) return OK;
    member.ready = false;
    this.roster.send({ event: 'seat', id: member.client.id, seat: null });
    this.seatChanged(member.client, seat, undefined, 'release');
    this.save();
    return OK;
  }

  private ready(member: Member<P, D>, ready: boolean): CommandResultBody {
    if (this.phase.state !== 'lobby') return refuse(ErrorCode.SESSION_STATE, 'ready is for the lobby');
    if (ready && !this.seats.seatOf(member.client.id)) return refuse(ErrorCode.NO_SUCH_SEAT, 'take a seat before marking yourself ready');
    if (member.ready === ready) return OK;
    member.ready = ready;
    this.roster.send({ event: 'ready', id: member.client.id, ready });
    this.save();
    return OK;
  }

  private start(client: RoomClient<P, D>): CommandResultBody {
    if (this.phase.state !== 'lobby') return refuse(ErrorCode.SESSION_STATE, `the session is ${this.phase.state === 'running' ? 'running already' : `in its ${this.phase.state}`}: start is for the lobby`);
    if (client.id !== this.roster.hostId) return refuse(ErrorCode.NOT_HOST, 'only the host starts the session');
    const occupied = this.seats.groupNames.map((_, g) => g).filter((g) => this.seats.crew(g).length > 0);
    if (occupied.length === 0) return refuse(ErrorCode.NOT_READY, 'nobody has taken a seat yet');
    const waiting = occupied.filter((g) => !this.seats.crew(g).some((id) => this.roster.members.get(id)?.ready));
    if (waiting.length > 0) {
      const names = waiting.map((g) => this.seats.groupNames[g]).join(', ');
      return refuse(ErrorCode.NOT_READY, `${names} ${waiting.length === 1 ? 'has' : 'have'} nobody ready: every group with a crew needs a ready member`);
    }
    return this.begin('start');
  }

  private backToLobby(): CommandResultBody {
    if (this.phase.state !== 'results') return refuse(ErrorCode.SESSION_STATE, 'the session goes back to the lobby from its results');
    return this.begin('lobby');
  }

  /**
   * Starts a round, or goes back to the lobby for the next: readiness starts over (clients clear
   * it on the state event too), the game is told (onStart, onLobby), then the members.
   */
  private begin(event: 'start' | 'lobby'): CommandResultBody {
    this.move(event);
    this.roster.clearReady();
    if (event === 'start') this.seats.lock();
    else this.round++;
    const hook = event === 'start' ? this.base.session?.onStart : this.base.session?.onLobby;
    if (hook) this.room.guard(`session.${event === 'start' ? 'onStart' : 'onLobby'}`, () => hook(this.room, this), undefined);
    this.tellState();
    this.save();
    return OK;
  }

  /** The groups a set of options gives, or why the game's `groups()` answer cannot be used. */
  private groupsFor(options: Record<string, unknown>): readonly string[] | string {
    const groupsOf = this.base.session!.groups;
    const names = this.room.guard('session.groups', () => groupsOf(options as SessionOptionsOf<P>), undefined);
    if (!Array.isArray(names) || names.length < 1 || names.length > this.schema.maxGroups) {
      return `the game's session groups() must return 1..${this.schema.maxGroups} group names for these options`;
    }
    return groupNamesProblem(names) ?? names;
  }

  /**
   * New options (already range-checked; fields left out keep their values): the game's own
   * check, then the groups they give.
   */
  applyOptions(values: Record<string, unknown>): CommandResultBody {
    let options: Record<string, unknown>;
    try {
      options = normalize(this.schema.options, { ...this.opts, ...values });
    } catch (err) {
      return refuse(err instanceof TickwireError ? err.code : ErrorCode.VALUE_OUT_OF_RANGE, `options: ${(err as Error).message}`);
    }
    const check = this.base.session?.checkOptions;
    const reason = check ? this.room.guard('session.checkOptions', () => check(options as SessionOptionsOf<P>), 'the game could not check these options') : undefined;
    if (reason) return refuse(ErrorCode.COMMAND_REJECTED, reason);
    const groups = this.groupsFor(options);
    if (typeof groups === 'string') return refuse(ErrorCode.COMMAND_REJECTED, groups);
    this.opts = options;
    this.roster.send({ event: 'options', options });
    const before = this.seats.groupNames.join('\u0000');
    for (const { member, seat } of this.seats.setGroups(groups)) {
      const m = this.roster.members.get(member);
      if (!m) continue;
      m.ready = false;
      this.roster.send({ event: 'seat', id: member, seat: null });
      this.seatChanged(m.client, seat, undefined, 'options');
    }
    if (this.seats.groupNames.join('\u0000') !== before) this.roster.send({ event: 'groups', groups: this.seats.groupNames });
    this.save();
    return OK;
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Chat                                                                                      */
  /* ---------------------------------------------------------------------------------------- */

  /** A chat line (its length, rate and characters checked already): the game's onChat, then the members. */
  say(member: Member<P, D>, text: string, toGroup: boolean): CommandResultBody {
    const seat = this.seats.seatOf(member.client.id);
    if (toGroup && !seat) return refuse(ErrorCode.NO_SUCH_SEAT, 'take a seat to talk to a group');
    const onChat = this.base.onChat;
    const said = onChat ? this.room.guard('onChat', () => onChat(this.room, member.client, text), false) : text;
    if (said === false) return OK;
    this.roster.say({ from: member.client.id, name: member.client.name, group: toGroup && seat ? seat.group : null, text: said });
    return OK;
  }

  /** A plain CHAT line in a session's room: said to the whole session. */
  chatLine(client: RoomClient<P, D>, text: string): void {
    const member = this.roster.members.get(client.id);
    if (member && this.phase.state !== 'closed') {
      this.activity();
      this.say(member, text, false);
    }
  }

  /* ---------------------------------------------------------------------------------------- */
  /* The lifecycle and its timer                                                               */
  /* ---------------------------------------------------------------------------------------- */

  private move(event: SessionEvent): void {
    const now = this.server.clock.now();
    const next = apply(this.phase, event, now);
    if (!next) throw new TickwireError(ErrorCode.SESSION_STATE, `a session in its ${this.phase.state} cannot ${event}`);
    this.phase = next;
    this.closesAt = next.state === 'results' ? now + this.timeouts.resultsMs : 0;
    this.schedule();
  }

  private activity(): void {
    this.phase = touch(this.phase, this.server.clock.now());
  }

  /** One timer at the phase's deadline; activity moves the deadline, so it re-arms until due. */
  private schedule(): void {
    if (this.timer) this.server.clock.clearTimeout(this.timer);
    this.timer = null;
    const d = deadline(this.phase, this.timeouts);
    if (!d) return;
    this.timer = this.server.clock.setTimeout(() => {
      this.timer = null;
      const event = due(this.phase, this.server.clock.now(), this.timeouts);
      if (event) this.close(event === 'idle' ? 'the lobby was idle too long and closed' : 'the session ended');
      else this.schedule();
    }, Math.max(1, d.at - this.server.clock.now()));
  }

  /** Closes the session (and its room: every member is told ROOM_CLOSED and released). */
  close(message: string): void {
    if (this.phase.state === 'closed') return;
    this.finish();
    this.room.close(message);
  }

  private finish(): void {
    if (this.timer) this.server.clock.clearTimeout(this.timer);
    this.timer = null;
    this.phase = enter('closed', this.server.clock.now());
    this.closesAt = 0;
    this.tellState();
    this.save();
  }

  /** The room is being disposed: the session is closed and its last state written. */
  async dispose(): Promise<void> {
    if (this.phase.state !== 'closed') this.finish();
    await this.writer?.flush();
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Telling the members, the game and the store                                               */
  /* ---------------------------------------------------------------------------------------- */

  private tellState(): void {
    this.roster.send({ event: 'state', state: this.phase.state, round: this.round, closesAt: this.closesAt, results: this.phase.state === 'results' ? this.results : null });
  }

  private seatChanged(client: RoomClient<P, D>, from: SeatRef | undefined, to: SeatRef | undefined, reason: SeatChangeReason): void {
    const onSeat = this.base.session?.onSeat;
    if (!onSeat) return;
    const change = {
      player: client,
      from: from && this.seatFor(from),
      to: to && this.seatFor(to),
      reason,
      groupEmpty: from !== undefined && (to === undefined || to.group !== from.group) && this.seats.crew(from.group).length === 0,
    };
    this.room.guard('session.onSeat', () => onSeat(this.room, change), undefined);
  }

  /** The whole session as one member sees it: its chat is the session's lines and its group's. */
  stateFor(client: RoomClient<P, D>): SessionStateBody {
    return {
      name: this.name,
      state: this.phase.state,
      round: this.round,
      host: this.roster.hostId,
      password: this.passwordHash !== null,
      closesAt: this.closesAt,
      options: this.opts,
      groups: this.seats.groupNames,
      members: this.roster.bodies(),
      chat: this.roster.history(client.id),
      results: this.results,
    };
  }

  private wallNow(): number {
    return Math.round(this.server.clock.now() + this.wallOffset);
  }

  private save(): void {
    this.writer?.save(() => this.record());
  }

  /** The session as stored. */
  record(): StoredSession {
    return {
      id: this.id,
      type: this.type,
      name: this.name,
      state: this.phase.state,
      round: this.round,
      creator: this.creator,
      passwordHash: this.passwordHash,
      options: this.opts,
      groups: this.seats.groupNames,
      members: this.roster.stored(),
      admitted: [...this.admitted],
      createdAt: this.createdAt,
      updatedAt: this.wallNow(),
    };
  }
}
