/**
 * Chaos: a gateway and three game processes, each a real process (`tickwire gateway` and
 * `tickwire serve`) on port 0, sharing a fresh Redis key prefix and a fresh PostgreSQL schema.
 * Ten vault rooms with two bots each, joined through the gateway, play (inputs) and deposit
 * (critical transactions, each retried with its txid until acknowledged). Then:
 *
 * 1. kill -9 the process that owns the most rooms: each of its rooms opens again on another
 *    process, and each of its bots comes back by itself, as the same user, and plays on;
 * 2. SIGSTOP the process that now owns the most: once its rooms are taken over, SIGCONT: the
 *    checkpoints it tries are refused (its log says so; its mark in storage never moves again)
 *    and it closes its copies;
 * 3. SIGTERM the other: it drains: the gateway places nothing there and it opens nothing; a room
 *    whose players leave closes at once and is released; at the deadline the rest are handed off
 *    (their players see the drain's close and resume on the last process); it exits with 0.
 *
 * Throughout, a watch samples the room registry, the stored owner epochs and the processes'
 * lists of open rooms: no room ever has two owners, and no epoch goes back. At the end every
 * acknowledged deposit is in storage, and every stored balance is exactly the sum of its
 * player's acknowledged deposits (nothing lost, nothing applied twice).
 */
import { connect } from '@tickwire/client/node';
import { ErrorCode } from '@tickwire/protocol';
import { JoinTickets } from '@tickwire/server';
import { openStorage, type Storage } from '@tickwire/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl } from '../../packages/redis/src/redis.test-support.js';
import { Bot, busiest, byProcess, ChildCluster, OwnershipWatch, type GameProcess } from './chaos-support.js';
import { clusterServicesMissing, freshServices } from './cluster-services.js';
import { depositKey } from './fixtures/bank.js';
import { chaos } from './fixtures/chaos-rooms.js';
import { eventually } from './wait.js';

const skip = await clusterServicesMissing();

const SECRET = 'the chaos test deployment secret, 32 bytes';
const ADMIN_TOKEN = 'chaos-test-admin-token-0123456789';
/** Faster than production (a killed process's rooms move within about 3 s), slow enough that a busy machine never makes a live process look dead. */
const TIMING = { TICKWIRE_HEARTBEAT_MS: '500', TICKWIRE_PROCESS_TTL_MS: '3000', TICKWIRE_DRAIN_DEADLINE_MS: '4000' };
/** Waiting on something that takes a few seconds when the machine is idle. */
const WAIT_MS = 30_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

/** The `beats` of `owner`'s mark in room `code` as stored (undefined: none stored). */
async function storedMark(storage: Storage, code: string, owner: string): Promise<number | undefined> {
  const room = await storage.loadRoom(code);
  for (const row of room?.entities ?? []) {
    const mark = (row.data as { mark?: { owner?: unknown; beats?: unknown } }).mark;
    if (row.type === 'mark' && mark?.owner === owner && typeof mark.beats === 'number') return mark.beats;
  }
  return undefined;
}

/** Each room's stored owner epoch. */
async function storedEpochs(storage: Storage): Promise<Map<string, number>> {
  const rows = await storage.db.selectFrom('rooms').select(['code', 'owner_epoch']).execute();
  return new Map(rows.map((r) => [r.code, Number(r.owner_epoch)]));
}

/** Whether `p` logged that storage refused a write of room `code` with the STALE_OWNER code. */
function refusedIn(p: GameProcess, code: string): boolean {
  return p.child.entries().some((e) => e.room === code && (e.err as { code?: unknown } | undefined)?.code === 'STALE_OWNER');
}

