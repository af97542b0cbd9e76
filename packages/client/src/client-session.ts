/**
 * A session on the client: the lobby, roster, seats, chat and results of a session's room as
 * its SESSION_STATE and SESSION_EVENT messages describe them, and the requests a member makes
 * (take a seat, ready, start...), each a promise settled by the server's answer.
 *
 * It belongs to its ClientRoom (`room.session`), which feeds it the session's messages from the
 * first frame on, so nothing is missed between joining and a page subscribing: read the state
 * whenever, and listen for `change` (anything) or the specific events.
 */
import {
  ErrorCode,
  TickwireError,
  type GameProtocol,
  type GroupResultOf,
  type MemberResultOf,
  type RoleOf,
  type SessionChatBody,
  type SessionEventBody,
  type SessionLeaveReason,
  type SessionMemberBody,
  type SessionOptionsOf,
  type SessionRequest,
  type SessionResultOf,
  type SessionResultsBody,
  type SessionStateBody,
  type SessionStateName,
} from '@tickwire/protocol';
import type { ClientRoom } from './client-room.js';
import { Emitter } from './emitter.js';

/** A seat, with its role by name. */
export interface SessionSeat<P extends GameProtocol = GameProtocol> {
  readonly group: number;
  readonly role: RoleOf<P>;
}

/** A member of the session as the roster shows it. */
export interface SessionMember<P extends GameProtocol = GameProtocol> {
  readonly id: number;
  readonly name: string;
  readonly seat: SessionSeat<P> | null;
  readonly ready: boolean;
  /** False while its connection is down and its seat held for it. */
  readonly connected: boolean;
}

/** A chat line; `group` is the group it was said to, null for the whole session. */
export type SessionChatLine = SessionChatBody;

/** What a round ended with, typed by the protocol's `session.results`. */
export interface SessionResults<P extends GameProtocol = GameProtocol> {
  readonly session: SessionResultOf<P>;
  readonly groups: readonly { readonly name: string; readonly stats: GroupResultOf<P> }[];
  readonly members: readonly { readonly id: number; readonly name: string; readonly stats: MemberResultOf<P> }[];
}

export type ClientSessionEvents<P extends GameProtocol> = {
  /** Anything changed (after each message): the moment to redraw a lobby. */
  change: [];
  joined: [member: SessionMember<P>];
  left: [member: SessionMember<P>, reason: SessionLeaveReason];
  /** A member took a seat, moved, or gave its seat up (`member.seat` null). */
  seat: [member: SessionMember<P>, from: SessionSeat<P> | null];
  ready: [member: SessionMember<P>];
  /** A member dropped (its seat is held) or came back. */
  connection: [member: SessionMember<P>];
  state: [state: SessionStateName, round: number];
  results: [results: SessionResults<P>];
  chat: [line: SessionChatLine];
  options: [options: SessionOptionsOf<P>];
  host: [host: SessionMember<P> | undefined];
  groups: [names: readonly string[]];
};

/** Results as the codec read them, with the protocol's result structs: their values are those types. */
function typedResults<P extends GameProtocol>(r: SessionResultsBody): SessionResults<P> {
  return {
    session: r.session as SessionResultOf<P>,
    groups: r.groups.map((g) => ({ name: g.name, stats: g.stats as GroupResultOf<P> })),
    members: r.members.map((m) => ({ id: m.id, name: m.name, stats: m.stats as MemberResultOf<P> })),
  };
}

/** How a session reaches its room: the room itself, and a way to send it requests. */
export interface SessionLink<P extends GameProtocol> {
  readonly room: ClientRoom<P>;
  request(request: SessionRequest): Promise<void>;
}

/** Chat lines kept on the client. */
const CHAT_KEPT = 200;

/**
 * The session of a joined session's room (`room.session`, or what `client.sessions.join()`
 * returns).
 *
 * @example
 * const session = await client.sessions.join(id, { password });
 * session.on('change', () => drawLobby(session));
 * await session.claim(0, 'helm');      // rejects with SEAT_TAKEN if someone was faster
 * await session.setReady(true);
 * if (session.isHost) await session.start();
 */
