/**
 * Recording and replay of the arena (docs/netcode.md section 10): a session played by the
 * arena's own bot module (wandering, firing, building walls) on a stepped clock, with players
 * joining late, chatting and leaving, is recorded and replayed to the identical state, tick by
 * tick. With storage too (SQLite, and PostgreSQL when it is reachable): walls are critical
 * transactions that wait for the database, and a second session starts from what the first one
 * stored.
 */
import { connect, type ClientRoom } from '@tickwire/client';
import arenaBot from '@tickwire/arena/bot';
import { arena, type Arena } from '@tickwire/arena/protocol';
import { arenaRoom } from '@tickwire/arena/room';
import { ManualClock, createMemoryPipe, seededRandom } from '@tickwire/protocol';
import { RecordingReader, createServer, defineRoom, replayRecording, type EntityState } from '@tickwire/server';
import { entityStates, stateHash } from '@tickwire/server/internal';
import { openStorage, type Storage } from '@tickwire/storage';
import type { Think } from 'tickwire';
import { afterAll, describe, expect, it } from 'vitest';
import { silent } from './game.js';
import { backends, databases, quiet } from './persistence-support.js';

const ROOM = 'arena-1';
const flush = () => new Promise<void>((r) => setImmediate(r));

interface Player {
  room: ClientRoom<Arena>;
  think: Think;
}

/**
 * A session of the arena with bots on a stepped clock. Answers the recording, and the live room's
 * entities and state hash as they were after the step of tick `captureAt` (taken by a system that
 * runs last and changes nothing).
 */
async function session(storage: Storage | undefined, seed: number, seconds: number, captureAt: number) {
  const recordings: Uint8Array[] = [];
  const clock = new ManualClock(10_000);
  let captured: { hash: number; entities: EntityState[]; walls: number } | undefined;
  const base = arenaRoom({ reconnectWindowMs: 0, record: { save: (bytes) => void recordings.push(bytes) } });
  const capture = () => {
    const room = server.rooms.get(ROOM);
    if (!room || room.tick !== captureAt) return;
    const entities = entityStates(room.entities);
    captured = { hash: stateHash(room.entities), entities, walls: entities.filter((e) => e.type === 'wall').length };
  };
  const server = createServer({
    rooms: defineRoom({ ...base, systems: [...(base.systems ?? []), capture] }),
    clock,
    logger: silent,
    processMetrics: false,
    ...(storage ? { storage } : {}),
    authenticate: ({ token }) => ({ userId: token }),
  });
  const random = seededRandom(seed);
  const players: Player[] = [];
  const step = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      await flush();
    }
  };
  const join = async (index: number) => {
    const [mine, theirs] = createMemoryPipe((fn) => void clock.setTimeout(fn, 15));
    server.accept(theirs);
    let joined = false;
    const joining = connect({ transport: mine, room: ROOM, name: `bot-${index}`, token: `pilot-${index}`, protocol: arena, clock, reconnect: false }).finally(() => (joined = true));
    for (let i = 0; i < 200 && !joined; i++) await step(10);
    const room = await joining;
    const think = arenaBot.spawn(
      {
        index,
        room,
        random,
        sendInput: (input) => void room.sendInput(input),
        sendCommand: (feature, action, payload, options) => void room.sendCommand(feature, action, payload, options).catch(() => undefined),
      },
      clock.now(),
    );
    players.push({ room, think });
  };
  // Open (and load) the room before anyone joins: a database's answer takes real time, which the
  // stepped clock does not wait for.
  const opened = await server.rooms.open(ROOM);
  if (opened instanceof Error) throw opened;
  for (let i = 0; i < 3; i++) await join(i);
  for (let t = 0; t < seconds * 20; t++) {
    if (t === 40) await join(3);
    if (t === 60) players[1]!.room.chat('walls everywhere');
    if (t === 100) players.splice(0, 1)[0]!.room.disconnect();
    for (const p of players) p.think(clock.now());
    await step(50);
  }
  for (const p of players) p.room.disconnect();
  await step(200);
  await server.close();
  expect(recordings).toHaveLength(1);
  if (!captured) throw new Error(`the session did not reach tick ${captureAt}`);
  return { recording: recordings[0]!, end: { tick: captureAt, ...captured } };
}

/** Replays `recording` to tick `end.tick`, and checks every step on the way and the state there. */
async function replaysTo(recording: Uint8Array, end: { tick: number; hash: number; entities: EntityState[] }) {
  const replay = await replayRecording(arenaRoom(), recording, { untilTick: end.tick });
  expect(replay.divergence).toBeNull();
  expect(replay.tick).toBe(end.tick);
  expect(replay.hashes.at(-1)).toBe(end.hash);
  expect(replay.entities).toEqual(end.entities);
  // And on to the end of the recording.
  const whole = await replayRecording(arenaRoom(), recording);
  expect(whole).toMatchObject({ divergence: null, truncated: false });
  return whole;
}

describe('a recorded arena session replays to the identical state', () => {
  it('bots wander, fire and build; players join late, chat and leave (no storage)', async () => {
    const { recording, end } = await session(undefined, 3, 20, 380);
    expect(end.walls).toBeGreaterThan(0);
    const whole = await replaysTo(recording, end);
    expect(whole.tick).toBeGreaterThan(400);
    // Compact: about half a kilobyte a second for up to four players sending 20 inputs a second each.
    expect(recording.length / 20).toBeLessThan(800);
  });

  describe('with storage: walls are critical transactions, and the next session starts from what was stored', () => {
    const dbs = databases();
    afterAll(() => dbs.dropAll());

    for (const backend of backends) {
      it(`replays both sessions (${backend.name})`, async () => {
        const storage = await openStorage({ url: await dbs.fresh(backend), logger: quiet });
        try {
          const first = await session(storage, 5, 15, 280);
          expect(first.end.walls).toBeGreaterThan(0);
          // The database's answers are in the recording: what the room was loaded from, each wall's check and commit.
          const kinds = [...new RecordingReader(first.recording, arena)].map((e) => e.kind);
          for (const kind of ['hydrated', 'check', 'done'] as const) expect(kinds, kind).toContain(kind);
          await replaysTo(first.recording, first.end);
          const second = await session(storage, 6, 10, 180);
          await replaysTo(second.recording, second.end);
          // The second session began with the first one's walls (restored from storage, in its recording).
          const start = await replayRecording(arenaRoom(), second.recording, { untilTick: 1 });
          expect(start.entities.filter((e) => e.type === 'wall').length).toBeGreaterThan(0);
        } finally {
          await storage.close();
        }
      });
    }
  });
});
