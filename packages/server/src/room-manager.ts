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

export { ROOM_CODE_PATTERN };

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
  async open(code: string): Promise<Room | TickwireError> {
    const existing = this.rooms.get(code);
    if (existing) return existing;
    const pending = this.starting.get(code);
    if (pending) return pending;
    const created = this.getOrCreate(code);
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
  getOrCreate(code: string): Room | TickwireError {
    const existing = this.rooms.get(code);
    if (existing) return existing;
    if (!ROOM_CODE_PATTERN.test(code)) {
      return new TickwireError(ErrorCode.INVALID_ROOM_CODE, `room code '${code.slice(0, 64)}' is invalid: use 1-64 letters, digits, '_', '-', '.', ':'`);
    }
    const def = this.resolve(code);
    if (!def) return new TickwireError(ErrorCode.INVALID_ROOM_CODE, `no room type serves code '${code}'`);
    const room = new Room(code, def,  { ...this.host, roomIdle: (r) => void this.dispose(r) });
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
