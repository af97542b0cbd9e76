/**
 * Admitting, resuming and dropping members: the runtime's place for one client in a room (its
 * id, resume token, entity and input queue). A new client becomes a member (if the room has
 * room) and onJoin, given the client's join options, may give it an entity; a client that comes
 * back with its resume token within the reconnect window gets its membership, entity and id
 * back and a full snapshot. ("Seat" is the sessions' word: a ship's console or a team's slot
 * that a member claims, which is game data, not this.)
 *
 * One user, one membership: a second connection of the same user (a reloaded page, a second
 * device) takes the membership over and the older connection is closed with REPLACED, instead
 * of the room filling with copies of one player. A resume token is honoured only for the user it
 * was issued to, so a leaked token does not hand a membership to someone else.
 */
import { CloseCode, ErrorCode, TickwireError, type GameProtocol, type JoinOptionsOf } from '@tickwire/protocol';
import type { Room } from './room.js';
import { RoomClient, type ClientConnection, type Identity } from './room-client.js';
import { Rejection } from './room-definition.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** What a member is admitted with: from HELLO, the join options decoded with the room's protocol. */
export interface Admission<P extends GameProtocol> {
  /** Display name (trimmed; empty gives `player-<id>`). */
  name: string;
  /** A resume token from an earlier WELCOME: restore that membership. */
  resumeToken?: Uint8Array | undefined;
  options: JoinOptionsOf<P>;
}

/**
 * Admits a client as a member (or restores its membership) and sends WELCOME. Throws
 * TickwireError with ROOM_FULL, RESUME_FAILED or JOIN_REFUSED (or the code onJoin rejected with).
 */
export function admit<P extends GameProtocol>(
  room: Room<P>,
  conn: ClientConnection,
  hello: Admission<P>,
  identity: Identity,
  token: Uint8Array,
  now: number,
  remoteAddress = '',
  /** Whether a token this process does not hold was issued (by any process) for this user here. */
  issuedElsewhere: (token: Uint8Array) => boolean = () => false,
): RoomClient<P> {
  if (hello.resumeToken) {
    const resumeToken = hello.resumeToken;
    const client = [...room.clients.values()].find((c) => sameBytes(c.resumeToken, resumeToken));
    if (client) {
      // A guest has no identity to show again but the token; anyone else must be its owner.
      const owner = client.identity.userId === identity.userId || (identity.guest === true && client.identity.guest === true);
      if (!owner) {
        throw new TickwireError(ErrorCode.RESUME_FAILED, 'this resume token belongs to another player: join again without it');
      }
      return takeOver(room, client, conn, now, remoteAddress);
    }
    // Not a member here, but a member of this room before (on another process, before a
    // failover): honoured as a join of that user, who gets their saved state back. A guest's
    // identity died with its connection, so a guest's token is only good where it was issued.
    if (identity.guest === true || !issuedElsewhere(resumeToken)) {
      throw new TickwireError(ErrorCode.RESUME_FAILED, 'resume token unknown or expired: join again without it');
    }
  }
  for (const client of room.clients.values()) {
    if (client.identity.userId === identity.userId) return takeOver(room, client, conn, now, remoteAddress);
  }
  if (room.size >= room.maxClients) {
    throw new TickwireError(ErrorCode.ROOM_FULL, `room '${room.code}' is full (${room.maxClients} players): try later or another room`);
  }
  const id = room.allocateClientId();
  const name = hello.name.trim() || `player-${id}`;
  const client = new RoomClient<P>(id, name, identity, token, conn, room.historySize, now, room.maxBufferedInputs);
  client.remoteAddress = remoteAddress;
  enter(room, client, hello.options);
  welcome(room, client, now, false);
  return client;
}

/**
 * Makes a new client a member: its data from `data()`, then `onJoin` with its join options (the
 * entity that returns becomes the client's), then its stored data. When onJoin refuses (or
 * fails) the membership is dropped again and this throws the TickwireError the client gets. A
 * replay (replay.ts) admits its recorded joins here too.
 */
export function enter<P extends GameProtocol>(room: Room<P>, client: RoomClient<P>, options: JoinOptionsOf<P>): void {
  room.recorder?.joined(client, options);
  room.addClient(client);
  try {
    const entity = room.definition.onJoin?.(room, client, options);
    if (entity) {
      client.entity = entity;
      client.control(entity);
    }
    room.persist?.joined(client as unknown as RoomClient);
  } catch (err) {
    room.dropMember(client);
    if (err instanceof Rejection) throw new TickwireError(err.code === ErrorCode.COMMAND_REJECTED ? ErrorCode.JOIN_REFUSED : err.code, err.message);
    room.faults.record('onJoin', err);
    throw new TickwireError(ErrorCode.JOIN_REFUSED, 'the room could not admit this client (its game code failed)');
  }
}

/**
 * Puts a new connection in an existing membership (a resume, or the same user joining again): the
 * older connection, if still open, is told REPLACED and closed; the client starts over with a
 * full snapshot and a fresh input sequence.
 */
function takeOver<P extends GameProtocol>(room: Room<P>, client: RoomClient<P>, conn: ClientConnection, now: number, remoteAddress: string): RoomClient<P> {
  const old = client.connection;
  // The membership moves first, so closing the old connection does not count as it dropping.
  client.connection = conn;
  client.remoteAddress = remoteAddress;
  if (old) {
    old.send(room.codec.error(0, { code: ErrorCode.REPLACED, fatal: true, message: 'this player joined again from another connection' }));
    old.close(CloseCode.REPLACED, 'replaced by a newer connection of the same player');
  }
  client.disconnectedAt = 0;
  room.connectView(client);
  client.inputs.reset();
  client.lastInputSeq = 0;
  room.resumed(client);
  welcome(room, client, now, true);
  return client;
}

function welcome<P extends GameProtocol>(room: Room<P>, client: RoomClient<P>, now: number, resumed: boolean): void {
  const metadataOf = room.definition.metadata;
  let metadata = '{}';
  if (metadataOf) {
    // JSON.stringify runs inside the guard too: game data may hold a BigInt or a cycle.
    metadata = room.guard('metadata', () => JSON.stringify(metadataOf(room) ?? {}), '{}');
  }
  client.send(
    room.codec.welcome({
      room: room.code,
      clientId: client.id,
      entity: client.entity?.id ?? 0,
      tickRate: room.tickRate,
      snapshotRate: room.snapshotRate,
      tick: room.tick,
      tickEpoch: room.epoch,
      serverTime: now,
      resumeToken: client.resumeToken,
      metadata,
      resumed,
    }),
  );
  // The session follows WELCOME, so a client never sees a session event before its state.
  room.session?.welcomed(client);
}
