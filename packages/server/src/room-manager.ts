/**
 * Room codes to rooms: exactly one authoritative room per code in this process, each claimed in
 * the room registry before it opens (room-catalog.ts holds the types). A room is created explicitly (a HELLO that asks to create a room of a type gets a
 * fresh code) or, for room types that allow it (`createOnJoin`), by the first join for its code;
 * it is disposed once it has been empty for its grace period.
 */
import { ErrorCode, ROOM_CODE_PATTERN, TickwireError, randomBytes, type GameProtocol, type TimerHandle } from '@tickwire/protocol';
import type { RoomClaim, RoomRegistry } from './registry.js';
import { Room, type RoomHost } from './room.js';
import type { AnyRoomDefinition } from './room-definition.js';
import { RoomCatalog, generateRoomCode, type RoomsOption } from './room-catalog.js';

export { RoomCatalog, generateRoomCode, type RoomResolver, type RoomTypes, type RoomsOption } from './room-catalog.js';

/** What a HELLO asks for: a room to join by code, or a room of a type to create. */
export interface RoomRequest {
  /** The room code to join, or with `create` the room type to create. */
  room: string;
  create: boolean;
  /** The client's game protocol hash: a room is only created for a client that speaks its protocol. */
  protocolHash: number;
  /**
   * With a join: the room type to open the code as when it is not open here (a cluster's join
   * ticket says so when the gateway placed a new or moved room on this process).
   */
  type?: string;
}

/**
 * Asked before a room is created for a join: an error refuses the creation (and nothing is
 * created), undefined lets it go ahead. Not asked when the room already exists.
 */
export type CreationGate = (code: string, definition: AnyRoomDefinition) => TickwireError | undefined;

export { ROOM_CODE_PATTERN };

/** The refusal for a client built against another protocol than the room's. */
export function schemaMismatch(clientHash: number, protocol: GameProtocol): TickwireError {
  return new TickwireError(
    ErrorCode.SCHEMA_MISMATCH,
    `client game protocol hash ${clientHash.toString(16)} differs from the room's ${protocol.hash.toString(16)} ('${protocol.name}'): rebuild the client against the server's protocol`,
  );
}

function unknownType(type: string, known: readonly string[]): TickwireError {
  return new TickwireError(
    ErrorCode.INVALID_ROOM_CODE,
    known.length > 0
      ? `no room type '${type.slice(0, 64)}' on this server: create one of ${known.map((n) => `'${n}'`).join(', ')}`
      : `this server creates rooms only by joining a code: join a code instead of creating '${type.slice(0, 64)}'`,
  );
}

function notFound(code: string, types: readonly string[]): TickwireError {
  const create = types.length > 0 ? `create a room (${types.map((n) => `'${n}'`).join(', ')}) and share its code` : 'create a room and share its code';
  return new TickwireError(ErrorCode.ROOM_NOT_FOUND, `no room '${code}' is open here: check the code, or ${create}`);
}

/** How this process holds its rooms in the registry. */
export interface Ownership {
  registry: RoomRegistry;
  /** This process's id in the registry. */
  owner: string;
  /** How long a claim lasts unless renewed; renewed every third of it. */
  leaseMs: number;
}

export class RoomManager {
  private readonly rooms = new Map<string, Room>();
  private readonly claims = new Map<string, RoomClaim>();
  private renewTimer: TimerHandle | null = null;
  /** Rooms being hydrated from the database: joins wait for them. */
  private readonly starting = new Map<string, Promise<Room | TickwireError>>();

  readonly catalog: RoomCatalog;
  /** Set while the process drains: no new room is opened here (rooms open already take joins). */
  draining = false;

  constructor(
    rooms: RoomsOption,
    private readonly host: Omit<RoomHost, 'roomIdle'>,
    private readonly ownership: Ownership,
    /** Random bytes for generated room codes (tests pass a seeded source). */
    private readonly random: (n: number) => Uint8Array = randomBytes,
  ) {
    this.catalog = new RoomCatalog(rooms);
  }

  /** This process's claim on an open room. */
  claimOf(code: string): RoomClaim | undefined {
    return this.claims.get(code);
  }

  get size(): number {
    return this.rooms.size;
  }

  get(code: string): Room | undefined {
    return this.rooms.get(code);
  }

  all(): IterableIterator<Room> {
    return this.rooms.values();
  }

