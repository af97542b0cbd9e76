/**
 * @tickwire/client: the client SDK (browser and Node).
 *
 * `connect()` joins a room and returns a {@link ClientRoom}: replicated entities with
 * interpolated render values, events, inputs, commands, chat, clock sync, and reconnection by
 * itself after a drop. `anonymousIdentity()` gets a guest identity from a server that issues them.
 * With `connect({ gateway })` the SDK joins through a cluster's gateway; `serverAt()` tells a page
 * which of the two served it.
 */
export { connect, createClient, type ConnectOptions, type ClientOptions, type TickwireClient, type TokenSource } from './connect.js';
export {
  ClientRoom,
  type ClientRoomOptions,
  type ClientRoomEvents,
  type ChatLine,
  type CloseInfo,
  type ConnectionStatus,
  type ReconnectedInfo,
} from './client-room.js';
export { DEFAULT_RECONNECT, backoffDelay, isDrop, isTransient, type ReconnectOptions, type ReconnectingInfo } from './reconnect.js';
export { anonymousIdentity, type AnonymousIdentity, type AnonymousIdentityOptions } from './anonymous.js';
export { serverAt, type ServerAddress } from './gateway.js';
export {
  ClientSession,
  type ClientSessionEvents,
  type SessionMember,
  type SessionSeat,
  type SessionChatLine,
  type SessionResults,
} from './client-session.js';
export type { SessionsClient, SessionSummary, CreateSessionOptions, JoinSessionOptions } from './sessions.js';
export { ClientEntity, type ClientEntityOf } from './client-entity.js';
export { ReplicatedView, type ViewChanges } from './view.js';
export { ClockSync } from './clock-sync.js';
export { Emitter } from './emitter.js';
export { webSocketTransport, type WebSocketLike, type WebSocketConstructor } from './websocket-transport.js';
export { Predictor, type PredictionOptions, type PredictionStats, type RemoteSource } from './prediction.js';
