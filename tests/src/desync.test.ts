/**
 * The view digest against a real server on a stepped clock. The room sends a digest with every
 * fifth snapshot (docs/protocol.md 8.6). The link also feeds every frame the server sends a
 * client to a second, untouched view (what the client should hold) and checks each digest the
 * server sent against it. The client's own view is then corrupted in the ways a game bug would,
 * and must repair itself within a second.
 */
import { ClientEntity, ReplicatedView, connect, type ClientRoom } from '@tickwire/client';
import { ManualClock, createMemoryPipe, decodeServer, readDigest, readEvents } from '@tickwire/protocol';
import { createServer } from '@tickwire/server';
import { describe, expect, it } from 'vitest';
import { silent, testGame, testRoom, type TestGame } from './game.js';
import { flush } from './world.js';

const LATENCY_MS = 40;

async function setup() {
  const clock = new ManualClock(1000);
  const server = createServer({ rooms: testRoom({ viewDigestEvery: 5 }), clock, logger: silent, processMetrics: false });
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
    const [client, end] = createMemoryPipe(deliver);
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
    const joining = connect({ transport: client, room: 'r', name, protocol: testGame, clock });
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

describe('desync digest', () => {
  it('a corrupted view is found out and repaired by a full snapshot within a second, every time', async () => {
    const { server, step, join } = await setup();
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
      for (; ms <= 1000 && watcher.room.stats.desyncsRepaired === before; ms += 10) {
        mover.room.sendInput({ dx: 1, dy: 0 });
        await step(10);
      }
      expect(ms, what).toBeLessThanOrEqual(1000);
      // Repaired: the view is what the server published for this client again.
      expect(watcher.room.view.digest(), what).toBe(watcher.truth.digest());
      expect([...watcher.room.view.entities.keys()].sort(), what).toEqual([...watcher.truth.entities.keys()].sort());
      expect(shipOf(watcher.room, id).state, what).toEqual(watcher.truth.entities.get(id)!.state);
      await step(300);
    }
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
});
