/**
 * How game code describes a room: its protocol, rates, per-player data, and the handlers the
 * runtime calls. A definition is plain data plus functions; the runtime owns the loop, the
 * players and the network, and calls in with the room and player as arguments, typed by the
 * protocol (`P`), the state `setup` builds (`S`) and what `data` creates for each player (`D`).
 */
import type {
  ActionName,
  CommandPayload,
  ErrorCode,
  EventName,
  FeatureName,
  GameProtocol,
  InputOf,
  JoinOptionsOf,
} from '@tickwire/protocol';
import { ErrorCode as Codes, LIMITS, TickwireError } from '@tickwire/protocol';
import type { Entity } from './entity-store.js';
import type { FaultPolicy } from './fault-boundary.js';
import type { Player, Room } from './game-api.js';
import type { InterestDefinition } from './interest.js';
import type { DurableEntityRow } from './persistence.js';
import type { Identity } from './room-client.js';
import type { SessionDefinition } from './session-api.js';
import { checkRecordOptions, type RecordOptions } from './recorder.js';

export interface InputMeta {
  seq: number;
  /** Server-clock ms (mod 2^32) at which the client produced the input. */
  time: number;
}

export interface CommandMeta extends InputMeta {
  /** The entity the command targets (0 = none); already checked to be controlled by the client. */
  entity: number;
  /**
   * An idempotency key for this command: the same for a retry of it by this member, different
   * for every other command, across server restarts too. Pass it to `room.persist.once()`.
   */
  key: string;
}

/** What a command handler may return: nothing (accepted) or a promise of it (accepted once settled). */
export type CommandOutcome = void | Promise<void>;

/**
 * Handler parameters are checked bivariantly (as methods are), so a definition for a specific
 * protocol is assignable to the runtime's protocol-agnostic RoomDefinition.
 */
type Handler<Args extends unknown[], R> = { bivariant(...args: Args): R }['bivariant'];

export type CommandHandlers<P extends GameProtocol, S, D = unknown> = {
  [F in FeatureName<P>]?: {
    [A in ActionName<P, F>]?: Handler<[room: Room<P, S, D>, player: Player<P, D>, payload: CommandPayload<P, F, A>, meta: CommandMeta], CommandOutcome>;
  };
};

/** A system: game logic run every tick after inputs and commands; `dt` in seconds. */
export type System<P extends GameProtocol, S, D = unknown> = Handler<[room: Room<P, S, D>, dt: number], void>;

/**
 * Durable state: which entity types are stored, how a player's and the room's own data are
 * saved and loaded, and how often. Needs a server `storage`; see docs/persistence.md.
 */
export interface PersistenceDefinition<P extends GameProtocol = GameProtocol, S = unknown, D = unknown> {
  /** Entity types whose entities are stored and rebuilt after a restart. */
  durable?: readonly string[];
  /** A player's durable data (position, health, resources...), keyed by user id. */
  player?: {
    save(room: Room<P, S, D>, player: Player<P, D>): unknown;
    /** Called after onJoin when the player has stored data (also when they come back to a room they left). */
    load(room: Room<P, S, D>, player: Player<P, D>, data: unknown): void;
  };
  /** The room's own durable data. */
  meta?: {
    save(room: Room<P, S, D>): unknown;
    load(room: Room<P, S, D>, meta: unknown): void;
  };
  /** Rebuilds a durable entity from its row (default: create it from the stored components). */
  restore?(room: Room<P, S, D>, row: DurableEntityRow): { readonly id: number } | void;
  /** Checkpoint period (default 1000 ms). */
  checkpointMs?: number;
}

export type LeaveReason = 'left' | 'disconnected' | 'timeout' | 'closed' | 'shutdown' | 'kicked';