  /**
   * The room a HELLO asks for, or a TickwireError saying why not. A join gets the open room for
   * its code; a code with no open room is opened if its room type lets a join create it, or if
   * the server's storage holds it (a room that exists, only not in memory), else ROOM_NOT_FOUND.
   * A create makes a room of the named type under a fresh code. A string opens that code as
   * before explicit creation (restoring rooms from storage).
   */
  async open(request: string | RoomRequest, gate?: CreationGate): Promise<Room | TickwireError> {
    if (typeof request === 'string') return this.openCode(request, gate);
    if (request.create) return this.create(request.room, gate);
    const code = request.room;
    if (this.rooms.has(code) || this.starting.has(code)) return this.openCode(code, gate);
    if (!ROOM_CODE_PATTERN.test(code)) return this.openCode(code, gate);
    if (request.type !== undefined) {
      const typed = this.catalog.type(request.type);
      if (!typed) return unknownType(request.type, this.catalog.typeNames);
      return this.openCode(code, gate, typed);
    }
    let def: AnyRoomDefinition | undefined;
    try {
      def = this.catalog.forCode(code, request.protocolHash);
    } catch (err) {
      this.host.logger.error({ err, room: code }, 'the room resolver threw');
      return new TickwireError(ErrorCode.JOIN_REFUSED, `room '${code}' could not be opened: the server's room resolver failed`);
    }
    if (def && !def.createOnJoin) {
      let stored = false;
      if (def.persistence && this.host.store) {
        try {
          stored = (await this.host.store.loadRoom(code)) !== undefined;
        } catch (err) {
          this.host.logger.error({ err, room: code }, 'could not check the storage for a room');
          return new TickwireError(ErrorCode.INTERNAL, `room '${code}' could not be looked up in storage; try again`);
        }
      }
      // Another join may have opened it while storage answered.
      if (!stored && !this.rooms.has(code) && !this.starting.has(code)) return notFound(code, this.catalog.typeNames);
    }
    return this.openCode(code, gate, def);
  }

  /**
   * Takes over a room another process held (an orphan of the registry: its owner died, stalled
   * past its lease, or handed it off): claims it at a higher epoch and rebuilds it from its
   * checkpoint, as the type its claim recorded. Refused when this process does not serve that
   * type, is draining or full, or another process took the room first (ROOM_ELSEWHERE).
   */
  adopt(orphan: RoomClaim): Promise<Room | TickwireError> {
    if (this.rooms.has(orphan.code) || this.starting.has(orphan.code)) return this.openCode(orphan.code);
    // A room that cannot be loaded (the database is down) is handed off again, not released: it
    // stays an orphan, and is tried again.
    if (orphan.type === undefined) return this.openCode(orphan.code, undefined, undefined, true);
    const def = this.catalog.type(orphan.type);
    return def ? this.openCode(orphan.code, undefined, def, true) : Promise.resolve(unknownType(orphan.type, this.catalog.typeNames));
  }

  /** Whether this process can open a room of the type a claim recorded. */
  serves(claim: RoomClaim): boolean {
    if (claim.type !== undefined) return this.catalog.type(claim.type) !== undefined;
    try {
      return this.catalog.forCode(claim.code, 0) !== undefined;
    } catch {
      return false;
    }
  }

  /** A new room of a named type, under a code nobody uses. */
  private create(type: string, gate?: CreationGate): Promise<Room | TickwireError> {
    const def = this.catalog.type(type);
    if (!def) return Promise.resolve(unknownType(type, this.catalog.typeNames));
    let code = generateRoomCode(this.random);
    // A clash is one in a billion per open room; try again rather than join someone's room.
    while (this.rooms.has(code) || this.starting.has(code)) code = generateRoomCode(this.random);
    return this.openCode(code, gate, def);
  }

  /**
   * Opens a room: checks that it may be created here (synchronously, so a refusal claims
   * nothing), claims it in the registry (one room, one owner: a room another live process holds
   * is refused with ROOM_ELSEWHERE), builds it, and hydrates it from storage. Joins for the code
   * wait on the same promise meanwhile.
   */
  private async openCode(code: string, gate?: CreationGate, def?: AnyRoomDefinition, handOffOnFailure = false): Promise<Room | TickwireError> {
    const existing = this.rooms.get(code);
    if (existing) return existing;
    const pending = this.starting.get(code);
    if (pending) return pending;
    const checked = this.check(code, gate, def);
    if (checked instanceof TickwireError) return checked;
    const opening = (async (): Promise<Room | TickwireError> => {
      const { registry, owner, leaseMs } = this.ownership;
      let claim: RoomClaim | undefined;
      try {
        claim = await registry.claim(code, owner, leaseMs, this.catalog.nameOf(checked));
      } catch (err) {
        this.host.logger.error({ err, room: code }, 'the room registry could not be reached');
        return new TickwireError(ErrorCode.INTERNAL, `room '${code}' could not be opened: the room registry is unreachable; try again`);
      }
      if (!claim) {
        return new TickwireError(ErrorCode.ROOM_ELSEWHERE, `room '${code}' is running on another server: ask the gateway where, or try again shortly`);
      }
      const room = this.construct(code, checked, claim);
      if (room instanceof TickwireError) {
        await registry.release(claim).catch(() => undefined);
        return room;
      }
      this.claims.set(code, claim);
      this.scheduleRenewal();
      try {
        await room.persist?.hydrate();
      } catch (err) {
        this.host.logger.error({ err, room: code }, 'could not load the room from storage');
        this.rooms.set(code, room);
        await this.dispose(room, handOffOnFailure);
        return new TickwireError(ErrorCode.INTERNAL, `room '${code}' could not be loaded from storage; try again`);
      }
      // Only now: a join that came meanwhile waited on `starting`, so no player is admitted to a
      // room that has not loaded its players' saved data yet (it would be written over).
      this.rooms.set(code, room);
      return room;
    })().finally(() => this.starting.delete(code));
    this.starting.set(code, opening);
    return opening;
  }

