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
}

export interface RoomRegistry {
  /**
   * Claims `code` for `owner` for `leaseMs`: succeeds when nobody holds it or the holder's lease
   * has expired (a new epoch), or when `owner` already holds it (its lease is extended, same
   * epoch). Undefined when another owner holds a live lease.
   */
  claim(code: string, owner: string, leaseMs: number): Promise<RoomClaim | undefined>;
  /**
   * Extends a claim; undefined when it was lost: released, or claimed by anyone since (a lease
   * that ran out but that nobody took is still renewable).
   */
  renew(claim: RoomClaim, leaseMs: number): Promise<RoomClaim | undefined>;
  /** Gives a claim up (only if still held by that owner and epoch). */
  release(claim: RoomClaim): Promise<void>;
  /** The live claim on a code, if any. */
  lookup(code: string): Promise<RoomClaim | undefined>;
  /** Every live claim (of one owner, when given). */
  list(owner?: string): Promise<RoomClaim[]>;
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

  async claim(code: string, owner: string, leaseMs: number): Promise<RoomClaim | undefined> {
    const held = this.live(code);
    if (held && held.owner !== owner) return undefined;
    const epoch = held ? held.epoch : (this.epochs.get(code) ?? 0) + 1;
    const claim: RoomClaim = { code, owner, epoch, expiresAt: this.clock.now() + leaseMs };
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

  async release(claim: RoomClaim): Promise<void> {
    const held = this.claims.get(claim.code);
    if (held && held.owner === claim.owner && held.epoch === claim.epoch) this.claims.delete(claim.code);
  }

  async lookup(code: string): Promise<RoomClaim | undefined> {
    return this.live(code);
  }

  async list(owner?: string): Promise<RoomClaim[]> {
    const now = this.clock.now();
    return [...this.claims.values()].filter((c) => c.expiresAt > now && (owner === undefined || c.owner === owner));
  }
}
