/**
 * Room ownership: which process runs each room, under a lease with an epoch.
 *
 * One room, one owner. A process opens a room only after claiming it; it renews the claim while
 * the room runs and releases it when the room is disposed. A claim whose lease ran out (its
 * process died or stalled) can be taken by another process, and each new claim of a code gets a
 * higher epoch than every claim before it. The epoch travels with every write the owner makes
 * (checkpoints, critical commits), and storage refuses a write whose epoch is older than the
 * newest it has seen: a paused old owner that wakes up cannot overwrite the new one (fencing).
 *
 * A claim that ends without a release (its process died, or stalled past its lease) is an orphan:
 * live processes of a cluster list orphans and take them over (a new claim, epoch + 1), rebuilding
 * each room from its checkpoint. A process that drains hands its occupied rooms off the same way,
 * so they reopen elsewhere at once. Each claim records its room type, so whoever takes a room over
 * knows what to open.
 *
 * This module is the seam: the in-memory registry serves a single process (and tests); the Redis
 * registry of a cluster implements the same interface and passes the same contract suite
 * (registry-contract.test-support.ts).
 */
import type { Clock } from '@tickwire/protocol';

/** A process's claim on a room. */
export interface RoomClaim {
  readonly code: string;
  /** Who holds it (a process id). */
  readonly owner: string;
  /** Higher for every new claim of the code, never reused. */
  readonly epoch: number;
  /** Registry-clock ms when the lease ends unless renewed. */
  readonly expiresAt: number;
  /** The room type it was opened as, when the claimant named one (what a process taking it over opens). */
  readonly type?: string;
}

/** Options of {@link RoomRegistry.release}. */
export interface ReleaseOptions {
  /**
   * Leave the room to be taken over (it is listed by `orphans()` at once) instead of closing it:
   * a draining process does this with rooms that still have players.
   */
  handOff?: boolean;
}

export interface RoomRegistry {
  /**
   * Claims `code` for `owner` for `leaseMs`: succeeds when nobody holds it or the holder's lease
   * has expired (a new epoch), or when `owner` already holds it (its lease is extended, same
   * epoch). Undefined when another owner holds a live lease. `type` is recorded with the claim.
   */
  claim(code: string, owner: string, leaseMs: number, type?: string): Promise<RoomClaim | undefined>;
  /**
   * Extends a claim; undefined when it was lost: released, or claimed by anyone since (a lease
   * that ran out but that nobody took is still renewable).
   */
  renew(claim: RoomClaim, leaseMs: number): Promise<RoomClaim | undefined>;
  /** Gives a claim up (only if still held by that owner and epoch). */
  release(claim: RoomClaim, options?: ReleaseOptions): Promise<void>;
  /** The live claim on a code, if any. */
  lookup(code: string): Promise<RoomClaim | undefined>;
  /** Every live claim (of one owner, when given). */
  list(owner?: string): Promise<RoomClaim[]>;
  /**
   * Orphans: claims whose lease ran out without a release, and claims handed off. Each is as its
   * last owner left it (owner, epoch, type); claiming its code takes it over at a higher epoch.
   */
  orphans(): Promise<RoomClaim[]>;
}

/** Room types are names clients send (ROOM_CODE_PATTERN, at most 64 characters). */
export function checkRoomType(type: string | undefined): void {
  if (type !== undefined && !(type.length > 0 && type.length <= 64)) throw new RangeError(`a room type is 1 to 64 characters, got ${JSON.stringify(type.slice(0, 80))}`);
}

/**
 * The registry of a single process: a map on the process's clock. Epochs survive releases (the
 * next claim of a code continues from the last epoch), as they must for fencing.
 *
 * @example
 * const registry = new MemoryRegistry(systemClock);
 * const claim = await registry.claim('arena-1', 'process-a', 10_000);
 */
export class MemoryRegistry implements RoomRegistry {
  private readonly claims = new Map<string, RoomClaim>();
  private readonly epochs = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  private live(code: string): RoomClaim | undefined {
    const c = this.claims.get(code);
    if (c && c.expiresAt > this.clock.now()) return c;
    return undefined;
  }

  async claim(code: string, owner: string, leaseMs: number, type?: string): Promise<RoomClaim | undefined> {
    checkRoomType(type);
    const held = this.live(code);
    if (held && held.owner !== owner) return undefined;
    const epoch = held ? held.epoch : (this.epochs.get(code) ?? 0) + 1;
    const expiresAt = this.clock.now() + leaseMs;
    const claim: RoomClaim = type === undefined ? { code, owner, epoch, expiresAt } : { code, owner, epoch, expiresAt, type };
    this.claims.set(code, claim);
    this.epochs.set(code, epoch);
    return claim;
  }

  async renew(claim: RoomClaim, leaseMs: number): Promise<RoomClaim | undefined> {
    // A lease that ran out is still this owner's while nobody claimed the code since (the epoch
    // did not move): a stalled process keeps a room nobody took over.
    if (this.epochs.get(claim.code) !== claim.epoch) return undefined;
    const held = this.claims.get(claim.code);
    if (!held || held.owner !== claim.owner) return undefined;
    const renewed: RoomClaim = { ...held, expiresAt: this.clock.now() + leaseMs };
    this.claims.set(claim.code, renewed);
    return renewed;
  }

  async release(claim: RoomClaim, options: ReleaseOptions = {}): Promise<void> {
    const held = this.claims.get(claim.code);
    if (!held || held.owner !== claim.owner || held.epoch !== claim.epoch) return;
    if (options.handOff) this.claims.set(claim.code, { ...held, expiresAt: Math.min(held.expiresAt, this.clock.now()) });
    else this.claims.delete(claim.code);
  }

  async lookup(code: string): Promise<RoomClaim | undefined> {
    return this.live(code);
  }

  async list(owner?: string): Promise<RoomClaim[]> {
    const now = this.clock.now();
    return [...this.claims.values()].filter((c) => c.expiresAt > now && (owner === undefined || c.owner === owner));
  }

  async orphans(): Promise<RoomClaim[]> {
    const now = this.clock.now();
    return [...this.claims.values()].filter((c) => c.expiresAt <= now);
  }
}
