/**
 * The Colyseus server process for one run: @colyseus/core with its default ws transport or its
 * uWebSockets.js transport, one room type (with StateView or without), port 0 on 127.0.0.1,
 * matchmaking over HTTP as usual.
 *
 *   node --conditions=source --import tsx bench/src/suite/colyseus-server.ts --size 1000 [--view] [--transport ws|uws]
 */
import type { AddressInfo } from 'node:net';
import { Server, type Transport } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { flags, num } from '../args.js';
import { announce, serveStats } from './child-line.js';
import { colyseusArena, ROOM_NAME, type ColyseusCounters } from './colyseus-room.js';
import { meanNeighbours } from './rules.js';

/**
 * Colyseus's uWS transport, bound to 127.0.0.1 (its own `listen` binds every interface), with
 * the port it got. Loaded only for uWS runs, so a ws run never loads the native module.
 */
async function uwsTransport(): Promise<{ transport: Transport; port: () => number }> {
  // The transport imports its optional Express adapter at load and leaves the failure
  // unhandled; without Express installed (Colyseus's own matchmaking needs none) that
  // rejection is expected, and only that one is let through.
  process.on('unhandledRejection', (err) => {
    if (err instanceof Error && 'code' in err && err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes('uwebsockets-express')) return;
    throw err;
  });
  const [{ uWebSocketsTransport }, uws] = await Promise.all([import('@colyseus/uwebsockets-transport'), import('uWebSockets.js')]);
  let bound = 0;
  class LoopbackTransport extends uWebSocketsTransport {
    override listen(port: number, _hostname?: string, _backlog?: number, listening?: () => void): this {
      this.app.listen('127.0.0.1', port, (socket) => {
        if (socket) bound = uws.default.us_socket_local_port(socket);
        listening?.();
      });
      return this;
    }
  }
  return { transport: new LoopbackTransport(), port: () => bound };
}

function wsTransport(): { transport: Transport; port: () => number } {
  const transport = new WebSocketTransport();
  return { transport, port: () => (transport.server?.address() as AddressInfo | null)?.port ?? 0 };
}

const f = flags();
const transportName = f.get('transport') ?? 'ws';
if (transportName !== 'ws' && transportName !== 'uws') throw new Error(`--transport is ws or uws, not ${transportName}`);
const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const counters: ColyseusCounters = { clients: 0, inputs: 0, ticks: 0, positions: new Map() };
const { transport, port } = transportName === 'uws' ? await uwsTransport() : wsTransport();
const server = new Server({ transport, greet: false, gracefullyShutdown: false });
server.define(ROOM_NAME, colyseusArena({ size: num(f, 'size', 1000), view: f.has('view'), counters }));
await server.listen(0, '127.0.0.1');
if (port() === 0) throw new Error(`the Colyseus ${transportName} transport is not listening`);
serveStats((detail) => ({
  clients: counters.clients,
  inputs: counters.inputs,
  ticks: counters.ticks,
  ...(detail ? { neighbours: mean([...counters.positions.values()].map((positions) => meanNeighbours(positions()))) } : {}),
}));
announce({ ready: true, port: port(), pid: process.pid });
