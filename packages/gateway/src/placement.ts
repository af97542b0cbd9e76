/**
 * Where a room lives, and where a new one should go: the two questions the gateway answers from
 * the cluster's registries on every join. A room's owner is the live claim in the room registry;
 * its address is the owner's record in the process registry. A claim whose process has no live
 * record means the process died and its lease has not run out yet: the room is moving, and the
 * gateway says "try again shortly" instead of sending the player to a dead address. Once the
 * lease runs out the room is an orphan, which a live process takes over: the gateway sends the
 * player to the process the takeover prefers ({@link preferred}, the same rendezvous hash the
 * processes use), with a ticket that lets it open the room itself if the player arrives first.
 *
 * New rooms go to the least-loaded process ({@link leastLoaded}). Load is what each process last
 * heartbeated, so a burst of creates between two heartbeats would all pick the same process:
 * the gateway counts what it placed on each process since that process's last record and adds
 * it to the reported load.
 */
import { leastLoaded, type ProcessRecord, type ProcessRegistry, type RoomClaim, type RoomRegistry } from '@tickwire/server';

/** Where a room code stands. */
export type Location =
  /** A live process runs it. */
  | { kind: 'owned'; process: ProcessRecord; claim: RoomClaim }
  /** Its claim is live but its process is gone: another process takes it over once the lease runs out. */
  | { kind: 'moving'; claim: RoomClaim }
  /**
   * Its process died (lease ran out) or handed it off while draining: a live process takes it
   * over, as the type its claim recorded, or opens it when a player comes with a ticket first.
   */
  | { kind: 'orphan'; claim: RoomClaim }
  /** Nobody runs it. */
  | { kind: 'free' };

/** What the gateway placed on one process since its record last changed. */
interface Placed {
  /** The record's expiry when counting started: a newer heartbeat resets the count. */
  since: number;
  rooms: number;
  clients: number;
}

export class Placement {
  private readonly placed = new Map<string, Placed>();

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly processes: ProcessRegistry,
  ) {}

  /** Where `code` runs now. */
  async locate(code: string): Promise<Location> {
    const claim = await this.rooms.lookup(code);
    if (!claim) {
      // Orphans are few (rooms of a process that just died or drained), so listing them is cheap.
      const orphan = (await this.rooms.orphans()).find((o) => o.code === code);
      return orphan ? { kind: 'orphan', claim: orphan } : { kind: 'free' };
    }
    const process = await this.processes.get(claim.owner);
    return process ? { kind: 'owned', process, claim } : { kind: 'moving', claim };
  }

  /**
   * The process a new room (or a player for a room nobody runs) should go to, leaving out
   * `exclude` (processes that just failed to answer); undefined when every process is draining,
   * full or excluded.
   */
  async choose(exclude: ReadonlySet<string> = new Set()): Promise<ProcessRecord | undefined> {
    return leastLoaded(await this.candidates(exclude));
  }

  /** The processes that can take a room now (live, not draining, below capacity), but `exclude`. */
  async candidates(exclude: ReadonlySet<string> = new Set()): Promise<ProcessRecord[]> {
    const records = (await this.processes.list()).filter((p) => !exclude.has(p.id)).map((p) => this.withPlaced(p));
    // leastLoaded of one record is that record exactly when it may take a room: one rule, not two.
    return records.filter((p) => leastLoaded([p]) !== undefined);
  }

  /** Counts a room (and its first player) placed on `process`, until its next heartbeat. */
  placedRoom(process: ProcessRecord): void {
    this.count(process, 1, 1);
  }

  /** Counts a player sent to `process`, until its next heartbeat. */
  placedClient(process: ProcessRecord): void {
    this.count(process, 0, 1);
  }

  private count(process: ProcessRecord, rooms: number, clients: number): void {
    const p = this.placed.get(process.id);
    if (p && p.since === process.expiresAt) {
      p.rooms += rooms;
      p.clients += clients;
    } else {
      this.placed.set(process.id, { since: process.expiresAt, rooms, clients });
    }
  }

  /** `p` with what was placed on it since this record was written added to its load. */
  private withPlaced(p: ProcessRecord): ProcessRecord {
    const placed = this.placed.get(p.id);
    if (!placed) return p;
    if (placed.since !== p.expiresAt) {
      // A newer heartbeat: its load includes what was placed before it.
      this.placed.delete(p.id);
      return p;
    }
    return { ...p, load: { ...p.load, rooms: p.load.rooms + placed.rooms, clients: p.load.clients + placed.clients } };
  }

  /** Forgets processes that are gone (called with the live ids now and then). */
  prune(live: ReadonlySet<string>): void {
    for (const id of this.placed.keys()) if (!live.has(id)) this.placed.delete(id);
  }
}