export interface RoomDefinition<P extends GameProtocol = GameProtocol, S = unknown, D = unknown> {
  protocol: P;
  /**
   * Creates the game's data for a player as they join: `player.data` in every handler,
   * typed by what this returns (the only place `D` is inferred from, so a handler with a
   * differently typed player is an error rather than a silent change). Called once per member;
   * a resumed player keeps theirs.
   */
  data?: () => D;
  /** Simulation steps per second (default 20). */
  tickRate?: number;
  /** Snapshots per second, at most the tick rate (default 20). */
  snapshotRate?: number;
  /** Members of the room, connected or waiting for a reconnect (default 64). */
  maxClients?: number;
  /** Steps run at most in one catch-up before the rest are dropped and counted (default 4). */
  maxCatchUpTicks?: number;
  /** A dropped client's membership is kept this long for a resume (default 60 000 ms; 0 = released at once). */
  reconnectWindowMs?: number;
  /** An empty room is disposed after this long (default 30 000 ms). */
  emptyGraceMs?: number;
  /**
   * Inputs applied per client per tick (default: the server's `limits.maxInputsPerTick`, 4).
   * Games whose step moves an entity once per input set 1, so sending faster cannot move a
   * ship faster: extra inputs wait for later ticks (a small buffer that also absorbs jitter).
   */
  maxInputsPerTick?: number;
  /** Snapshots remembered per client as possible delta baselines (default 32). */
  snapshotHistory?: number;
  /**
   * What a snapshot's delta is taken against. `'auto'` (the default): on a connection that
   * delivers every frame in order (a WebSocket), the last snapshot *sent*, so every client that
   * sees everything shares one body per tick whatever its round trip; on one that may lose frames
   * (a datagram transport, a client whose link dropped a snapshot), the newest one the client
   * *acknowledged*. `'acknowledged'` uses acknowledged baselines everywhere (to compare the two).
   */
  snapshotBaseline?: 'auto' | 'acknowledged';
  /**
   * Every this many snapshots, each carries a 32-bit digest of what its client should hold once
   * it is applied, so a client whose view drifted (a bug that wrote to it, a bad decode) notices
   * and asks for a full snapshot by itself (docs/protocol.md 8.6). Default 10 (twice a second at
   * 20 Hz, 33 bits each time); 0 sends none. In interest rooms each client's digest is of its own
   * set, kept as records go out (over a lossy link, what it may have missed is sent again with it).
   */
  viewDigestEvery?: number;
  /**
   * Send each client the exact state of its own entity with every snapshot (a few bytes), so
   * the client can predict it and reconcile against the server to the bit. Enable it when the
   * client predicts (see ClientRoom.predict).
   */
  sendOwnState?: boolean;
  /**
   * How much failing game code the room tolerates: an exception in any hook is logged, counted
   * (`tickwire_game_faults_total`) and the room goes on; more than `maxFaults` within `windowMs`
   * (default 10 in 10 s) and the room is checkpointed and closed for its clients (ROOM_FAILED).
   */
  faultPolicy?: Partial<FaultPolicy>;

