/**
 * A session's seats: (group, role) pairs, each held by at most one member, and each member in at
 * most one seat. Claims are first come, first served: the second claimant of a seat is refused
 * with SEAT_TAKEN. A group's first member (the one seated in it longest) may rename it. While a
 * round runs the groups are locked: a member may change roles within the group it plays in, not
 * move to another one.
 *
 * Members are numbers here (their ids in the room); what a seat means is the game's.
 */
import { ErrorCode } from '@tickwire/protocol';

export interface SeatRef {
  readonly group: number;
  readonly role: number;
}

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

interface Group {
  name: string;
  /** Whether a member renamed it (a renamed group keeps its name when the options change). */
  renamed: boolean;
  /** Seated members in the order they sat down in this group: the first is its captain. */
  crew: number[];
}

export class SeatMap {
  private groups: Group[] = [];
  private readonly seats = new Map<number, SeatRef>();
  private readonly holders = new Map<string, number>();
  /** While a round runs: the group each member plays in (set by its first seat of the round). */
  private locked: Map<number, number> | null = null;

  constructor(
    /** Role names, by index. */
    readonly roles: readonly string[],
    groupNames: readonly string[],
  ) {
    this.setGroups(groupNames);
  }

  get groupNames(): string[] {
    return this.groups.map((g) => g.name);
  }

  get groupCount(): number {
    return this.groups.length;
  }

  /** Seats in all, and seats nobody holds. */
  get total(): number {
    return this.groups.length * this.roles.length;
  }

  get free(): number {
    return this.total - this.seats.size;
  }

  seatOf(member: number): SeatRef | undefined {
    return this.seats.get(member);
  }

  holder(group: number, role: number): number | undefined {
    return this.holders.get(key(group, role));
  }

  /** The members seated in a group, its captain first. */
  crew(group: number): readonly number[] {
    return this.groups[group]?.crew ?? [];
  }

  /** Whether the seat exists; a refusal naming what does when not. */
  private check(group: number, role: number): Refusal | undefined {
    if (Number.isInteger(group) && group >= 0 && group < this.groups.length && Number.isInteger(role) && role >= 0 && role < this.roles.length) return undefined;
    return {
      code: ErrorCode.NO_SUCH_SEAT,
      message: `no seat (group ${group}, role ${role}): this session has groups 0..${this.groups.length - 1} and roles 0..${this.roles.length - 1} (${this.roles.join(', ')})`,
    };
  }

  /**
   * Puts a member in a seat (moving it from its own, if it has one). Refused when the seat does
   * not exist, is someone else's, or is in another group than the member plays in this round.
   * Returns the seat it left (null: it had none).
   */
  claim(member: number, group: number, role: number): { from: SeatRef | null } | Refusal {
    const bad = this.check(group, role);
    if (bad) return bad;
    const holder = this.holders.get(key(group, role));
    const from = this.seats.get(member) ?? null;
    if (holder === member) return { from };
    if (holder !== undefined) {
      return { code: ErrorCode.SEAT_TAKEN, message: `the seat ${this.describe(group, role)} is taken: pick a free one` };
    }
    const bound = this.locked?.get(member);
    if (bound !== undefined && bound !== group) {
      return {
        code: ErrorCode.GROUP_LOCKED,
        message: `you play in ${this.groups[bound]?.name ?? `group ${bound}`} this round: switch roles within it, or move to another group in the lobby`,
      };
    }
    if (from) this.vacate(member, from);
    this.seats.set(member, { group, role });
    this.holders.set(key(group, role), member);
    const crew = this.groups[group]!.crew;
    if (!crew.includes(member)) crew.push(member);
    this.locked?.set(member, group);
    return { from };
  }

  /** Frees a member's seat; returns it (undefined: it had none). */
  release(member: number): SeatRef | undefined {
    const seat = this.seats.get(member);
    if (seat) this.vacate(member, seat);
    return seat;
  }

  private vacate(member: number, seat: SeatRef): void {
    this.seats.delete(member);
    this.holders.delete(key(seat.group, seat.role));
    const crew = this.groups[seat.group]!.crew;
    crew.splice(crew.indexOf(member), 1);
  }

  /** Renames a group: only its captain (its first seated member) may. */
  rename(member: number, group: number, name: string): Refusal | undefined {
    const g = this.groups[group];
    if (!g) return this.check(group, 0);
    if (g.crew[0] !== member) return { code: ErrorCode.NOT_CAPTAIN, message: `only the first member of ${g.name} may rename it` };
    g.name = name;
    g.renamed = true;
    return undefined;
  }

  /**
   * Sets the groups (new options): a group that stays keeps a name its crew gave it; seats in
   * groups that are gone are freed. Returns the members that lost their seat, with it.
   */
  setGroups(names: readonly string[]): { member: number; seat: SeatRef }[] {
    const freed: { member: number; seat: SeatRef }[] = [];
    for (const [member, seat] of [...this.seats]) {
      if (seat.group < names.length) continue;
      this.vacate(member, seat);
      freed.push({ member, seat });
    }
    this.groups = names.map((name, i) => {
      const old = this.groups[i];
      return old ? { name: old.renamed ? old.name : name, renamed: old.renamed, crew: old.crew } : { name, renamed: false, crew: [] };
    });
    return freed;
  }

  /** A round starts: each seated member plays in its group until the round ends. */
  lock(): void {
    this.locked = new Map([...this.seats].map(([member, seat]) => [member, seat.group]));
  }

  /** The round ended: members may move between groups again. */
  unlock(): void {
    this.locked = null;
  }

  /** Forgets a member that left (its seat is freed, its place in the round too). */
  forget(member: number): SeatRef | undefined {
    this.locked?.delete(member);
    return this.release(member);
  }

  describe(group: number, role: number): string {
    return `${this.groups[group]?.name ?? `group ${group}`} / ${this.roles[role] ?? `role ${role}`}`;
  }
}

function key(group: number, role: number): string {
  return `${group}:${role}`;
}
