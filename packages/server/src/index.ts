/**
 * @tickwire/server: the authoritative room runtime.
 *
 * Declare a room with {@link defineRoom}, serve it with {@link createServer}. Game code sees
 * the room and its players through {@link Room} and {@link Player}; the runtime's own classes
 * (connections, the room manager, replication and interest encoders) are not part of the API.
 */
export { createServer, TickwireServer, type ServerOptions, type ListenAddress } from './server.js';
export { TickwireRuntime, type RuntimeOptions } from './runtime.js';
export { MemoryRegistry, checkRoomType, type RoomRegistry, type RoomClaim, type ReleaseOptions } from './registry.js';
export {
  MemoryProcessRegistry,
  leastLoaded,
  parseProcessInfo,
  checkProcessInfo,
  checkTtl,
  type ProcessInfo,
  type ProcessRecord,
  type ProcessRegistry,
} from './process-registry.js';
export { JoinTickets, JOIN_TICKET_TTL_MS, type JoinTicket } from './join-tickets.js';
export { ClusterMember, preferred, DEFAULT_DRAIN_DEADLINE_MS, type ClusterOptions } from './cluster.js';
export { MemoryBus, deliver, type BusFaultReporter, type BusHandler, type MessageBus } from './bus.js';
export { hostFromEnv, UwsNotInstalledError, type Host, type HostKind, type HostOptions } from './host.js';
export { NodeHost, type NodeHostOptions } from './node-host.js';
export { UwsHost, type UwsHostOptions } from './uws-host.js';
export {
  defineRoom,
  reject,
  Rejection,
  type RoomDefinition,
  type AnyRoomDefinition,
  type InputMeta,
  type CommandMeta,
  type CommandOutcome,
  type CommandHandlers,
  type System,
  type LeaveReason,
  type PersistenceDefinition,
} from './room-definition.js';
export type { Room, Player, Entities, Persist, EventTarget } from './game-api.js';
export type { Session, SessionDefinition, Seat, SeatChange, SeatChangeReason, SessionResultsInit } from './session-api.js';
export type { SessionStore, StoredSession, StoredSessionMember, StoredSessionResults } from './session-store.js';
export type { Identity } from './room-client.js';
export { JwtVerifier, type JwtDeps, type JwtOptions, type JwtSecretOptions, type JwtJwksOptions, type HmacAlgorithm, type PublicKeyAlgorithm } from './jwt-auth.js';
export type { JwksOptions } from './jwks-keys.js';
export { IdentityError, type AuthFailure } from './auth-error.js';
export type { AuthOptions, IdentityMode } from './identity.js';
export type { Route, RouteContext } from './http-routes.js';
export type { Entity, AnyEntity, EntityInit } from './entity-store.js';
export { defaultLimits, resolveLimits, type Limits } from './limits.js';
export { ROOM_CODE_PATTERN, type RoomTypes, type RoomsOption, type RoomResolver } from './room-manager.js';
export type { RoomStats, ServerStats } from './stats.js';
export { LagHistory, type LagCompensationOptions } from './lag-compensation.js';
export type { RoomStore, CheckpointBatch, StoredRoom, DurableEntityRow, PlayerCheckpointRow, CriticalStep, OnceOutcome } from './persistence.js';
export type { StaleOwner } from './persistence.js';
export type { InterestDefinition, Tier } from './interest.js';
export type { RecordOptions, RecordingInfo } from './recorder.js';
export { RecordingError, RecordingReader, readRecordingHeader, RECORDING_LIMITS, RECORDING_VERSION, type RecordingHeader, type RecordingEntry, type RecordedAction, type EntityState } from './recording.js';
export { replayRecording, type ReplayOptions, type ReplayResult } from './replay.js';
