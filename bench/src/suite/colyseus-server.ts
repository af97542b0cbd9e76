/**
 * The Colyseus server process for one run: @colyseus/core with its ws transport, one room type,
 * port 0, matchmaking over HTTP as usual.
 *
 *   node --conditions=source --import tsx bench/src/suite/colyseus-server.ts --size 1000
 */
import type { AddressInfo } from 'node:net';
import { Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { flags, num } from '../args.js';
import { announce, serveStats } from './child-line.js';
import { colyseusArena, ROOM_NAME, type ColyseusCounters } from './colyseus-room.js';
import { meanNeighbours } from './rules.js';

const f = flags();
const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const counters: ColyseusCounters = { clients: 0, inputs: 0, positions: new Map() };
const transport = new WebSocketTransport();
const server = new Server({ transport, greet: false, gracefullyShutdown: false });
server.define(ROOM_NAME, colyseusArena(num(f, 'size', 1000), counters));
await server.listen(0, '127.0.0.1');
const address = transport.server?.address() as AddressInfo | null;
if (!address) throw new Error('the Colyseus transport is not listening');
serveStats((detail) => ({
  clients: counters.clients,
  inputs: counters.inputs,
  ...(detail ? { neighbours: mean([...counters.positions.values()].map((positions) => meanNeighbours(positions()))) } : {}),
}));
announce({ ready: true, port: address.port, pid: process.pid });
