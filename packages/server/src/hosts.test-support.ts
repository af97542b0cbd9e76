/**
 * Test support: the hosts as a table, so a host test runs each case on node:http + ws and on
 * uWebSockets.js (a devDependency, so always there: nothing here skips), with what legitimately
 * differs between them written down beside each host.
 */
import { connect } from 'node:net';
import { afterEach } from 'vitest';
import type { HostKind } from './host.js';
import { silent } from './harness.test-support.js';
import { createServer, type ServerOptions, type TickwireServer } from './server.js';

export interface HostCase {
  host: HostKind;
  /**
   * Whether the host answers requests its HTTP parser refuses (a request line that is not HTTP,
   * a target that is not a path, headers over its limit). node:http answers 400 or 431;
   * uWebSockets.js drops them without an answer, and the connection at its timeout.
   */
  answersUnparsable: boolean;
  /** The answer to 20 KB of headers: node:http's limit is 16 KB (431); uWebSockets.js reads far more. */
  bigHeaders: RegExp;
}

export const HOSTS: readonly HostCase[] = [
  { host: 'node', answersUnparsable: true, bigHeaders: /^HTTP\/1\.1 431/ },
  { host: 'uws', answersUnparsable: false, bigHeaders: /^HTTP\/1\.1 200/ },
];

/** Starts servers on a host, on 127.0.0.1 port 0; every one is closed after each test. */
export function serversOn(host: HostKind) {
  const servers: TickwireServer[] = [];
  afterEach(async () => {
    while (servers.length) await servers.pop()!.close();
  });
  return async (options: ServerOptions) => {
    const server = createServer({ logger: silent, processMetrics: false, ...options, host });
    servers.push(server);
    const addr = await server.listen(0, '127.0.0.1');
    return { server, ...addr };
  };
}

/**
 * Sends raw bytes and collects everything the server answers until it closes, or `waitMs`
 * passes (an upgraded connection stays open: its 101 head ends the wait).
 */
export function raw(port: number, request: string | Uint8Array, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      if (out.startsWith('HTTP/1.1 101') && out.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => socket.write(request));
  });
}

/** A WebSocket upgrade request for `target`, raw. */
export const upgrade = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