  /** Whether a room of `def` (else the code's type) may be created for this code now: its definition, or why not. */
  private check(code: string, gate?: CreationGate, def?: AnyRoomDefinition): AnyRoomDefinition | TickwireError {
    if (!ROOM_CODE_PATTERN.test(code)) {
      return new TickwireError(ErrorCode.INVALID_ROOM_CODE, `room code '${code.slice(0, 64)}' is invalid: use 1-64 letters, digits, '_', '-', '.', ':'`);
    }
    try {
      def ??= this.catalog.forCode(code, 0);
    } catch (err) {
      this.host.logger.error({ err, room: code }, 'the room resolver threw');
      return new TickwireError(ErrorCode.JOIN_REFUSED, `room '${code}' could not be created: the server's room resolver failed`);
    }
    if (!def) return new TickwireError(ErrorCode.INVALID_ROOM_CODE, `no room type serves code '${code}'`);
    if (this.draining) return new TickwireError(ErrorCode.SHUTTING_DOWN, 'this server is draining and opens no new rooms: ask the gateway for another server');
    if (this.rooms.size + this.starting.size >= this.host.limits.maxRooms) {
      return new TickwireError(ErrorCode.TOO_MANY_ROOMS, `this server has ${this.host.limits.maxRooms} rooms open, its limit: join an existing room or try later`);
    }
    const refused = gate?.(code, def);
    if (refused) return refused;
    return def;
  }

  private construct(code: string, def: AnyRoomDefinition, claim: RoomClaim): Room | TickwireError {
    let room: Room;
    try {
      room = new Room(code, def, { ...this.host, roomIdle: (r) => void this.dispose(r) }, claim);
    } catch (err) {
      // A setup() that throws, or a definition with impossible options: no room, a clear refusal.
      this.host.logger.error({ err, room: code }, 'the room could not be created');
      return new TickwireError(ErrorCode.JOIN_REFUSED, `room '${code}' could not be created (the server logged why)`);
    }
    this.host.logger.info({ room: code }, 'room created');
    return room;
  }

  /**
   * Disposes a room and releases its claim; with `handOff`, the claim is left for another
   * process to take over (a draining process's rooms that still have players).
   */
  async dispose(room: Room, handOff = false): Promise<void> {
    if (this.rooms.get(room.code) !== room) return;
    this.rooms.delete(room.code);
    await room.dispose();
    // Released only once the final checkpoint is written: the next owner hydrates from it.
    const claim = this.claims.get(room.code);
    this.claims.delete(room.code);
    if (claim) {
      await this.ownership.registry
        .release(claim, { handOff })
        .catch((err: unknown) => this.host.logger.warn({ err, room: room.code }, 'could not release the room claim; it expires with its lease'));
    }
    this.host.logger.info({ room: room.code, ticks: room.tick, handOff }, 'room disposed');
  }

  /**
   * Disposes every room; those `handOff` picks are handed off (a cluster process shutting down
   * hands off the rooms that had players, so another process reopens them from their final
   * checkpoint and the players resume there), the others released.
   */
  async disposeAll(handOff: (room: Room) => boolean = () => false): Promise<void> {
    await Promise.all(this.starting.values());
    await Promise.all([...this.rooms.values()].map((r) => this.dispose(r, handOff(r))));
    if (this.renewTimer) this.host.clock.clearTimeout(this.renewTimer);
    this.renewTimer = null;
  }

  /** Renews every claim a third of a lease before it ends; one timer for all rooms. */
  private scheduleRenewal(): void {
    if (this.renewTimer) return;
    this.renewTimer = this.host.clock.setTimeout(() => {
      this.renewTimer = null;
      void this.renewAll().finally(() => {
        if (this.claims.size > 0) this.scheduleRenewal();
      });
    }, this.ownership.leaseMs / 3);
  }

  /**
   * A claim that cannot be renewed was taken by another process (this one stalled past its
   * lease): the room is closed here, since its new owner is the only one that may write it.
   */
  private async renewAll(): Promise<void> {
    const { registry, leaseMs } = this.ownership;
    await Promise.all(
      [...this.claims].map(async ([code, claim]) => {
        let renewed: RoomClaim | undefined;
        try {
          renewed = await registry.renew(claim, leaseMs);
        } catch (err) {
          // Unreachable registry: keep the room; the next renewal tries again within the lease.
          this.host.logger.warn({ err, room: code }, 'could not renew the room claim');
          return;
        }
        if (this.claims.get(code) !== claim) return; // disposed meanwhile
        if (renewed) {
          this.claims.set(code, renewed);
          return;
        }
        this.claims.delete(code);
        this.host.logger.error({ room: code, epoch: claim.epoch }, 'lost the room to another process: closing it here');
        this.rooms.get(code)?.moved();
      }),
    );
  }
}
