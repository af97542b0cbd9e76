/**
 * @tickwire/server: the authoritative room runtime.
 *
 * Declare a room with {@link defineRoom}, serve it with {@link createServer}.
 */
export { createServer, TickwireServer, type ServerOptions, type ListenAddress } from './server.js';
export { defineRoom, reject, Rejection, type RoomDefinition, type InputMeta, type CommandMeta, type LeaveReason, type CommandHandlers, type AnyRoomDefinition, type System } from './room-definition.js';
export { Room, type RoomHost, type EventTarget } from './room.js';
export { RoomClient, type Identity, type ClientConnection } from './room-client.js';
export { EntityStore, type Entity, type AnyEntity, type EntityInit } from './entity-store.js';
export { defaultLimits, resolveLimits, TokenBucket, type Limits } from './limits.js';
export { RoomManager, ROOM_CODE_PATTERN, type RoomResolver } from './room-manager.js';
export { ServerMetrics } from './metrics.js';
export { sendJson, type Route } from './http-routes.js';
export { Connection } from './connection.js';
export { transition, type ConnectionState, type ConnectionEvent } from './connection-state.js';
export type { RoomStats, ServerStats } from './stats.js';
export { LagHistory, type LagCompensationOptions } from './lag-compensation.js';
export { RoomPersistence, type RoomStore, type PersistenceDefinition, type CheckpointBatch, type StoredRoom, type DurableEntityRow, type PlayerCheckpointRow, type CriticalStep, type OnceOutcome, type RoomPersistenceOptions } from './persistence.js';
export { SpatialGrid, candidatesFor, type InterestDefinition, type Tier, type Candidate } from './interest.js';
export { InterestEncoder, InterestState } from './interest-replicator.js';
