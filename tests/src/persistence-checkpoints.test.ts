/**
 * Checkpoints on SQLite and on PostgreSQL, on a stepped clock: a player who leaves and comes back
 * gets their saved state after any number of checkpoints (the arena's own persistence), a
 * checkpoint writes only what changed, a failed write backs off on the room's clock (and a final
 * flush does not wait for it), and game code that throws from a persistence hook costs a logged
 * fault, not the room.
 */
import { arena } from '@tickwire/arena/protocol';
import { arenaRoom } from '@tickwire/arena/room';
import { defineProtocol, seededRandom, t } from '@tickwire/protocol';
import { defineRoom, type Entity } from '@tickwire/server';
import type { RoomRuntime as Room } from '@tickwire/server/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '@tickwire/storage';
import { backends, databases, FaultyStore, quiet, steppedWorld, type SteppedWorld } from './persistence-support.js';
import { waitFor } from './wait.js';

const dbs = databases();
afterAll(() => dbs.dropAll());

type ArenaProtocol = typeof arena;

function shipOf(room: Room, clientId: number): Entity<ArenaProtocol, 'ship'> {
  const e = room.clients.get(clientId)?.entity;
  if (!e || e.type !== 'ship') throw new Error(`client ${clientId} has no ship`);
  return e as Entity<ArenaProtocol, 'ship'>;
}

/** Waits (in real time) for the room's writer to have nothing queued. */
async function drained(room: Room): Promise<void> {
  await waitFor(() => room.persist!.queueDepth === 0, 5000, 'the write queue to drain');
}

const blocks = defineProtocol({
  name: 'blocks',
  components: { block: { n: t.uint(16) }, spark: { n: t.uint(16) } },
  entities: { block: ['block'], spark: ['spark'] },
});

/** The room as the blocks protocol's (the server hands out protocol-agnostic rooms). */
function typed(room: Room): Room<typeof blocks> {
  return room as Room<typeof blocks>;
}

/** A room with many durable blocks (and ephemeral sparks), for counting what a checkpoint writes. */
const blockRoom = defineRoom<typeof blocks, { sparks: number }>({
  protocol: blocks,
  createOnJoin: true,
  reconnectWindowMs: 0,
  emptyGraceMs: 3_600_000,
  setup: (room) => {
    for (let i = 0; i < 500; i++) room.entities.create('block', { block: { n: i } });
    return { sparks: 0 };
  },
  // Sparks change every tick and are never stored.
  systems: [
    (room) => {
      for (const s of room.entities.ofType('spark')) s.spark.n = (s.spark.n + 1) % 1000;
    },
  ],
  persistence: { durable: ['block'], checkpointMs: 1000 },
});

