/**
 * A session's roster: its members (each a room member with its readiness), its host, and its chat
 * history, and how they are told to the members: one SESSION_EVENT encoded once and sent to every
 * member (a group's chat line only to that group), and each member's view of the roster in its
 * SESSION_STATE. The session (session.ts) decides what changes; this is who hears about it.
 */
import type { GameProtocol, SessionChatBody, SessionEventBody, SessionMemberBody } from '@tickwire/protocol';
import type { RoomClient } from './room-client.js';
import type { SeatMap } from './seats.js';
import type { StoredSessionMember } from './session-store.js';

export interface Member<P extends GameProtocol, D> {
  readonly client: RoomClient<P, D>;
  ready: boolean;
  /** Whether the others were last told it is connected. */
  connected: boolean;
}

export class Roster<P extends GameProtocol, D> {
  readonly members = new Map<number, Member<P, D>>();
  /** The member who sets options and starts (0: none). */
  hostId = 0;
  private readonly chat: SessionChatBody[] = [];

  constructor(
    /** Encodes an event (the room's codec: reached lazily, the room builds it after its session). */
    private readonly encode: (event: SessionEventBody) => Uint8Array,
    private readonly seats: SeatMap,
    /** Chat lines kept for members who join later. */
    private readonly historySize: number,
  ) {}

  get host(): RoomClient<P, D> | undefined {
    return this.members.get(this.hostId)?.client;
  }

  get connectedCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.client.connected) n++;
    return n;
  }

  /** Sends one event to every member but `except`. */
  send(event: SessionEventBody, except = 0): void {
    const frame = this.encode(event);
    for (const m of this.members.values()) if (m.client.id !== except) m.client.send(frame);
  }

  /** A chat line: kept, and sent to the whole session or to its group's seated members. */
  say(line: SessionChatBody): void {
    this.chat.push(line);
    if (this.chat.length > this.historySize) this.chat.shift();
    const frame = this.encode({ event: 'chat', line });
    for (const m of this.members.values()) {
      if (line.group === null || this.seats.seatOf(m.client.id)?.group === line.group) m.client.send(frame);
    }
  }

  /** The host is the creator while a member, else the longest-present member; tells everyone when it changes. */
  elect(creator: string | null): void {
    let next = 0;
    for (const m of this.members.values()) {
      if (m.client.identity.userId === creator) {
        next = m.client.id;
        break;
      }
      if (next === 0) next = m.client.id;
    }
    if (next === this.hostId) return;
    this.hostId = next;
    this.send({ event: 'host', id: next });
  }

  clearReady(): void {
    for (const m of this.members.values()) m.ready = false;
  }

  body(m: Member<P, D>): SessionMemberBody {
    const seat = this.seats.seatOf(m.client.id);
    return { id: m.client.id, name: m.client.name, seat: seat ? { group: seat.group, role: seat.role } : null, ready: m.ready, connected: m.client.connected };
  }

  bodies(): SessionMemberBody[] {
    return [...this.members.values()].map((m) => this.body(m));
  }

  /** The chat a member sees: the session's lines and its own group's. */
  history(member: number): SessionChatBody[] {
    const group = this.seats.seatOf(member)?.group;
    return this.chat.filter((line) => line.group === null || line.group === group);
  }

  /** The members as stored. */
  stored(): StoredSessionMember[] {
    return [...this.members.values()].map((m) => {
      const seat = this.seats.seatOf(m.client.id);
      return { userId: m.client.identity.userId, name: m.client.name, group: seat?.group ?? null, role: seat?.role ?? null, ready: m.ready };
    });
  }
}
