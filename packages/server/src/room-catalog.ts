/**
 * The room types a server serves (by name, by one definition, or by a resolver), how a code or a
 * type name finds its definition, and the codes generated for new rooms.
 */
import { ROOM_CODE_PATTERN, randomBytes } from '@tickwire/protocol';
import { checkDefinition, type AnyRoomDefinition } from './room-definition.js';

/** Which room definition serves a code; undefined refuses the code. */
export type RoomResolver = (code: string) => AnyRoomDefinition | undefined;

/** Room types by name, the names clients create rooms by: `{ arena: arenaRoom, duel: duelRoom }`. */
export type RoomTypes = Readonly<Record<string, AnyRoomDefinition>>;

/**
 * What a server serves (`createServer({ rooms })`): named room types; or one room definition
 * (its type is named after its protocol); or a resolver that picks a definition per code (its
 * rooms can be joined, and created by a join when the definition allows it, but not created by
 * type name).
 */
export type RoomsOption = RoomTypes | AnyRoomDefinition | RoomResolver;

function isDefinition(rooms: RoomTypes | AnyRoomDefinition): rooms is AnyRoomDefinition {
  const protocol: unknown = (rooms as { protocol?: unknown }).protocol;
  return typeof protocol === 'object' && protocol !== null && typeof (protocol as { hash?: unknown }).hash === 'number';
}

/** The alphabet of generated room codes: no 0/O or 1/I/L to misread when a code is read out. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 6;

/** A random room code (31^6, about 10^9 codes): short enough to type, hard to guess. */
export function generateRoomCode(random: (n: number) => Uint8Array = randomBytes): string {
  let code = '';
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 31).
  const limit = 256 - (256 % CODE_ALPHABET.length);
  while (code.length < CODE_LENGTH) {
    for (const b of random(CODE_LENGTH * 2)) {
      if (b < limit && code.length < CODE_LENGTH) code += CODE_ALPHABET[b % CODE_ALPHABET.length];
    }
  }
  return code;
}

/**
 * The room types a server serves, and how a code or a type name finds its definition. Checks
 * every definition at start-up, so a mistake shows before the first join.
 */
export class RoomCatalog {
  private readonly types = new Map<string, AnyRoomDefinition>();
  private readonly resolver: RoomResolver | undefined;

  constructor(rooms: RoomsOption) {
    if (typeof rooms === 'function') {
      this.resolver = rooms;
      return;
    }
    const named: RoomTypes = isDefinition(rooms) ? { [rooms.protocol.name]: rooms } : rooms;
    const joinable = new Map<number, string>();
    for (const [name, def] of Object.entries(named)) {
      if (!ROOM_CODE_PATTERN.test(name)) throw new RangeError(`room type '${name}': use 1-64 letters, digits, '_', '-', '.', ':' (clients send it in HELLO)`);
      checkDefinition(def, `room type '${name}'`);
      if (def.createOnJoin) {
        const other = joinable.get(def.protocol.hash);
        if (other !== undefined) {
          throw new RangeError(
            `room types '${other}' and '${name}' both have createOnJoin and protocol '${def.protocol.name}': a join for a new code could not tell which to create; keep createOnJoin on one, or pass a resolver`,
          );
        }
        joinable.set(def.protocol.hash, name);
      }
      this.types.set(name, def);
    }
    if (this.types.size === 0) throw new RangeError('createServer needs at least one room type: { rooms: { name: definition } }');
  }

  /** The definition of a named room type. */
  type(name: string): AnyRoomDefinition | undefined {
    return this.types.get(name);
  }

  /** The name a definition is served under (undefined for a resolver's definitions). */
  nameOf(def: AnyRoomDefinition): string | undefined {
    for (const [name, d] of this.types) if (d === def) return name;
    return undefined;
  }

  /** Type names, for error messages. */
  get typeNames(): string[] {
    return [...this.types.keys()];
  }

  /**
   * The definition that serves a code with no open room: the resolver's choice, or the one
   * type that lets a join create its rooms for this protocol (preferring one whose protocol
   * matches the client's, so a mismatch is reported against the right type).
   */
  forCode(code: string, protocolHash: number): AnyRoomDefinition | undefined {
    if (this.resolver) return this.resolver(code);
    const joinable = [...this.types.values()].filter((d) => d.createOnJoin);
    return joinable.find((d) => d.protocol.hash === protocolHash) ?? joinable[0] ?? this.types.values().next().value;
  }
}