export class ClientSession<P extends GameProtocol = GameProtocol> extends Emitter<ClientSessionEvents<P>> {
  /** Resolves when the first SESSION_STATE has arrived (right after joining). */
  readonly loaded: Promise<void>;
  state: SessionStateName | undefined;
  name = '';
  round = 0;
  /** The member id of the host (who sets options and starts), 0 when none. */
  hostId = 0;
  /** Whether joining needs a password. */
  password = false;
  /** Server-clock ms at which the session closes by itself (while showing results), 0 when not scheduled. */
  closesAt = 0;
  options: SessionOptionsOf<P> | undefined;
  /** The groups' names, by index. */
  groups: readonly string[] = [];
  readonly members = new Map<number, SessionMember<P>>();
  /** The chat this member has seen, oldest first: the history it joined with, then every line since. */
  readonly chat: SessionChatLine[] = [];
  /** The last round's results, once a round has ended (kept after going back to the lobby). */
  results: SessionResults<P> | undefined;
  private markLoaded!: () => void;

  constructor(
    readonly protocol: P,
    private readonly link: SessionLink<P>,
  ) {
    super();
    this.loaded = new Promise((resolve) => (this.markLoaded = resolve));
  }

  /** The session's id: its room's code. */
  get id(): string {
    return this.link.room.code;
  }

  /** The room the session runs in: entities, inputs and commands while a round runs. */
  get room(): ClientRoom<P> {
    return this.link.room;
  }

  /** The roles of a seat, in order. */
  get roles(): readonly RoleOf<P>[] {
    return (this.protocol.session?.roles ?? []) as readonly RoleOf<P>[];
  }

  /** This member. */
  get me(): SessionMember<P> | undefined {
    return this.members.get(this.link.room.clientId);
  }

  get host(): SessionMember<P> | undefined {
    return this.members.get(this.hostId);
  }

  get isHost(): boolean {
    return this.hostId !== 0 && this.hostId === this.link.room.clientId;
  }

  /** Who sits in a seat. */
  occupant(group: number, role: RoleOf<P>): SessionMember<P> | undefined {
    for (const m of this.members.values()) if (m.seat?.group === group && m.seat.role === role) return m;
    return undefined;
  }

  /** The seats nobody holds, group by group. */
  freeSeats(): SessionSeat<P>[] {
    const out: SessionSeat<P>[] = [];
    this.groups.forEach((_, group) => {
      for (const role of this.roles) if (!this.occupant(group, role)) out.push({ group, role });
    });
    return out;
  }

  /* Requests: each resolves when the server accepts it, and rejects with its refusal (a TickwireError). */

  /** Takes a seat (or moves to it); rejects with SEAT_TAKEN when someone holds it. */
  claim(group: number, role: RoleOf<P>): Promise<void> {
    const index = this.roles.indexOf(role);
    if (index < 0) return Promise.reject(new TickwireError(ErrorCode.NO_SUCH_SEAT, `no role '${String(role)}': the roles are ${this.roles.join(', ')}`));
    return this.link.request({ action: 'claim', group, role: index });
  }

  /** Gives one's seat up. */
  release(): Promise<void> {
    return this.link.request({ action: 'release' });
  }

  /** Renames a group (its first member only). */
  rename(group: number, name: string): Promise<void> {
    return this.link.request({ action: 'rename', group, name });
  }

  /** Marks this member ready (or not), in the lobby, with a seat. */
  setReady(ready = true): Promise<void> {
    return this.link.request({ action: 'ready', ready });
  }

  /** Sets the options (the host, in the lobby); fields left out keep their values. */
  setOptions(options: Partial<SessionOptionsOf<P>>): Promise<void> {
    return this.link.request({ action: 'options', options: { ...this.options, ...options } });
  }

  /** Starts the round (the host, when every crewed group has a ready member). */
  start(): Promise<void> {
    return this.link.request({ action: 'start' });
  }

