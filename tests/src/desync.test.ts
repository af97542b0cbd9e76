/**
 * The view digest against a real server on a stepped clock. The room sends a digest with every
 * fifth snapshot (docs/protocol.md 8.6). The link also feeds every frame the server sends a
 * client to a second, untouched view (what the client should hold) and checks each digest the
 * server sent against it. The client's own view is then corrupted in the ways a game bug would,
 * and must repair itself within a second.
 *
 * Three rooms: one where everyone sees everything (one digest for the room), and an interest
 * room (tiers with their own rates and fields, so each client holds its own partial set) over a
 * clean link and over one that loses snapshots and acks (the client's view is then known only
 * from its acknowledgements).
 */
import { ClientEntity, ReplicatedView, connect, type ClientRoom } from '@tickwire/client';
import { ManualClock, conditionTransport, createMemoryPipe, decodeServer, readDigest, readEvents, seededRandom, type Transport } from '@tickwire/protocol';
import { createServer, type Entity, type InterestDefinition, type Player } from '@tickwire/server';
import { describe, expect, it } from 'vitest';
import { silent, testGame, testRoom, type Steering, type TestGame } from './game.js';
import { flush } from './world.js';

const LATENCY_MS = 40;

/** Near: everything; mid: position and heading at 5 Hz; far: position at 2 Hz. */
const interest: InterestDefinition<Player<TestGame, Steering>, Entity<TestGame>> = {
  position: (e) => ({ x: e.position.x, y: e.position.y }),
  tiers: [
    { name: 'near', radius: 150 },
    { name: 'mid', radius: 400, rate: 5, components: ['position', 'heading'] },
    { name: 'far', radius: 2000, rate: 2, components: ['position'] },
  ],
};

interface Mode {
  name: string;
  interest: boolean;
  /** Percent of frames lost each way (a link that says so: acknowledged baselines). */
  loss: number;
}

async function setup(mode: Mode) {
  const clock = new ManualClock(1000);
  const room = testRoom({
    viewDigestEvery: 5,
    ...(mode.interest
      ? {
          interest,
          // Rocks (bullets) at every tier from the watcher, drifting: their slower tiers' records
          // are what a lost snapshot leaves the client unsure of.
          setup: (r) => {
            for (let i = 0; i < 12; i++) r.entities.create('bullet', { position: { x: 120 + i * 90, y: 500 } });
            return { fired: 0 };
          },
          systems: [
            ...(testRoom().systems ?? []),
            (r) => {
              for (const rock of r.entities.ofType('bullet')) rock.position.y = 500 + 40 * Math.sin(r.time * 3 + rock.id);
            },
          ],
        }
      : {}),
  });
  const server = createServer({ rooms: room, clock, logger: silent, processMetrics: false });
  const random = seededRandom(14);
  const deliver = (fn: () => void) => void clock.setTimeout(fn, LATENCY_MS / 2);
  const step = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      await flush();
    }
  };
  /** Joins through a link that checks every digest the server sends against an untouched view. */
  const join = async (name: string) => {
    const truth = new ReplicatedView(testGame, false);
    const digests = { sent: 0, wrong: 0 };
    const [client, end] = createMemoryPipe(mode.loss > 0 ? undefined : deliver);
    const send = end.send.bind(end);
    end.send = (frame) => {
      const msg = decodeServer(frame, testGame);
      if (msg.kind === 'snapshot') {
        truth.applySnapshot(msg.reader, msg.tick);
        readEvents(msg.reader, testGame);
        const digest = readDigest(msg.reader);
        if (digest !== undefined) {
          digests.sent++;
          if (digest !== truth.digest()) digests.wrong++;
        }
      }
      send(frame);
    };
    server.accept(end);
    const transport: Transport = mode.loss > 0 ? conditionTransport(client, { lag: LATENCY_MS, loss: mode.loss }, clock, random) : client;
    const joining = connect({ transport, room: 'r', name, protocol: testGame, clock });
    await step(LATENCY_MS * 3);
    return { room: await joining, truth, digests };
  };
  return { server, step, join };
}

const shipOf = (room: ClientRoom<TestGame>, id: number) => {
  const e = room.view.entities.get(id);
  if (!e) throw new Error(`entity ${id} is not in the view`);
  return e;
};

const MODES: Mode[] = [
  { name: 'everyone sees everything', interest: false, loss: 0 },
  { name: 'interest: tiers with their own rates and fields', interest: true, loss: 0 },
  { name: 'interest, over a link that loses 5% of frames', interest: true, loss: 5 },
];

describe('desync digest', () => {
  for (const mode of MODES) {
    it(`${mode.name}: a corrupted view is found out and repaired by a full snapshot within a second, every time`, async () => {
      const { server, step, join } = await setup(mode);
      const mover = await join('mover');
      const watcher = await join('watcher');
      await step(500);
      const id = mover.room.entityId;
      const hp = testGame.entityType('ship').fields.findIndex((f) => f.component === 'health');
      const desyncs: number[] = [];
      watcher.room.on('desync', ({ tick }) => desyncs.push(tick));
      const corruptions: [string, () => void][] = [
        // Fields that do not change (a delta would put a moving one right by itself).
        ['a value changed', () => (shipOf(watcher.room, id).wire[hp] = 7)],
        ['a field the client never got marked as held', () => (shipOf(watcher.room, id).received = 0)],
        ['an entity dropped', () => watcher.room.view.entities.delete(id)],
        ['a ghost added', () => watcher.room.view.entities.set(9999, new ClientEntity(9999, testGame.entityType('ship')))],
      ];
      for (const [what, corrupt] of corruptions) {
        const before = watcher.room.stats.desyncsRepaired;
        corrupt();
        let ms = 0;
        // The mover heads away: in the interest room it goes from the watcher's near tier to mid and far.
        for (; ms <= 1000 && watcher.room.stats.desyncsRepaired === before; ms += 10) {
          mover.room.sendInput({ dx: 1, dy: 0 });
          await step(10);
        }
        expect(ms, what).toBeLessThanOrEqual(1000);
        if (mode.loss === 0) {
          // Repaired: the view is what the server published for this client again.
          expect(watcher.room.view.digest(), what).toBe(watcher.truth.digest());
          expect([...watcher.room.view.entities.keys()].sort(), what).toEqual([...watcher.truth.entities.keys()].sort());
          expect(shipOf(watcher.room, id).state, what).toEqual(watcher.truth.entities.get(id)!.state);
        }
        await step(300);
      }
      if (mode.interest) expect(watcher.room.view.entities.get(id)?.has('health', 'hp'), 'the mover ended beyond the near tier').toBe(false);
      expect(watcher.room.stats.desyncs).toBe(corruptions.length);
      expect(watcher.room.stats.desyncsRepaired).toBe(corruptions.length);
      expect(desyncs).toHaveLength(corruptions.length);
      // The untouched client checked as many digests and never found a difference, and every
      // digest the server sent was that of what the client should hold.
      expect(mover.room.stats.digests).toBeGreaterThanOrEqual(5);
      expect(mover.room.stats.desyncs).toBe(0);
      for (const c of [mover, watcher]) {
        expect(c.digests.sent).toBeGreaterThanOrEqual(5);
        expect(c.digests.wrong).toBe(0);
      }
      await server.close();
    });
  }
});
