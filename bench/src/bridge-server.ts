/**
 * The bridge example's server for measure-bridge.ts, in a process of its own so its CPU and
 * memory can be read from /proc: the bridge room type (sessions on), no page, no storage.
 * Prints one JSON line with its address and pid, and on SIGUSR2 (run with --expose-gc) collects
 * its garbage and prints the heap in use, so memory is read without the garbage of the moment.
 */
import { bridgeRoom } from '@tickwire/bridge/room';
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { flags, num } from './args.js';

const f = flags();
const server = createServer({ rooms: { bridge: bridgeRoom({ snapshotRate: num(f, 'snapshot-hz', 10) }) }, logger: pino({ level: 'warn' }) });
server.handleSignals();
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  console.log(JSON.stringify({ heapUsed: process.memoryUsage().heapUsed }));
});
const addr = await server.listen(0, '127.0.0.1');
console.log(JSON.stringify({ port: addr.port, pid: process.pid }));