  /** Says something to the whole session, or with `{ group: true }` to one's own group. */
  say(text: string, to: { group?: boolean } = {}): Promise<void> {
    return this.link.request({ action: 'chat', group: to.group === true, text });
  }

  /** Takes the session from its results back to the lobby for another round. */
  backToLobby(): Promise<void> {
    return this.link.request({ action: 'lobby' });
  }

  /* What the room feeds it. */

  private member(body: SessionMemberBody): SessionMember<P> {
    const seat = body.seat && { group: body.seat.group, role: this.roles[body.seat.role] ?? (String(body.seat.role) as RoleOf<P>) };
    return { id: body.id, name: body.name, seat, ready: body.ready, connected: body.connected };
  }

  private update(id: number, change: Partial<SessionMember<P>>): SessionMember<P> | undefined {
    const m = this.members.get(id);
    if (!m) return undefined;
    const next = { ...m, ...change };
    this.members.set(id, next);
    return next;
  }

  private clearReady(): void {
    for (const [id, m] of this.members) if (m.ready) this.members.set(id, { ...m, ready: false });
  }

  private hear(line: SessionChatLine): void {
    this.chat.push(line);
    if (this.chat.length > CHAT_KEPT) this.chat.splice(0, this.chat.length - CHAT_KEPT);
  }

  private keepResults(results: SessionResultsBody | null): SessionResults<P> | undefined {
    if (results) this.results = typedResults<P>(results);
    return results ? this.results : undefined;
  }

  /** The whole session (on joining and resuming). Called by the room. */
  receiveState(body: SessionStateBody): void {
    this.state = body.state;
    this.name = body.name;
    this.round = body.round;
    this.hostId = body.host;
    this.password = body.password;
    this.closesAt = body.closesAt;
    this.options = body.options as SessionOptionsOf<P>;
    this.groups = body.groups;
    this.members.clear();
    for (const m of body.members) this.members.set(m.id, this.member(m));
    this.chat.length = 0;
    for (const line of body.chat) this.hear(line);
    this.keepResults(body.results);
    this.markLoaded();
    this.emit('change');
  }

  /** One change. Called by the room. */
  receiveEvent(ev: SessionEventBody): void {
    switch (ev.event) {
      case 'joined': {
        const m = this.member(ev.member);
        this.members.set(m.id, m);
        this.emit('joined', m);
        break;
      }
      case 'left': {
        const m = this.members.get(ev.id);
        this.members.delete(ev.id);
        if (m) this.emit('left', m, ev.reason);
        break;
      }
      case 'seat': {
        const from = this.members.get(ev.id)?.seat ?? null;
        const m = this.update(ev.id, { seat: ev.seat && { group: ev.seat.group, role: this.roles[ev.seat.role]! }, ready: false });
        if (m) this.emit('seat', m, from);
        break;
      }
      case 'ready':
      case 'connection': {
        const m = this.update(ev.id, ev.event === 'ready' ? { ready: ev.ready } : { connected: ev.connected });
        if (m) this.emit(ev.event, m);
        break;
      }
      case 'rename':
      case 'groups':
        this.groups = ev.event === 'groups' ? ev.groups : this.groups.map((name, i) => (i === ev.group ? ev.name : name));
        this.emit('groups', this.groups);
        break;
      case 'host':
        this.hostId = ev.id;
        this.emit('host', this.host);
        break;
      case 'options':
        this.options = ev.options as SessionOptionsOf<P>;
        this.emit('options', this.options);
        break;
      case 'state': {
        this.state = ev.state;
        this.round = ev.round;
        this.closesAt = ev.closesAt;
        if (ev.state === 'lobby' || ev.state === 'running') this.clearReady();
        const results = this.keepResults(ev.results);
        this.emit('state', ev.state, ev.round);
        if (results) this.emit('results', results);
        break;
      }
      case 'chat':
        this.hear(ev.line);
        this.emit('chat', ev.line);
        break;
    }
    this.emit('change');
  }
}
