/**
 * The shapes the persistence runtime (persistence.ts) is configured with: what a room definition
 * declares about its durable state, the critical step game code hands to `once`, and the options
 * the room gives the runtime (its clock, its claim on the room, its hooks). Apart from the
 * runtime so the room definition and the game API can name them without the runtime's machinery.
 */
import type { Clock } from '@tickwire/protocol';
import type { AnyEntity } from './entity-store.js';
import type { DurableEntityRow, StaleOwner } from './persistence-writer.js';
import type { RoomClient } from './room-client.js';

/** The persistence part of a room definition. */
export interface PersistenceDefinition<R> {
  /** Entity types whose entities are stored and rebuilt after a restart. */
  durable?: readonly string[];
  /** A player's durable data (position, health, resources...), keyed by user id. */
  player?: {
    save(room: R, client: RoomClient): unknown;
    /** Called after onJoin when the player has stored data (also when they come back to a room they left). */
    load(room: R, client: RoomClient, data: unknown): void;
  };
  /** The room's own durable data. */
  meta?: {
    save(room: R): unknown;
    load(room: R, meta: unknown): void;
  };
  /** Rebuilds a durable entity from its row (default: create it from the stored components). */
  restore?(room: R, row: DurableEntityRow): AnyEntity | void;
  /** Checkpoint period (default 1000 ms). */
  checkpointMs?: number;
}

/** A critical change for `RoomPersistence.once`. */
export interface CriticalStep<T> {
  /**
   * Checks the game's rules and changes the room in memory, synchronously; returns what the
   * caller (and any retry) should be answered with, which must be JSON-serialisable. Throw (for
   * example `reject('not enough gold')`) to refuse: nothing is committed.
   */
  apply(): T;
  /** Reverts exactly what `apply` did; called only when the change could not be committed. */
  undo(): void;
}

/** What `RoomPersistence.once` resolves with. */
export interface OnceOutcome<T> {
  /** The first call's result (its JSON round trip, the same for the first call and every replay). */
  result: T;
  /** True when this call applied nothing: the key was committed before, or another call with it was running. */
  replayed: boolean;
}

/** Options of the persistence runtime. */
export interface RoomPersistenceOptions {
  /** The room host's clock: checkpoint timing and the writer's retry back-off follow it. */
  clock: Clock;
  /** Called when game code called from persistence throws (default: log it with the room code and the hook). */
  onFault?: (where: string, err: unknown) => void;
  /** Epoch ms for checkpoint times (default: the clock, anchored to the wall clock once, here). */
  wallClock?: () => number;
  /**
   * The epoch of this process's claim on the room in the room registry (default 0). The fencing
   * epoch `hydrate` acquires from the store is at least this, so it never falls behind the
   * registry's, even when the database was restored from an older backup.
   */
  ownerEpoch?: number;
  /**
   * Called once when the store refused a write because another process acquired the room: from
   * then on this room writes nothing. The room should close (its players reconnect to the room's
   * new process). Default: log it.
   */
  onFenced?: (err: StaleOwner) => void;
}