describe.skipIf(skip !== undefined)('chaos: a gateway and three game processes, each a process of its own', () => {
  it('kill -9, a paused owner and a drain: rooms reopen, bots resume, no acknowledged deposit is lost, no room has two owners', { timeout: 120_000 }, async () => {
    const startedAt = Date.now();
    const { prefix, databaseUrl } = await freshServices('chaos', cleanup);
    const cluster = await ChildCluster.start({ redisUrl, prefix, databaseUrl, secret: SECRET, adminToken: ADMIN_TOKEN, processEnv: TIMING }, ['p1', 'p2', 'p3']);
    cleanup.push(() => cluster.close());
    const storage = await openStorage({ url: databaseUrl, logger: { warn: () => undefined } });
    cleanup.push(() => storage.close());
    const watch = new OwnershipWatch(cluster, storage);
    watch.start();
    cleanup.push(() => watch.stop());
    const ids = ['p1', 'p2', 'p3'];

    // Ten rooms, each created through the gateway by one bot and joined by a second.
    const rooms = new Map<string, Bot[]>(
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const first = await Bot.join(cluster.gateway, { create: 'vault' }, `r${i}a`);
          const second = await Bot.join(cluster.gateway, { room: first.room.code }, `r${i}b`);
          return [first.room.code, [first, second]] satisfies [string, Bot[]];
        }),
      ),
    );
    const bots = [...rooms.values()].flat();
    cleanup.push(async () => {
      for (const b of bots) b.close();
    });
    for (const b of bots) b.start();
    await eventually(() => bots.every((b) => b.playing && b.acked.size > 0), 'every bot playing and with a deposit acknowledged', WAIT_MS);
    console.log(`chaos: ${bots.length} bots playing in ${rooms.size} rooms ${Date.now() - startedAt} ms after the start`);
    const botsIn = (codes: readonly string[]) => codes.flatMap((c) => rooms.get(c)!);
    /** Each room has its own bots' users in it, connected, where it is open now. */
    const expectSameUsers = async (codes: readonly string[]) => {
      const open = await cluster.openRooms();
      for (const code of codes) {
        const listed = (await cluster.roomsOf(open.get(code)!.process))?.find((r) => r.code === code);
        expect(listed?.players.map((p) => [p.userId, p.connected]).sort(), code).toEqual(rooms.get(code)!.map((b) => [b.userId, true]).sort());
      }
    };

    // 1. kill -9 the process with the most rooms.
    const placed = await cluster.openRooms();
    expect([...placed.keys()].sort()).toEqual([...rooms.keys()].sort());
    const [victim, victimRooms] = busiest(placed, ids);
    expect(victimRooms.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    cluster.process(victim).child.signal('SIGKILL');
    const afterKill = await eventually(
      async () => {
        const open = await cluster.openRooms();
        return victimRooms.every((c) => open.get(c) && open.get(c)!.process !== victim && open.get(c)!.epoch > placed.get(c)!.epoch) && open;
      },
      `the rooms of ${victim} open elsewhere`,
      WAIT_MS,
    );
    const reopenedMs = Date.now() - killedAt;
    const victimBots = botsIn(victimRooms);
    await eventually(() => victimBots.every((b) => b.reconnects.some((r) => r.at > killedAt) && b.playing), 'the bots of the killed process back and playing', WAIT_MS);
    const resumedMs = Date.now() - killedAt;
    console.log(`chaos: kill -9 of ${victim}: its ${victimRooms.length} rooms open elsewhere after ${reopenedMs} ms, their ${victimBots.length} bots playing after ${resumedMs} ms`);
    expect(reopenedMs).toBeLessThan(15_000);
    await cluster.process(victim).child.exited;
    for (const b of victimBots) expect(b.drops.find((d) => d.at >= killedAt)?.code).toBe(1006); // the socket died with the process
    await expectSameUsers(victimRooms);
    const live = ids.filter((id) => id !== victim);

    // 2. SIGSTOP the process with the most rooms now; SIGCONT it once they are taken over.
    const beforePause = await cluster.openRooms();
    const [paused, pausedRooms] = busiest(beforePause, live);
    const [other] = live.filter((id) => id !== paused) as [string];
    expect(pausedRooms.length).toBeGreaterThan(0);
    const pausedProcess = cluster.process(paused);
    watch.waking.add(paused);
    const pausedAt = Date.now();
    pausedProcess.child.signal('SIGSTOP');
    await eventually(
      async () => {
        const open = await cluster.openRooms();
        return pausedRooms.every((c) => open.get(c)?.process === other && open.get(c)!.epoch > beforePause.get(c)!.epoch) || undefined;
      },
      `the rooms of the paused ${paused} taken over by ${other}`,
      WAIT_MS,
    );
    console.log(`chaos: ${paused} paused: its ${pausedRooms.length} rooms open on ${other} after ${Date.now() - pausedAt} ms`);
    // What the paused process last wrote, and the owner epochs the new owner acquired.
    const marks = new Map(await Promise.all(pausedRooms.map(async (c) => [c, await storedMark(storage, c, paused)] as const)));
    for (const c of pausedRooms) expect(marks.get(c)).toBeGreaterThan(0);
    const epochsAtTakeover = await storedEpochs(storage);
    pausedProcess.child.signal('SIGCONT');
    // It tries to write each room, storage refuses its epoch, and it closes its copies.
    await eventually(() => pausedRooms.every((c) => refusedIn(pausedProcess, c)), `${paused} to log storage refusing its writes`, WAIT_MS);
    await eventually(async () => (await cluster.roomsOf(paused))?.every((r) => !pausedRooms.includes(r.code)), `${paused} to close its copies`, WAIT_MS);
    watch.waking.delete(paused);
    for (const c of pausedRooms) expect(await storedMark(storage, c, paused)).toBe(marks.get(c));
    const epochsAfterWake = await storedEpochs(storage);
    for (const c of pausedRooms) expect(epochsAfterWake.get(c)).toBe(epochsAtTakeover.get(c));
    const pausedBots = botsIn(pausedRooms);
    await eventually(() => pausedBots.every((b) => b.reconnects.some((r) => r.at > pausedAt) && b.playing), 'the bots of the paused process back and playing', WAIT_MS);
    await expectSameUsers(pausedRooms);

    // 3. SIGTERM the process that runs every room now: it drains.
    const beforeDrain = await cluster.openRooms();
    const drainer = other;
    const drainerProcess = cluster.process(drainer);
    const drainRooms = byProcess(beforeDrain).get(drainer) ?? [];
    expect(drainRooms.length).toBeGreaterThan(1);
    const [leftCode, ...handedOff] = drainRooms as [string, ...string[]];
    const termAt = Date.now();
    drainerProcess.child.signal('SIGTERM');
    await eventually(async () => (await cluster.processRegistry.get(drainer))?.draining, `${drainer} draining in the registry`, WAIT_MS);
    // The players of one room leave: it closes at once.
    const leavers = rooms.get(leftCode)!;
    const leaving = Promise.all(leavers.map((b) => b.leave()));
    expect((await (await fetch(new URL('/api/health', drainerProcess.httpUrl))).json()).status).toBe('draining');
    // It opens no room, even with a ticket for one...
    const ticket = await new JoinTickets(SECRET).issue({ userId: 'late', name: 'late', room: 'late-room', type: 'vault', process: drainer });
    await expect(connect({ url: drainerProcess.url, room: 'late-room', token: ticket, protocol: chaos, reconnect: false })).rejects.toMatchObject({ code: ErrorCode.SHUTTING_DOWN });
    // ...and the gateway places new rooms elsewhere.
    const late = await Bot.join(cluster.gateway, { create: 'vault' }, 'late');
    expect((await cluster.registry.lookup(late.room.code))?.owner).toBe(paused);
    late.room.leave();
    await leaving;
    await eventually(async () => (await cluster.roomsOf(drainer))?.every((r) => r.code !== leftCode), `the emptied room ${leftCode} to close`, WAIT_MS);
    // Released (once its final checkpoint is written), not handed off: nobody holds it and nobody is to take it over.
    await eventually(async () => (await cluster.registry.lookup(leftCode)) === undefined, `the emptied room ${leftCode} released`, WAIT_MS);
    expect((await cluster.registry.orphans()).map((o) => o.code)).not.toContain(leftCode);
    // At the deadline the rest are checkpointed and handed off; the process exits cleanly.
    expect(await drainerProcess.child.exited).toEqual({ code: 0, signal: null });
    const drainedBots = botsIn(handedOff);
    await eventually(() => drainedBots.every((b) => b.reconnects.some((r) => r.at > termAt) && b.playing), 'the drained bots back and playing', WAIT_MS);
    console.log(`chaos: ${drainer} drained and exited after ${Date.now() - termAt} ms; its players are back on ${paused}`);
    for (const b of drainedBots) expect(b.drops.find((d) => d.at >= termAt)).toMatchObject({ code: 1001, reason: 'server shutting down' });
    const end = await cluster.openRooms();
    for (const c of handedOff) expect(end.get(c)?.process).toBe(paused);
    expect(end.has(leftCode)).toBe(false);
    await expectSameUsers(handedOff);

    // Every bot that stayed is playing; stop the deposits (each waits for its last one's answer).
    const stayed = bots.filter((b) => !leavers.includes(b));
    for (const b of stayed) expect(b.room.status).toBe('connected');
    await Promise.all(stayed.map((b) => b.stop()));
    await watch.stop();

    // Every acknowledged deposit is committed, and each balance is exactly their sum.
    for (const b of bots) {
      for (const txid of b.acked.keys()) expect(await storage.committedResult(depositKey(b.userId, txid)), `${b.name}'s deposit ${txid}`).toBeDefined();
    }
    for (const [code, members] of rooms) {
      const stored = await storage.loadRoom(code);
      const balances = Object.fromEntries((stored?.players ?? []).map((p) => [p.userId, (p.data as { balance?: unknown }).balance]));
      expect(balances, `balances in ${code}`).toEqual(Object.fromEntries(members.map((b) => [b.userId, b.balance])));
    }
    expect(watch.violations).toEqual([]);
    expect(watch.samples).toBeGreaterThan(20);
    const deposits = bots.reduce((n, b) => n + b.acked.size, 0);
    const retries = bots.reduce((n, b) => n + b.retries, 0);
    const reconnections = bots.flatMap((b) => b.reconnects);
    console.log(`chaos: ${deposits} deposits acknowledged (${retries} sent again), ${reconnections.length} reconnections (${reconnections.filter((r) => r.resumed).length} kept their membership, the others came back as the same user), ${watch.samples} ownership samples, ${Date.now() - startedAt} ms in all`);
  });
});
