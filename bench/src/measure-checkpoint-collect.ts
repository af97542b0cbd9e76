/**
 * What a checkpoint costs the tick, in one process and on a stepped clock (so other load on the
 * machine moves the figures less than a socket benchmark's): 200 moving durable ships and
 * `--standing N` durable ships that never move (an arena's walls), SQLite in memory. Each tick is
 * timed around `room.step()`; the ticks that queued a checkpoint are compared with the others.
 *
 *   node --conditions=source --import tsx bench/src/measure-checkpoint-collect.ts [--standing 2000] [--seconds 60]
 */
import { ManualClock } from '@tickwire/protocol';
import { createServer } from '@tickwire/server';
import { openStorage } from '@tickwire/storage';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { sceneRoom } from './scene.js';

const f = flags();
const standing = num(f, 'standing', 2000);
const seconds = num(f, 'seconds', 60);
const storage = await openStorage({ url: ':memory:', logger: { warn: () => undefined } });
// Counts the checkpoints handed to the database, to tell checkpoint ticks from the others.
let writes = 0;
const write = storage.writeCheckpoint.bind(storage);
const store = Object.assign(Object.create(storage) as typeof storage, {
  writeCheckpoint: (batch: Parameters<typeof write>[0]) => {
    writes++;
    return write(batch);
  },
});
const base = sceneRoom(200, 'turn');
const room = {
  ...base,
  // No client ever joins: keep the empty room open for the whole run.
  emptyGraceMs: 3_600_000,
  setup: (r: Parameters<NonNullable<typeof base.setup>>[0]) => {
    const state = base.setup!(r);
    for (let i = 0; i < standing; i++) r.entities.create('ship', { position: { x: (i * 7.3) % 1000, y: (i * 3.1) % 1000 }, health: { hp: 100 } });
    return state;
  },
  persistence: { durable: ['ship'], checkpointMs: 1000 },
};
const clock = new ManualClock(0);
const server = createServer({ rooms: room, clock, storage: store, logger: pino({ level: 'silent' }), processMetrics: false });
const opened = await server.rooms.open('collect');
if (opened instanceof Error) throw opened;
const normal: number[] = [];
const checkpoint: number[] = [];
for (let i = 1; i <= 20 * seconds; i++) {
  clock.advance(50);
  const before = writes;
  const started = performance.now();
  opened.step();
  const ms = performance.now() - started;
  // The first 10 s warm the JIT up.
  if (i > 200) (writes > before ? checkpoint : normal).push(ms);
  // Let the write finish between ticks (as the 50 ms between real ticks would), so every
  // checkpoint reaches the database from its own tick instead of folding into a waiting one.
  for (let k = 0; k < 50; k++) await new Promise((r) => setImmediate(r));
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
const round = (v: number) => Math.round(v * 1000) / 1000;
console.log(
  JSON.stringify({
    moving: 200,
    standing,
    checkpoints: checkpoint.length,
    tick_median_ms: round(median(normal)),
    checkpoint_tick_median_ms: round(median(checkpoint)),
  }),
);
await server.close();
await storage.close();