describe.each(backends)('checkpoints on $name', (backend) => {
  describe.each([0, 1, 3, 40])('a player who leaves and comes back after %i idle checkpoints', (idle) => {
    it('gets their saved ship back', async () => {
      const url = await dbs.fresh(backend);
      let w: SteppedWorld | undefined;
      try {
        w = await steppedWorld(url, arenaRoom({ random: seededRandom(3), reconnectWindowMs: 0 }));
        const world = w;
        const ada = await world.join(arena, 'keep', 'ada');
        await world.step(200);
        const room = await world.room('keep');
        const ship = shipOf(room, ada.clientId);
        ship.position.x = 300;
        ship.position.y = 240;
        ship.pilot.resources = 37;
        ship.pilot.score = 4;
        ship.health.hp = 60;
        await world.step(1100);
        await drained(room);
        ada.disconnect();
        await world.step(100);
        expect(room.clients.size).toBe(0);
        for (let i = 0; i < idle; i++) {
          await world.step(1000);
          await drained(room);
        }
        // After 40 idle seconds the empty room was closed; coming back rebuilds it from storage.
        const again = await world.room('keep');
        expect(again === room).toBe(idle < 30);
        const back = await world.join(arena, 'keep', 'ada');
        await world.step(100);
        const returned = shipOf(again, back.clientId);
        expect(returned.pilot.resources).toBe(37);
        expect(returned.pilot.score).toBe(4);
        expect(returned.health.hp).toBe(60);
        expect(returned.position.x).toBeCloseTo(300, 0);
        expect(returned.position.y).toBeCloseTo(240, 0);
        back.disconnect();
        await world.step(100);
      } finally {
        await w?.close();
      }
    }, 60_000);
  });

  it('writes only what changed: one wall written, one removed, one created; nothing when nothing changed', async () => {
    const url = await dbs.fresh(backend);
    let store: FaultyStore | undefined;
    const w = await steppedWorld(url, blockRoom, (s) => (store = new FaultyStore(s)));
    try {
      const room = typed(await w.room('blocks'));
      for (let i = 0; i < 20; i++) room.entities.create('spark');
      await w.step(1000);
      await drained(room);
      expect((await w.storage.loadRoom('blocks'))?.entities).toHaveLength(500);
      const writes = store!.writes;
      // A second of ticks with only sparks moving: no write at all.
      await w.step(1000);
      await drained(room);
      expect(store!.writes).toBe(writes);

      const all = [...room.entities.ofType('block')];
      all[7]!.block.n = 9999;
      room.entities.remove(all[8]!);
      room.entities.create('block', { block: { n: 12345 } });
      all[9]!.block.n = all[9]!.block.n; // the same value: not a change
      await w.step(1000);
      await drained(room);
      expect(store!.writes).toBe(writes + 1);
      const batch = store!.checkpoints.at(-1)!;
      expect(batch.upsertEntities.map((e) => e.data)).toHaveLength(2);
      expect(batch.upsertEntities.map((e) => e.data)).toEqual(expect.arrayContaining([{ block: { n: 9999 } }, { block: { n: 12345 } }]));
      expect(batch.deleteEntities).toHaveLength(1);
      const stored = (await w.storage.loadRoom('blocks'))!.entities;
      expect(stored).toHaveLength(500);
      expect(stored.filter((e) => [9999, 12345].includes((e.data as { block: { n: number } }).block.n))).toHaveLength(2);
      expect(stored.some((e) => (e.data as { block: { n: number } }).block.n === 8)).toBe(false);
    } finally {
      await w.close();
    }
  });

  it('backs off after a failed write on the room clock, writes again after it, and a final flush does not wait for it', async () => {
    const url = await dbs.fresh(backend);
    let store: FaultyStore | undefined;
    const w = await steppedWorld(url, blockRoom, (s) => (store = new FaultyStore(s)));
    const room = typed(await w.room('blocks'));
    await w.step(1000);
    await drained(room);
    const writes = store!.writes;
    const block = room.entities.ofType('block').next().value!;
    block.block.n = 777;
    store!.failing = true;
    await w.stepUntil(() => store!.writes === writes + 1); // that write failed; the back-off starts now
    block.block.n = 778;
    // The room collects again at once, but the writer waits out its back-off on the room's clock.
    await w.step(200);
    expect(store!.writes).toBe(writes + 1);
    store!.failing = false;
    await w.step(100);
    await drained(room);
    expect(store!.writes).toBe(writes + 2);
    const high = (entities: { data: unknown }[]) => entities.filter((e) => (e.data as { block: { n: number } }).block.n >= 777).map((e) => e.data);
    expect(high((await w.storage.loadRoom('blocks'))!.entities)).toEqual([{ block: { n: 778 } }]);

    // Fail again, then close while the writer is backing off, without stepping the clock: the
    // final flush ends the back-off and the last change lands.
    store!.failing = true;
    block.block.n = 779;
    await w.stepUntil(() => store!.writes === writes + 3);
    store!.failing = false;
    block.block.n = 780;
    await w.close();
    const check = await openStorage({ url, logger: quiet });
    try {
      expect(high((await check.loadRoom('blocks'))!.entities)).toEqual([{ block: { n: 780 } }]);
    } finally {
      await check.close();
    }
  });

  it('a persistence hook that throws is a fault of the room, which goes on and saves everyone else', async () => {
    const url = await dbs.fresh(backend);
    const flaky = defineRoom<typeof blocks, { metaThrows: boolean }>({
      protocol: blocks,
      createOnJoin: true,
      reconnectWindowMs: 0,
      emptyGraceMs: 3_600_000,
      faultPolicy: { maxFaults: 1000, windowMs: 10_000 },
      setup: () => ({ metaThrows: false }),
      onJoin: (room) => room.entities.create('block'),
      persistence: {
        durable: ['block'],
        player: {
          save: (_room, client) => {
            if (client.identity.userId === 'bad') throw new Error('save bug');
            return { name: client.identity.userId };
          },
          load: (_room, client) => {
            if (client.identity.userId === 'bad-loader') throw new Error('load bug');
          },
        },
        meta: {
          save: (room) => {
            if (room.state.metaThrows) throw new Error('meta bug');
            return { ok: true };
          },
          load: () => undefined,
        },
        restore: (room, row) => {
          if ((row.data as { block: { n: number } }).block.n === 13) throw new Error('restore bug');
          return room.entities.create('block', row.data as { block: { n: number } });
        },
      },
    });
    const w = await steppedWorld(url, flaky);
    try {
      const room = typed(await w.room('flaky'));
      const state = room.state as { metaThrows: boolean };
      const good = await w.join(blocks, 'flaky', 'good');
      const bad = await w.join(blocks, 'flaky', 'bad');
      await w.step(1000);
      await drained(room);
      state.metaThrows = true;
      const tick = room.tick;
      const faults = room.faults.count;
      await w.step(2000);
      await drained(room);
      expect(room.tick).toBeGreaterThan(tick + 30);
      expect(room.faults.count).toBeGreaterThan(faults);
      const stored = await w.storage.loadRoom('flaky');
      expect(stored?.players).toEqual([{ userId: 'good', data: { name: 'good' } }]);
      expect(stored?.meta).toEqual({ ok: true });
      for (const e of room.entities.ofType('block')) e.block.n = e.id === [...room.entities.ofType('block')][0]!.id ? 13 : 14;
      good.disconnect();
      bad.disconnect();
      await w.step(100);
      await drained(room);
    } finally {
      await w.close();
    }

    // A row whose restore throws is skipped; the others come back; a throwing load costs a fault.
    const again = await steppedWorld(url, flaky);
    try {
      const room = typed(await again.room('flaky'));
      expect([...room.entities.ofType('block')].map((b) => b.block.n)).toEqual([14]);
      expect(room.faults.count).toBe(1);
      const loader = await again.join(blocks, 'flaky', 'bad-loader');
      await again.step(1100);
      await drained(room);
      // No stored data for this player, so load was not called; store some and come back.
      expect(room.faults.count).toBe(1);
      loader.disconnect();
      await again.step(100);
      const back = await again.join(blocks, 'flaky', 'bad-loader');
      await again.step(100);
      expect(room.faults.count).toBe(2);
      expect(room.clients.size).toBe(1);
      back.disconnect();
      await again.step(100);
    } finally {
      await again.close();
    }
  });
});
