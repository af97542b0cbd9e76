/**
 * The SDK for Node: `connect` with the `ws` package as the WebSocket (Node 20 has no global
 * WebSocket). Browsers import from '@tickwire/client' instead.
 */
import WebSocket from 'ws';
import type { GameProtocol } from '@tickwire/protocol';
import { connect as connectWith, createClient as createClientWith, type ClientOptions, type ConnectOptions, type TickwireClient } from './connect.js';
import type { ClientRoom } from './client-room.js';
import type { WebSocketConstructor } from './websocket-transport.js';

export * from './index.js';

/** Connects from Node with `ws`. */
export function connect<P extends GameProtocol>(options: ConnectOptions<P>): Promise<ClientRoom<P>> {
  return connectWith({ WebSocket: WebSocket as unknown as WebSocketConstructor, ...options });
}

/** A client for one server from Node with `ws`: `join(code, options)` and `create(type, options)`. */
export function createClient<P extends GameProtocol>(options: ClientOptions<P>): TickwireClient<P> {
  return createClientWith({ WebSocket: WebSocket as unknown as WebSocketConstructor, ...options });
}
