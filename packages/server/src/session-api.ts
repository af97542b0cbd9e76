/**
 * A session as game code sees it: the part of a room definition that makes the room a session
 * (lobby -> running -> results -> closed), and the session object its handlers get. Typed by
 * the game protocol's `session` declaration: the options, the role names and the results.
 *
 * Like game-api.ts these are interfaces; the runtime's Session class implements them and keeps
 * the roster, seats, chat and timers consistent, which game code must not touch directly.
 */
import type {
  GameProtocol,
  GroupResultOf,
  MemberResultOf,
  RoleOf,
  SessionOptionsOf,
  SessionResultOf,
  SessionStateName,
} from '@tickwire/protocol';
import type { Player, Room } from './game-api.js';

/** A seat: a group (a ship, a team) and a role in it (a console, a position). */
export interface Seat<P extends GameProtocol = GameProtocol> {
  /** The group's index: 0 .. groups - 1. */
  readonly group: number;
  readonly role: RoleOf<P>;
}

/**
 * Why a seat changed hands: `claim` (taken, or moved to), `release` (given up), `left` (its member
 * left), `timeout` (its member dropped and did not come back within the reconnect window),
 * `options` (new options removed its group), `closed` (the session closed).
 */
export type SeatChangeReason = 'claim' | 'release' | 'left' | 'timeout' | 'options' | 'closed';

/** One member's seat changed (`onSeat`). */
export interface SeatChange<P extends GameProtocol = GameProtocol, D = unknown> {
  readonly player: Player<P, D>;
  /** The seat it had (undefined: none). */
  readonly from: Seat<P> | undefined;
  /** The seat it has now (undefined: none). */
  readonly to: Seat<P> | undefined;
  readonly reason: SeatChangeReason;
  /** The group of `from` has nobody seated any more (a bridge puts that ship under AI). */
  readonly groupEmpty: boolean;
}

/** What a round ends with (`session.end()`); fields left out take their defaults. */
export interface SessionResultsInit<P extends GameProtocol = GameProtocol, D = unknown> {
  readonly session?: Partial<SessionResultOf<P>>;
  /** One entry per group, by index. */
  readonly groups?: readonly Partial<GroupResultOf<P>>[];
  readonly members?: readonly { readonly player: Player<P, D>; readonly stats: Partial<MemberResultOf<P>> }[];
}

/**
 * The session of a room, in its handlers (`room.session`).
 *
 * @example
 * onInput(room, player, input) {
 *   const seat = room.session?.seatOf(player);
 *   if (seat?.role === 'helm') ship(room, seat.group).rudder = input.turn;
 * }
 */
export interface Session<P extends GameProtocol = GameProtocol, D = unknown> {
  /** The session's id: its room's code. */
  readonly id: string;
  readonly name: string;
  readonly state: SessionStateName;
  /** 1 for the first round, one more for each return to the lobby. */
  readonly round: number;
  /** The options the host set (the game's `session.options`). */
  readonly options: Readonly<SessionOptionsOf<P>>;
  readonly roles: readonly RoleOf<P>[];
  /** The groups' names, by index. */
  readonly groups: readonly string[];
  /** Who sets the options and starts: the creator, or the longest-present member once they left. */
  readonly host: Player<P, D> | undefined;
  /** A player's seat (undefined: none). */
  seatOf(player: Player<P, D>): Seat<P> | undefined;
  /** Who sits in a seat. */
  occupant(group: number, role: RoleOf<P>): Player<P, D> | undefined;
  /** The players seated in a group, its first member first. */
  crew(group: number): Player<P, D>[];
  /**
   * Ends the running round with its results: every member sees them, they are stored, and the
   * session closes `resultsMs` later unless a member takes it back to the lobby. Throws
   * SESSION_STATE when the session is not running.
   */
  end(results: SessionResultsInit<P, D>): void;
}

/**
 * The `session` part of a room definition: what makes a room type a session. The protocol must
 * declare `session` (roles, options, results).
 *
 * @example
 * session: {
 *   groups: (o) => SHIP_NAMES.slice(0, o.ships),
 *   options: { scenario: 'patrol', difficulty: 3, ships: 2 },
 *   onStart: (room, session) => buildSector(room, session.options),
 *   onSeat: (room, change) => { if (change.groupEmpty && change.from) autopilot(room, change.from.group); },
 * }
 */
export interface SessionDefinition<P extends GameProtocol = GameProtocol, S = unknown, D = unknown> {
  /** The groups a session with these options has: their default names (1 .. the protocol's maxGroups). */
  groups(options: SessionOptionsOf<P>): readonly string[];
  /** A new session's options, before its creator sets them (fields left out: the field defaults). */
  options?: Partial<SessionOptionsOf<P>>;
  /** Checks options as a whole (fields are range-checked already): a reason refuses them. */
  checkOptions?(options: SessionOptionsOf<P>): string | undefined;
  /** A lobby with no activity this long closes (default 30 minutes). */
  lobbyIdleMs?: number;
  /** Results are shown this long, then the session closes (default 5 minutes). */
  resultsMs?: number;
  /** Chat lines kept and sent to a joining member (default 50, at most 64). */
  chatHistory?: number;
  /** A round starts: build the world from `session.options` and the seats. */
  onStart?(room: Room<P, S, D>, session: Session<P, D>): void;
  /** A seat changed hands, in any state (claimed, switched, given up, released after a drop). */
  onSeat?(room: Room<P, S, D>, change: SeatChange<P, D>): void;
  /** The members took the session back to the lobby after a round: clear the world for the next. */
  onLobby?(room: Room<P, S, D>, session: Session<P, D>): void;
}