  /** Builds the room's game state; available as `room.state`. */
  setup?(room: Room<P, S, NoInfer<D>>): S;
  /**
   * Whether a join for a code with no room creates it (default false: only `create(type)` makes
   * rooms, and a join for an unknown code is refused with ROOM_NOT_FOUND). True suits links that
   * name a room to meet in, like the arena's `/?room=abc`.
   */
  createOnJoin?: boolean;
  /**
   * Decides whether a client may join, before it becomes a member: its join options (typed by
   * the protocol's `join`), its identity and the room. May be async (a lookup, a ban list).
   * Throw `reject(reason)` to refuse: the client gets JOIN_REFUSED (or the code given) and the
   * reason. Runs for resumes too. The server's join timeout covers the wait.
   */
  onAuth?(options: JoinOptionsOf<P>, identity: Identity, room: Room<P, S, NoInfer<D>>): void | Promise<void>;
  /** A player joined (`player.data` is fresh from `data()`; `options` are the join options onAuth saw). Return their entity to let them control it. Throw `reject()` to refuse. */
  onJoin?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>, options: JoinOptionsOf<P>): Entity<P> | void;
  /** A player's membership was released (it left, or did not come back within the window). */
  onLeave?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>, reason: LeaveReason): void;
  /** A player's connection dropped; its membership is kept for the reconnect window. */
  onDisconnect?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>): void;
  /** A dropped client came back with its resume token. */
  onReconnect?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>): void;
  /**
   * One input, applied at the start of a tick in (client time, client, seq) order. `input` is
   * valid during the call only: the server reads later inputs into the same object (decoding a
   * client's input every tick allocates nothing), so copy the values you keep
   * (`player.data.dx = input.dx`), never the object (`player.data.last = input`).
   */
  onInput?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>, input: InputOf<P>, meta: InputMeta): void;
  /** Command handlers by feature and action. */
  commands?: CommandHandlers<P, S, NoInfer<D>>;
  /** Run in order every tick after inputs and commands; `dt` in seconds. */
  systems?: readonly System<P, S, NoInfer<D>>[];
  /** A chat line: return the text to send (possibly edited), or false to drop it. */
  onChat?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>, text: string): string | false;
  /**
   * Per-client relevance: whether `client` should receive `entity`. The entities a client
   * controls are always sent. Omit to send every entity to everyone (and share encoding work).
   */
  isRelevant?(room: Room<P, S, NoInfer<D>>, player: Player<P, NoInfer<D>>, entity: Entity<P>): boolean;
  /**
   * Durable state (needs a server `storage`): which entity types are stored, how a player's and
   * the room's own data are saved and loaded, and how often (default every 1000 ms). Without it
   * the room lives in memory only.
   */
  persistence?: PersistenceDefinition<P, S, NoInfer<D>>;
  /**
   * Interest management: a spatial grid, distance tiers with their own rates and components,
   * channels, and a per-client byte budget. Replaces `isRelevant` when given.
   */
  interest?: InterestDefinition<Player<P, NoInfer<D>>, Entity<P>>;
  /**
   * Makes the room a session: a lobby where players take seats (a group and a role), mark
   * themselves ready and chat, a running round, results, then closed. The protocol declares the
   * roles, options and results (`defineProtocol({ session })`). Systems, inputs and commands
   * reach the game only while the round runs. See docs/sessions.md.
   */
  session?: SessionDefinition<P, S, NoInfer<D>>;
  /** Extra data for the welcome message (JSON). */
  metadata?(room: Room<P, S, NoInfer<D>>): Record<string, unknown>;
  /**
   * Records what comes into each room of this type from outside (joins, leaves, inputs and
   * commands per tick, chat, the seed of `room.random()`, and with storage what the room was
   * loaded from), so that `replayRecording` (or `tickwire replay`) runs it again to the same state,
   * tick by tick. `save` gets the recording when the room ends or reaches `maxBytes`. For the
   * rules a game must follow to be replayable, see docs/netcode.md section 10. Not for session rooms.
   *
   * @example
   * record: { save: (bytes, info) => writeFileSync(`recordings/${info.code}-${info.instanceId}.twrec`, bytes) }
   */
  record?: RecordOptions;
  /** The room is being disposed (empty for the grace period, or server shutdown). */
  onDispose?(room: Room<P, S, NoInfer<D>>): void | Promise<void>;
}

/** Any room definition, whatever its protocol, state and player data (what the server accepts). */
export type AnyRoomDefinition = RoomDefinition<GameProtocol, unknown, unknown>;

/**
 * Declares a room type. A pass-through that gives game code type inference: the protocol types
 * inputs, commands, entities and events; `setup`'s result types `room.state`; `data`'s result
 * types `player.data`. No type arguments needed.
 *
 * @example
 * interface Pilot { dx: number; dy: number }
 *
 * export const room = defineRoom({
 *   protocol: game,
 *   data: (): Pilot => ({ dx: 0, dy: 0 }),
 *   onJoin: (room, player) => room.entities.create('ship', { position: { x: 500, y: 500 } }),
 *   onInput: (room, player, input) => { player.data.dx = input.dx; player.data.dy = input.dy; },
 *   systems: [(room, dt) => {
 *     for (const player of room.clients.values()) {
 *       if (player.entity?.type === 'ship') player.entity.position.x += player.data.dx * 200 * dt;
 *     }
 *   }],
 * });
 */
