/**
 * Persistence across packages, on SQLite and on PostgreSQL: rooms come back from their last
 * checkpoint, a stalled database does not stop ticks, and a server killed with SIGKILL at a
 * random moment loses no acknowledged transaction and applies none twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect as connectNode } from '@tickwire/client/node';
import { arena, type Arena } from '@tickwire/arena/protocol';
import { arenaRoom } from '@tickwire/arena/room';
import { ManualClock, createMemoryPipe, seededRandom } from '@tickwire/protocol';
import { createServer, type Entity, type Room, type RoomStore } from '@tickwire/server';
import { openStorage, type Storage } from '@tickwire/storage';
import { freshPostgresSchema, postgresAdmin, postgresReachable, postgresTestUrl } from '@tickwire/storage/testing';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '@tickwire/client';
import { afterAll, describe, expect, it } from 'vitest';
import { bank, bankRoom, depositKey } from './fixtures/bank.js';
import { silent } from './game.js';
import { unavailable } from './services.js';
import { waitFor } from './wait.js';

interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Holds a write lock on the player checkpoints for `ms` from another connection. */
  lock(url: string, ms: number): Promise<void>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-persist-'));
    return { url: join(dir, 'world.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  async lock(url, ms) {
    const db = new BetterSqlite3(url);
    db.exec('begin immediate');
    await new Promise((r) => setTimeout(r, ms));
    db.exec('commit');
    db.close();
  },
};

const pgUrl = postgresTestUrl();
const postgres: Backend = {
  name: 'postgres',
  fresh: () => freshPostgresSchema(pgUrl),
  async lock(url, ms) {
    await postgresAdmin(url, async (c) => {
      await c.query('begin');
      await c.query('lock table room_players in access exclusive mode');
      await new Promise((r) => setTimeout(r, ms));
      await c.query('commit');
    });
  },
};

