/**
 * What a host is: the piece that serves a runtime on a port (its HTTP API through `fetch`, its
 * WebSockets through `accept`). Two exist: the Node host (node:http and ws) and the
 * uWebSockets.js host. This file holds what they share, so that both answer the same way: the
 * address they report, how an upgrade they will not perform is refused, and how a host is named
 * in options and in the environment.
 */
import { STATUS_CODES } from 'node:http';

export interface ListenAddress {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
}

export interface HostOptions {
  /** Path of the WebSocket endpoint (default '/ws'). */
  wsPath?: string;
}

/** A server library serving one runtime. */
export interface Host {
  readonly wsPath: string;
  /** Starts listening (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<ListenAddress>;
  /** Stops accepting, lets the runtime shut down (clients told, rooms disposed), drops what is left. */
  close(): Promise<void>;
}

/** The hosts by name: `node` (node:http and ws, the default) and `uws` (uWebSockets.js). */
export type HostKind = 'node' | 'uws';

/**
 * The host named by `TICKWIRE_HOST` ('node' when unset or empty).
 *
 * @example
 * const server = createServer({ rooms, host: hostFromEnv() });
 */
export function hostFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): HostKind {
  const value = env.TICKWIRE_HOST?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'node') return 'node';
  if (value === 'uws') return 'uws';
  throw new RangeError(`TICKWIRE_HOST must be "node" or "uws", got "${(env.TICKWIRE_HOST ?? '').slice(0, 40)}"`);
}

/**
 * The uWebSockets.js host could not load its library: not installed, or not built for this Node.
 * Here, not beside the loader, so that the server's public types never name the optional package.
 */
export class UwsNotInstalledError extends Error {
  readonly code = 'UWS_NOT_INSTALLED';
}

/** The status line text of a status code ("404 Not Found"). */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/** The JSON body that refuses an upgrade (or any request a host answers itself). */
export function refusalBody(status: number, message: string): string {
  return JSON.stringify({ error: STATUS_CODES[status] ?? 'Error', message });
}

/** The WebSocket path (default '/ws'), checked to be a plain path: uWS reads ':' and '*' in a route as patterns. */
export function resolveWsPath(wsPath = '/ws'): string {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(wsPath)) throw new RangeError(`wsPath must be a plain absolute path such as '/ws', got '${wsPath.slice(0, 80)}'`);
  return wsPath;
}

/** The address a server bound, as URLs a local client can use (a wildcard becomes loopback). */
export function listenAddress(address: string, port: number, wsPath: string): ListenAddress {
  const ipv6 = address.includes(':');
  const h = ipv6 ? `[${address === '::' ? '::1' : address}]` : address === '0.0.0.0' ? '127.0.0.1' : address;
  const url = `http://${h}:${port}`;
  return { host: address, port, url, wsUrl: `ws://${h}:${port}${wsPath}` };
}

/** How a host's startup log names what it bound. */
export function boundName(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** How long a closing host lets HTTP responses in flight finish before it cuts their connections. */
export const HTTP_CLOSE_GRACE_MS = 1000;
