/**
 * @tickwire/server/internal: the runtime's own classes, for this repository's tests, benches
 * and tools that look inside a running room (its members' acknowledgements, its persistence queue,
 * its fault counters).
 *
 * Not a stable API: anything here may change in any release. Game code needs none of it; it
 * gets the room and its players as `Room` and `Player` from `@tickwire/server`.
 */
export { Room as RoomRuntime, type RoomHost } from './room.js';
export { RoomClient, type ClientConnection } from './room-client.js';
export { EntityStore } from './entity-store.js';
export { RoomManager, type RoomResolver } from './room-manager.js';
export { Connection } from './connection.js';
export { transition, type ConnectionState, type ConnectionEvent } from './connection-state.js';
export { RoomPersistence, type RoomPersistenceOptions } from './persistence.js';
export { Candidates, SpatialGrid, candidatesFor, tierRadii2 } from './interest.js';
export { InterestEncoder, InterestState } from './interest-replicator.js';
export { stateHash, entityStates, RecordingWriter } from './recording.js';
export { ServerMetrics } from './metrics.js';
export { TokenBucket } from './limits.js';
export { Session as SessionRuntime } from './session.js';
export { hashPassword, verifyPassword } from './session-password.js';
// What a gateway in front of a cluster shares with the processes: the HTTP router and its JSON
// answers, identity from the same options and environment, generated room codes, node:http serving.
export { router, json, type Fallback } from './http-routes.js';
export { setupIdentity, bearerToken, type IdentitySetup, type Env } from './identity.js';
export { generateRoomCode } from './room-manager.js';
export { requestListener, type RequestListenerOptions } from './node-host.js';
export { staticFiles } from './static-files.js';