const pgSkip = unavailable(
  `PostgreSQL at ${pgUrl}`,
  await postgresReachable(pgUrl),
  'start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL',
);
const backends = pgSkip ? [sqlite] : [sqlite, postgres];
const flush = () => new Promise<void>((r) => setImmediate(r));
const bankServer = fileURLToPath(new URL('./fixtures/bank-server.ts', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function database(backend: Backend) {
  const db = await backend.fresh();
  cleanups.push(db.drop);
  return db.url;
}

/** An arena server on a manual clock with storage at `url`. */
async function arenaWorld(url: string) {
  const clock = new ManualClock(1000);
  const storage = await openStorage({ url, logger: { warn: () => undefined } });
  const server = createServer({ rooms: arenaRoom({ random: seededRandom(1), reconnectWindowMs: 0 }), clock, storage, logger: silent, processMetrics: false });
  const step = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  const join = async (user: string) => {
    const [client, srv] = createMemoryPipe();
    server.accept(srv);
    let done = false;
    const p = connect({ transport: client, room: 'keep', name: user, token: `anon:${user}`, protocol: arena, clock }).finally(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) await step(10);
    return p;
  };
  const close = async () => {
    await server.close();
    await storage.close();
  };
  return { clock, storage, server, step, join, close };
}

describe.each(backends)('persistence on $name', (backend) => {
  it('brings walls and a returning player back after a restart', async () => {
    const url = await database(backend);
    const first = await arenaWorld(url);
    const ada = await first.join('ada');
    await first.step(200);
    const room = first.server.rooms.get('keep') as unknown as Room<Arena>;
    const ship = room.clients.get(ada.clientId)!.entity as Entity<Arena, 'ship'>;
    ship.position.x = 300;
    ship.position.y = 300;
    ship.pilot.resources = 37;
    await first.step(100);
    const built = ada.sendCommand('build', 'wall', { cx: 9, cy: 7 });
    await first.step(200);
    await built;
    expect(ship.pilot.resources).toBe(27);
    ship.pilot.score = 4;
    await first.step(1200); // a checkpoint picks up the score
    await first.close();

    const second = await arenaWorld(url);
    expect(await second.server.restoreRooms()).toEqual(['keep']);
    const restored = second.server.rooms.get('keep') as unknown as Room<Arena>;
    expect([...restored.entities.ofType('wall')].map((w) => [w.cell.cx, w.cell.cy])).toEqual([[9, 7]]);
    expect(second.server.roomSummary('keep')).toMatchObject({ durable: { wall: 1 }, entities: { wall: 1 } });
    const back = await second.join('ada');
    await second.step(200);
    const again = restored.clients.get(back.clientId)!.entity as Entity<Arena, 'ship'>;
    expect(again.pilot.resources).toBe(27);
    expect(again.pilot.score).toBe(4);
    expect(again.position.x).toBeCloseTo(300, 0);
    // A newcomer starts fresh.
    const bob = await second.join('bob');
    await second.step(100);
    expect((restored.clients.get(bob.clientId)!.entity as Entity<Arena, 'ship'>).pilot.resources).toBe(20);
    await second.close();
  }, 30_000);

  it('answers a build only once it is durable, and a failed commit undoes it', async () => {
    const url = await database(backend);
    const w = await arenaWorld(url);
    const ada = await w.join('ada');
    await w.step(200);
    const room = w.server.rooms.get('keep') as unknown as Room<Arena, { walls: Map<number, unknown> }>;
    const ship = room.clients.get(ada.clientId)!.entity as Entity<Arena, 'ship'>;
    ship.position.x = 300;
    ship.position.y = 300;
    await w.step(100);
    // Hold the writer: a store whose commits wait until released.
    const store = (room.persist as unknown as { store: RoomStore }).store;
    const realTransact = store.transact.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let fail = false;
    (store as { transact: RoomStore['transact'] }).transact = async (key, fn, options) => {
      await gate;
      if (fail) throw new Error('the database went away');
      return realTransact(key, fn, options);
    };
    let answered = false;
    const built = ada.sendCommand('build', 'wall', { cx: 9, cy: 7 }).then(() => (answered = true));
    await w.step(500);
    expect([...room.entities.ofType('wall')]).toHaveLength(1); // applied in memory...
    expect(answered).toBe(false); // ...but not answered before it is durable
    release();
    await waitFor(() => answered, 3000, 'the build result');
    await built;
    fail = true;
    const second = ada.sendCommand('build', 'wall', { cx: 10, cy: 7 }).then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await w.step(100);
    await waitFor(() => room.state.walls.size === 1, 3000, 'the failed wall to be undone');
    expect(await second).toBe('the command failed on the server');
    expect(ship.pilot.resources).toBe(10);
    (store as { transact: RoomStore['transact'] }).transact = realTransact;
    await w.close();
  }, 30_000);

  it('keeps ticking while the database is locked for seconds, then drains its queue', async () => {
    const url = await database(backend);
    const storage = await openStorage({ url, logger: { warn: () => undefined } });
    cleanups.push(() => storage.close());
    const server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0, checkpointMs: 100 }), storage, logger: silent, processMetrics: false });
    const addr = await server.listen(0, '127.0.0.1');
    try {
      const ada = await connectNode({ url: addr.wsUrl, room: 'busy', name: 'ada', token: 'anon:ada', protocol: arena });
      const mover = setInterval(() => ada.sendInput({ dx: Math.random() < 0.5 ? 1 : -1, dy: 0, aim: 0 }), 50);
      const room = server.rooms.get('busy') as unknown as Room<Arena>;
      await waitFor(() => room.persist!.lastCommittedAt !== null, 3000, 'a first checkpoint');
      const tick0 = room.tick;
      let maxDepth = 0;
      const probe = setInterval(() => (maxDepth = Math.max(maxDepth, room.persist!.queueDepth)), 10);
      const lockedAt = Date.now();
      await backend.lock(url, 2000);
      const ticksDuringLock = room.tick - tick0;
      const heldMs = Date.now() - lockedAt;
      // 20 ticks a second went on while the lock was held...
      expect(ticksDuringLock).toBeGreaterThanOrEqual(Math.floor((heldMs / 1000) * 20 * 0.7));
      // ...and waiting checkpoints were folded together instead of piling up.
      expect(maxDepth).toBeLessThanOrEqual(2);
      // After the lock, the queue drains and the checkpoint is fresh again.
      await waitFor(() => room.persist!.queueDepth === 0 && (room.persist!.lastCommittedAt ?? 0) > lockedAt + heldMs, 5000, 'the queue to drain');
      clearInterval(mover);
      clearInterval(probe);
      ada.disconnect();
    } finally {
      await server.close();
    }
  }, 30_000);

  it('loses no acknowledged deposit and applies none twice across kill -9 cycles', async () => {
    const url = await database(backend);
    const user = 'anon:crash-user';
    const amounts = new Map<number, number>();
    const acked = new Set<number>();
    const random = seededRandom(backend.name === 'sqlite' ? 11 : 12);
    let nextTxid = 1;
    const cycles = 3;
    const storage = await openStorage({ url, logger: { warn: () => undefined } });
    cleanups.push(() => storage.close());

    const start = async (): Promise<{ child: ChildProcess; wsUrl: string }> => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bankServer, url], { stdio: ['ignore', 'pipe', 'inherit'] });
      const wsUrl = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`bank server exited with ${code}`)));
        createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { wsUrl: string }).wsUrl));
      });
      return { child, wsUrl };
    };
    const storedBalance = async () => ((await storage.loadRoom('vault'))?.players.find((p) => p.userId === user)?.data as { balance?: number } | undefined)?.balance ?? 0;
    const committedSum = async () => {
      let sum = 0;
      for (const [txid, amount] of amounts) if (await storage.isCommitted(depositKey(user, txid))) sum += amount;
      return sum;
    };

    for (let cycle = 0; cycle < cycles; cycle++) {
      const { child, wsUrl } = await start();
      const room = await connectNode({ url: wsUrl, room: 'vault', name: 'depositor', token: user, protocol: bank, commandTimeoutMs: 5000 });
      room.on('error', () => undefined);
      let running = true;
      const inFlight = new Set<Promise<void>>();
      const deposit = (txid: number) => {
        const p = room.sendCommand('bank', 'deposit', { txid, amount: amounts.get(txid)! }).then(
          () => void acked.add(txid),
          () => undefined,
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      };
      const pump = async () => {
        while (running) {
          while (running && inFlight.size < 8) {
            const txid = nextTxid++;
            amounts.set(txid, 1 + Math.floor(random() * 100));
            deposit(txid);
          }
          await Promise.race([...inFlight, new Promise((r) => setTimeout(r, 20))]);
        }
      };
      const pumping = pump();
      const killAt = 300 + random() * 700;
      await new Promise((r) => setTimeout(r, killAt));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      running = false;
      await new Promise((r) => child.once('exit', r));
      await pumping;
      await Promise.allSettled([...inFlight]);
      // Nothing acknowledged is lost, nothing is applied twice: the stored balance is exactly
      // the sum of the deposits whose keys committed, and every acknowledged key committed.
      for (const txid of acked) expect(await storage.isCommitted(depositKey(user, txid))).toBe(true);
      expect(await storedBalance()).toBe(await committedSum());
      // The last checkpoint is no older than its interval (200 ms) plus a tick, and a write.
      const at = (await storage.loadRoom('vault'))?.checkpointAt ?? 0;
      expect(killedAt - at).toBeLessThanOrEqual(200 + 50 + 250);
    }

    // Restart once more and retry everything not acknowledged: each applies exactly once.
    const { child, wsUrl } = await start();
    try {
      const room = await connectNode({ url: wsUrl, room: 'vault', name: 'depositor', token: user, protocol: bank });
      for (const [txid, amount] of amounts) {
        if (!acked.has(txid)) await room.sendCommand('bank', 'deposit', { txid, amount });
      }
      await waitFor(() => false, 400).catch(() => undefined); // let the last checkpoint land
      const total = [...amounts.values()].reduce((a, b) => a + b, 0);
      expect(await storedBalance()).toBe(total);
      console.log(`${backend.name}: ${cycles} kill -9 cycles, ${amounts.size} deposits sent, ${acked.size} acknowledged before a kill, 0 lost, 0 doubled`);
      room.disconnect();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
