/**
 * Persistence across packages, on SQLite and on PostgreSQL: rooms come back from their last
 * checkpoint, a stalled database does not stop ticks, and a server killed with SIGKILL at a
 * random moment loses no acknowledged transaction and applies none twice, even when a deposit
 * is sent twice at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect as connectNode } from '@tickwire/client/node';
import { arena, type Arena } from '@tickwire/arena/protocol';
import { arenaRoom } from '@tickwire/arena/room';
import { seededRandom } from '@tickwire/protocol';
import { createServer, type Entity } from '@tickwire/server';
import type { RoomRuntime as Room } from '@tickwire/server/internal';
import { openStorage, type Storage } from '@tickwire/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { bank, depositKey } from './fixtures/bank.js';
import { silent } from './game.js';
import { backends, byToken, databases, FaultyStore, quiet, steppedWorld } from './persistence-support.js';
import { waitFor } from './wait.js';

const dbs = databases();
/** Bank servers started here, killed at the end whatever happened to the test that started them. */
const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await dbs.dropAll();
});
const database = dbs.fresh;
const bankServer = fileURLToPath(new URL('./fixtures/bank-server.ts', import.meta.url));

/** An arena server on a manual clock with storage at `url` (optionally behind a fault injector). */
function arenaWorld(url: string, faulty?: (store: FaultyStore) => void) {
  return steppedWorld(url, arenaRoom({ random: seededRandom(1), reconnectWindowMs: 0 }), (storage: Storage) => {
    const store = new FaultyStore(storage);
    faulty?.(store);
    return store;
  });
}

/** The arena room `code` with its types. */
function arenaRoomOf(world: { server: { rooms: { get(code: string): Room | undefined } } }, code: string): Room<Arena, { walls: Map<number, unknown> }> {
  const room = world.server.rooms.get(code);
  if (!room) throw new Error(`no room ${code}`);
  return room as Room<Arena, { walls: Map<number, unknown> }>;
}

function shipOf(room: Room<Arena>, clientId: number): Entity<Arena, 'ship'> {
  const e = room.clients.get(clientId)?.entity;
  if (!e || e.type !== 'ship') throw new Error(`client ${clientId} has no ship`);
  return e;
}

