/**
 * The room and the player as game code sees them: what a handler may read and do, typed by the
 * game's protocol (`P`), its room state (`S`) and its per-player data (`D`).
 *
 * These are interfaces, not the runtime classes: the runtime's `Room` and `RoomClient` implement
 * them and carry much more (input queues, snapshot views, acknowledgements, the interest
 * encoder) that game code must not touch, because the loop relies on it being consistent. The
 * package exports only these, so what a game can reach is exactly what is written here.
 */
import type { EntityTypeName, EventName, EventPayload, GameProtocol } from '@tickwire/protocol';
import type { Logger } from 'pino';
import type { Entity, EntityInit } from './entity-store.js';
import type { CriticalStep, OnceOutcome } from './persistence.js';
import type { Identity } from './room-client.js';
import type { Session } from './session-api.js';

/**
 * The room's entities: create, find, iterate and remove them. Writing a field of an entity
 * (`ship.position.x += 5`) is all it takes for it to be replicated.
 *
 * @example
 * const ship = room.entities.create('ship', { position: { x: 500, y: 500 } });
 * for (const s of room.entities.ofType('ship')) s.position.x += 10 * dt;
 * room.entities.remove(ship);
 */
export interface Entities<P extends GameProtocol = GameProtocol> {
  /** Live entities. */
  readonly size: number;
  /** Creates an entity; fields not given take their type's default (0, false, '', first enum value). */
  create<T extends EntityTypeName<P>>(typeName: T, init?: EntityInit<P, T>): Entity<P, T>;
  get(id: number): Entity<P> | undefined;
  has(id: number): boolean;
  /** Removes an entity (by object or id); false when it was not there. */
  remove(entity: { readonly id: number } | number): boolean;
  /** All live entities, in id order. */
  all(): IterableIterator<Entity<P>>;
  /** Live entities of one type. */
  ofType<T extends EntityTypeName<P>>(typeName: T): IterableIterator<Entity<P, T>>;
}

/**
 * Durable state, for rooms with `persistence` on a server with storage.
 *
 * @example
 * await room.persist?.once(meta.key, { apply: () => spend(ship, 10), undo: () => refund(ship, 10) });
 */
export interface Persist {
  /**
   * Applies a critical change exactly once per key and commits it before resolving: a retry
   * with the same key (the command's `meta.key`), at once or after a restart, is answered with
   * the first result and applies nothing. See docs/persistence.md.
   */
  once<T>(key: string, step: CriticalStep<T>): Promise<OnceOutcome<T>>;
}

/**
 * One player's membership of a room: who they are, the entity they play, what they may command, and
 * the game's own data for them (`data`, typed by the room definition's `data`).
 *
 * @example
 * onInput(room, player, input) {
 *   player.data.dx = input.dx; // data: () => ({ dx: 0 }) in the definition
 * }
 */
export interface Player<P extends GameProtocol = GameProtocol, D = unknown> {
  /** The member's id in this room (1, 2, ...); what chat lines and the client's `clientId` carry. */
  readonly id: number;
  /** The display name the player joined with. */
  readonly name: string;
  /** Who the player is, as authentication established it. */
  readonly identity: Identity;
  /** The entity this player plays: what onJoin returned, or what game code set since. */
  entity: Entity<P> | undefined;
  /** The game's per-player data, created by the definition's `data()` when the player joins. */
  data: D;
  /** Ids of the entities this player may target with commands (its own entity included). */
  readonly controls: ReadonlySet<number>;
  /** Lets this player target an entity with commands. */
  control(entity: { readonly id: number }): void;
  /** Takes that back. */
  release(entity: { readonly id: number }): void;
  /** False while the player is dropped and its membership waits for a reconnect. */
  readonly connected: boolean;
}

/**
 * Who receives an event: everyone (omitted), one player, a list, or those a predicate picks.
 * (The predicate is checked bivariantly, as methods are, so a room of a specific game is still
 * a `Room` of any game to the runtime.)
 */
export type EventTarget<P extends GameProtocol = GameProtocol, D = unknown> =
  | Player<P, D>
  | readonly Player<P, D>[]
  | { bivariant(player: Player<P, D>): boolean }['bivariant'];

/**
 * A room as game code sees it: the entities, the game state built by `setup`, the players,
 * time, events and chat, durable state, and closing the room.
 *
 * @example
 * function respawn(room: Room<typeof game, State, Pilot>, player: Player<typeof game, Pilot>) {
 *   player.entity = room.entities.create('ship', { position: room.state.spawn });
 *   player.control(player.entity);
 *   room.emit('respawned', { ship: player.entity.id });
 * }
 */
export interface Room<P extends GameProtocol = GameProtocol, S = unknown, D = unknown> {
  /** The room's code: what players join it by. */
  readonly code: string;
  /** The game's protocol. */
  readonly protocol: P;
  readonly entities: Entities<P>;
  /** What the definition's `setup` built. */
  readonly state: S;
  /** The members by id, connected or waiting for a reconnect. */
  readonly clients: ReadonlyMap<number, Player<P, D>>;
  /** Members (connected or awaiting a reconnect). */
  readonly size: number;
  /** The current tick: the last one simulated. */
  readonly tick: number;
  /** Simulated time in seconds (tick * dt). */
  readonly time: number;
  /** Seconds per tick. */
  readonly dt: number;
  /** Milliseconds per tick. */
  readonly tickMs: number;
  readonly tickRate: number;
  readonly snapshotRate: number;
  /** Server-clock ms of tick 0: tick T stands for `epoch + T * tickMs`. */
  readonly epoch: number;
  /**
   * Random numbers in [0, 1) from the room's own seeded generator. Use it (not `Math.random`) in
   * game code: a recording keeps the seed, so a replay draws the same numbers in the same order.
   *
   * @example
   * const spawn = { x: room.random() * 1000, y: room.random() * 1000 };
   */
  random(): number;
  /** Durable state; null when the room or the server has no persistence. */
  readonly persist: Persist | null;
  /** The room's session (lobby, seats, rounds, results); null unless its definition has `session`. */
  readonly session: Session<P, D> | null;
  /** The room's logger (its lines carry the room code). */
  readonly logger: Logger;
  /**
   * Sends an event with the next snapshot, typed by the protocol's `events`: to everyone, one
   * player, a list, or those a predicate picks.
   *
   * @example
   * room.emit('hit', { target: ship.id, damage: 10 });
   * room.emit('hit', { target: ship.id, damage: 10 }, (p) => p.data.team === 'red');
   */
  emit<N extends EventName<P>>(name: N, payload: EventPayload<P, N>, to?: EventTarget<P, D>): void;
  /** Sends a chat line to every connected player, now (`from` null: from the room). */
  broadcastChat(from: Player<P, D> | null, text: string): void;
  /**
   * Ends the room: every player is told (ROOM_CLOSED) and disconnected, every membership released
   * (onLeave with 'closed'), and the room disposed after its final checkpoint.
   */
  close(message?: string): void;
}
