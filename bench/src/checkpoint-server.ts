/**
 * The scene server with or without persistence, for measuring what checkpoints cost the tick.
 * Every pilot's position is checkpointed each second when a database is given. With
 * `--durable N`, ships are a durable type and N more of them stand still (like an arena's walls):
 * a checkpoint should cost what moved, not what exists.
 *
 *   node --conditions=source --import tsx bench/src/checkpoint-server.ts [--db URL] [--durable N]
 *
 * GET /bench/ticks[?reset=1] answers exact tick duration percentiles.
 */
import { createServer, type Player } from '@tickwire/server';
import { openStorage } from '@tickwire/storage';
import { pino } from 'pino';
import { flags, num } from './args.js';
import { sceneRoom, type Scene } from './scene.js';

const f = flags();
const db = f.get('db');
const storage = db ? await openStorage({ url: db, logger: { warn: () => undefined } }) : undefined;
const standing = num(f, 'durable', 0);
const base = sceneRoom(0, 'turn');
const room = {
  ...base,
  setup: (r: Parameters<NonNullable<typeof base.setup>>[0]) => {
    const state = base.setup!(r);
    for (let i = 0; i < standing; i++) r.entities.create('ship', { position: { x: (i * 7.3) % 1000, y: (i * 3.1) % 1000 }, health: { hp: 100 } });
    return state;
  },
  persistence: {
    durable: standing > 0 ? ['ship'] : [],
    checkpointMs: 1000,
    player: {
      save: (_room: unknown, client: Player<Scene>) => {
        const ship = client.entity;
        return ship?.type === 'ship' ? { x: ship.position.x, y: ship.position.y, hp: ship.health.hp } : undefined;
      },
      load: () => undefined,
    },
  },
};
const server = createServer({
  rooms: room,
  storage,
  // The clients' tokens name them (anonymous identities would be new players every run).
  authenticate: ({ token }) => ({ userId: token }),
  logger: pino({ level: 'warn' }),
  processMetrics: false,
  limits: { messagesPerSecond: 1000, messageBurst: 1000 },
  routes: [{ method: 'GET', path: '/bench/ticks', handler: ({ url }) => server.metrics.tickPercentiles(url.searchParams.has('reset')) }],
});
const addr = await server.listen(0, '127.0.0.1');
server.handleSignals();
console.log(JSON.stringify({ url: addr.url, wsUrl: addr.wsUrl, pid: process.pid }));
