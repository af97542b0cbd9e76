/**
 * Room codes to rooms: exactly one authoritative room per code in this process. A room is
 * created by the first join for its code and disposed once it has been empty for its grace
 * period.
 */
import { ErrorCode, ROOM_CODE_PATTERN, TickwireError, type GameProtocol } from '@tickwire/protocol';
import { Room, type RoomHost } from './room.js';
import type { AnyRoomDefinition } from './room-definition.js';

/** Which room definition serves a code; undefined refuses the code. */
export type RoomResolver = (code: string) => AnyRoomDefinition | undefined;

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

export class RoomManager {
  private readonly rooms = new Map<string, Room>();
  /** Rooms being hydrated from the database: joins wait for them. */
  private readonly starting = new Map<string, Promise<Room | TickwireError>>();

  constructor(
    private readonly resolve: RoomResolver,
    private readonly host: Omit<RoomHost, 'roomIdle'>,
  ) {}

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
   * The room for a code, created if needed (and rebuilt from its last checkpoint when the
   * server has storage); a TickwireError if the code is refused.
   */
  async open(code: string, gate?: CreationGate): Promise<Room | TickwireError> {
    const existing = this.rooms.get(code);
    if (existing) return existing;
    const pending = this.starting.get(code);
    if (pending) return pending;
    const created = this.getOrCreate(code, gate);
    if (created instanceof TickwireError || !created.persist) return created;
    const hydrating = (async () => {
      try {
        await created.persist!.hydrate();
        return created;
      } catch (err) {
        this.host.logger.error({ err, room: code }, 'could not load the room from storage');
        this.rooms.delete(code);
        await created.dispose();
        return new TickwireError(ErrorCode.INTERNAL, `room '${code}' could not be loaded from storage; try again`);
      } finally {
        this.starting.delete(code);
      }
    })();
    this.starting.set(code, hydrating);
    return hydrating;
  }

  /** The room for a code, created if needed, without waiting for storage. */
  getOrCreate(code: string, gate?: CreationGate): Room | TickwireError {
    const existing = this.rooms.get(code);
    if (existing) return existing;
    if (!ROOM_CODE_PATTERN.test(code)) {
      return new TickwireError(ErrorCode.INVALID_ROOM_CODE, `room code '${code.slice(0, 64)}' is invalid: use 1-64 letters, digits, '_', '-', '.', ':'`);
    }
    let def: AnyRoomDefinition | undefined;
    try {
      def = this.resolve(code);
    } catch (err) {
      this.host.logger.error({ err, room: code }, 'the room resolver threw');
      return new TickwireError(ErrorCode.JOIN_REFUSED, `room '${code}' could not be created: the server's room resolver failed`);
    }
    if (!def) return new TickwireError(ErrorCode.INVALID_ROOM_CODE, `no room type serves code '${code}'`);
    if (this.rooms.size + this.starting.size >= this.host.limits.maxRooms) {
      return new TickwireError(ErrorCode.TOO_MANY_ROOMS, `this server has ${this.host.limits.maxRooms} rooms open, its limit: join an existing room or try later`);
    }
    const refused = gate?.(code, def);
    if (refused) return refused;
    let room: Room;
    try {
      room = new Room(code, def, { ...this.host, roomIdle: (r) => void this.dispose(r) });
    } catch (err) {
      // A setup() that throws, or a definition with impossible options: no room, a clear refusal.
      this.host.logger.error({ err, room: code }, 'the room could not be created');
      return new TickwireError(ErrorCode.JOIN_REFUSED, `room '${code}' could not be created (the server logged why)`);
    }
    this.rooms.set(code, room);
    this.host.logger.info({ room: code }, 'room created');
    return room;
  }

  async dispose(room: Room): Promise<void> {
    if (this.rooms.get(room.code) !== room) return;
    this.rooms.delete(room.code);
    await room.dispose();
    this.host.logger.info({ room: room.code, ticks: room.tick }, 'room disposed');
  }

  async disposeAll(): Promise<void> {
    await Promise.all(this.starting.values());
    await Promise.all([...this.rooms.values()].map((r) => this.dispose(r)));
  }
}