describe.each(backends)('persistence on $name', (backend) => {
  it('brings walls and a returning player back after a restart', async () => {
    const url = await database(backend);
    const first = await arenaWorld(url);
    const ada = await first.join(arena, 'keep', 'ada');
    await first.step(200);
    const room = arenaRoomOf(first, 'keep');
    const ship = shipOf(room, ada.clientId);
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
    const restored = arenaRoomOf(second, 'keep');
    expect([...restored.entities.ofType('wall')].map((w) => [w.cell.cx, w.cell.cy])).toEqual([[9, 7]]);
    expect(second.server.roomSummary('keep')).toMatchObject({ durable: { wall: 1 }, entities: { wall: 1 } });
    const back = await second.join(arena, 'keep', 'ada');
    await second.step(200);
    const again = shipOf(restored, back.clientId);
    expect(again.pilot.resources).toBe(27);
    expect(again.pilot.score).toBe(4);
    expect(again.position.x).toBeCloseTo(300, 0);
    // A newcomer starts fresh.
    const bob = await second.join(arena, 'keep', 'bob');
    await second.step(100);
    expect(shipOf(restored, bob.clientId).pilot.resources).toBe(20);
    await second.close();
  }, 30_000);

  it('answers a build only once it is durable, and a failed commit undoes it', async () => {
    const url = await database(backend);
    let store: FaultyStore | undefined;
    const w = await arenaWorld(url, (s) => (store = s));
    const ada = await w.join(arena, 'keep', 'ada');
    await w.step(200);
    const room = arenaRoomOf(w, 'keep');
    const ship = shipOf(room, ada.clientId);
    ship.position.x = 300;
    ship.position.y = 300;
    await w.step(100);
    // Hold the writer: commits wait until released.
    store!.hold();
    let answered = false;
    const built = ada.sendCommand('build', 'wall', { cx: 9, cy: 7 }).then(() => (answered = true));
    await w.step(100);
    await waitFor(() => room.state.walls.size === 1, 3000, 'the wall to be applied in memory');
    await w.step(400);
    expect(answered).toBe(false); // applied in memory, but not answered before it is durable
    store!.release();
    await waitFor(() => answered, 3000, 'the build result');
    await built;
    store!.failing = true;
    const second = ada.sendCommand('build', 'wall', { cx: 10, cy: 7 }).then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await w.step(100);
    await waitFor(() => room.state.walls.size === 1 && ship.pilot.resources === 10, 3000, 'the failed wall to be undone');
    await w.step(300); // past the writer's back-off
    expect(await second).toBe('the command failed on the server');
    expect(ship.pilot.resources).toBe(10);
    store!.failing = false;
    await w.close();
  }, 30_000);

  it('keeps ticking while the database is locked for seconds, then drains its queue', async () => {
    const url = await database(backend);
    const storage = await openStorage({ url, logger: quiet });
    dbs.defer(() => storage.close());
    const server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0, checkpointMs: 100 }), storage, logger: silent, processMetrics: false, authenticate: byToken });
    const addr = await server.listen(0, '127.0.0.1');
    try {
      const ada = await connectNode({ url: addr.wsUrl, room: 'busy', name: 'ada', token: 'ada', protocol: arena });
      const mover = setInterval(() => ada.sendInput({ dx: Math.random() < 0.5 ? 1 : -1, dy: 0, aim: 0 }), 50);
      const room = arenaRoomOf({ server }, 'busy');
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

  it('loses no acknowledged deposit and applies none twice across kill -9 cycles, duplicates sent at once included', async () => {
    const url = await database(backend);
    const user = 'crash-user';
    const amounts = new Map<number, number>();
    const acked = new Set<number>();
    const random = seededRandom(backend.name === 'sqlite' ? 11 : 12);
    let nextTxid = 1;
    let duplicates = 0;
    const cycles = 3;
    const storage = await openStorage({ url, logger: quiet });
    dbs.defer(() => storage.close());

    const start = async (): Promise<{ child: ChildProcess; wsUrl: string }> => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bankServer, url], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.add(child);
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
      const cycleStartedAt = Date.now();
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
            // Now and then the same deposit again at once (a client retrying too eagerly).
            if (random() < 0.25) {
              duplicates++;
              deposit(txid);
            }
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
      room.disconnect();
      await pumping;
      await Promise.allSettled([...inFlight]);
      // Nothing acknowledged is lost, nothing is applied twice: the stored balance is exactly
      // the sum of the deposits whose keys committed, and every acknowledged key committed.
      for (const txid of acked) expect(await storage.isCommitted(depositKey(user, txid))).toBe(true);
      expect(await storedBalance()).toBe(await committedSum());
      // The room was checkpointed during this cycle, not only before it.
      const at = (await storage.loadRoom('vault'))?.checkpointAt ?? 0;
      expect(at).toBeGreaterThanOrEqual(cycleStartedAt);
      expect(at).toBeLessThanOrEqual(killedAt);
    }

    // Restart once more and retry everything not acknowledged: each applies exactly once.
    const { child, wsUrl } = await start();
    try {
      const room = await connectNode({ url: wsUrl, room: 'vault', name: 'depositor', token: user, protocol: bank });
      for (const [txid, amount] of amounts) {
        if (!acked.has(txid)) await room.sendCommand('bank', 'deposit', { txid, amount });
      }
      // Every deposit committed with the balance in the same transaction: no checkpoint to wait for.
      const total = [...amounts.values()].reduce((a, b) => a + b, 0);
      expect(await storedBalance()).toBe(total);
      console.log(`${backend.name}: ${cycles} kill -9 cycles, ${amounts.size} deposits sent (${duplicates} twice at once), ${acked.size} acknowledged before a kill, 0 lost, 0 doubled`);
      room.disconnect();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