export function defineRoom<P extends GameProtocol, S = undefined, D = undefined>(definition: RoomDefinition<P, S, D>): RoomDefinition<P, S, D> {
  return definition;
}

/**
 * Checks the options of a definition that no room could run with; throws a RangeError that
 * names the option. The server checks a single definition when it is created, so a mistake
 * shows at start-up rather than at the first join.
 */
export function checkDefinition(d: AnyRoomDefinition | RoomDefinition<GameProtocol, never, never>, where = 'room definition'): void {
  const tickRate = d.tickRate ?? 20;
  const snapshotRate = Math.min(d.snapshotRate ?? 20, tickRate);
  if (!Number.isInteger(tickRate) || tickRate < 1 || tickRate > 240) {
    throw new RangeError(`${where}: tickRate must be a whole number of ticks per second in 1..240, got ${tickRate}`);
  }
  if (!Number.isInteger(snapshotRate) || snapshotRate < 1) {
    throw new RangeError(`${where}: snapshotRate must be a whole number in 1..tickRate, got ${snapshotRate}`);
  }
  const digestEvery = d.viewDigestEvery ?? 10;
  if (!Number.isInteger(digestEvery) || digestEvery < 0) {
    throw new RangeError(`${where}: viewDigestEvery must be a whole number of snapshots (0 for none), got ${digestEvery}`);
  }
  if (d.record) checkRecordOptions(d.record, d.session !== undefined, where);
  if (d.session) {
    if (!d.protocol.session) throw new RangeError(`${where}: a session needs its protocol '${d.protocol.name}' to declare session { roles, maxGroups }`);
    if ((d.maxClients ?? 64) > LIMITS.sessionMembers) throw new RangeError(`${where}: a session holds at most ${LIMITS.sessionMembers} members (maxClients)`);
  }
  const policy = d.faultPolicy;
  if (policy && ((policy.maxFaults !== undefined && !(policy.maxFaults >= 0)) || (policy.windowMs !== undefined && !(policy.windowMs > 0)))) {
    throw new RangeError(`${where}: faultPolicy needs maxFaults >= 0 and windowMs > 0, got ${JSON.stringify(policy)}`);
  }
  const interest = d.interest;
  if (interest) {
    if (interest.tiers.length === 0) throw new RangeError(`${where}: interest needs at least one tier`);
    for (const t of interest.tiers) {
      if (!(t.radius > 0) || !Number.isFinite(t.radius)) throw new RangeError(`${where}: interest tier '${t.name}' needs a finite radius > 0, got ${t.radius}`);
      const unknown = t.types?.find((name) => !d.protocol.entityTypes.some((type) => type.name === name));
      if (unknown !== undefined) throw new RangeError(`${where}: interest tier '${t.name}' names entity type '${unknown}', which the protocol does not declare`);
    }
    if (interest.cellSize !== undefined && !(interest.cellSize >= 0.001 && Number.isFinite(interest.cellSize))) {
      throw new RangeError(`${where}: interest cellSize must be a finite number >= 0.001, got ${interest.cellSize}`);
    }
  }
}

/** Thrown by game code to refuse a command or a join with a code the client sees. */
export class Rejection extends TickwireError {
  constructor(message: string, code: ErrorCode = Codes.COMMAND_REJECTED) {
    super(code, message);
    this.name = 'Rejection';
  }
}

/**
 * Refuses the current command (or join) with a message and code the client sees.
 *
 * @example
 * if (player.resources < 10) reject('not enough resources');
 */
export function reject(message: string, code: ErrorCode = Codes.COMMAND_REJECTED): never {
  throw new Rejection(message, code);
}

export type { EventName };
