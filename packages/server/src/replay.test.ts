import { describe, expect, it } from 'vitest';
import { flush, game, gameRoom, harness, type Game } from './harness.test-support.js';
import { RecordingReader, stateHash } from './recording.js';
import type { RecordOptions } from './recorder.js';
import { replayRecording } from './replay.js';
import type { RoomDefinition } from './room-definition.js';

/**
 * A room whose game uses everything a replay must reproduce: its random numbers (spawns, a
 * bullet's hp), inputs, a command that finishes after an await, chat that changes the world,
 * and players who drop, come back and leave.
 */
function shooterRoom(record?: RecordOptions, extraSystem?: RoomDefinition<Game>['systems']): RoomDefinition<Game> {
  return gameRoom({
    reconnectWindowMs: 5000,
    ...(record ? { record } : {}),
    setup: (room) => {
      for (let i = 0; i < 3; i++) room.entities.create('ship', { pos: { x: room.random() * 1000, y: room.random() * 1000 }, hp: { hp: 50 } });
    },
    onJoin: (room) => room.entities.create('ship', { pos: { x: Math.round(room.random() * 1000), y: 100 }, hp: { hp: 100 } }),
    onDisconnect: (_room, player) => {
      if (player.entity?.type === 'ship') player.entity.hp.hp = 1;
    },
    onReconnect: (_room, player) => {
      if (player.entity?.type === 'ship') player.entity.hp.hp = 99;
    },
    onChat: (room, player, text) => {
      if (player.entity?.type === 'ship') player.entity.pos.y = Math.min(1000, text.length * 10 + room.random());
      return text;
    },
    commands: {
      combat: {
        async fire(room, player, { power }) {
          const bullet = room.entities.create('mover', { vel: { vx: power } });
          await Promise.resolve();
          if (player.entity?.type === 'ship') player.entity.hp.hp = Math.floor(room.random() * 100);
          room.entities.create('ship', { pos: { x: bullet.id, y: power }, hp: { hp: 3 } });
        },
      },
    },
    systems: [
      (room) => {
        for (const m of room.entities.ofType('mover')) m.vel.vx = Math.min(1000, m.vel.vx + 1);
      },
      ...(extraSystem ?? []),
    ],
  });
}

/** Plays a session with two raw clients; answers the recording and the live room's final state hash. */
async function play(): Promise<{ recording: Uint8Array; finalHash: number; ticks: number }> {
  let recording: Uint8Array | undefined;
  const h = harness(shooterRoom({ save: (bytes) => void (recording = bytes) }));
  const ann = h.server.anonymous!.issue();
  const a = await h.join('r', ann.token);
  const b = await h.join('r', h.server.anonymous!.issue().token);
  for (let t = 0; t < 40; t++) {
    a.input(t % 3 === 0 ? 1 : -1, h.clock.now(), a.snapshots.at(-1)?.tick ?? 0);
    b.input(1, h.clock.now(), b.snapshots.at(-1)?.tick ?? 0);
    // In a catch-up: the command's step and the next run back to back, its await ends after both.
    if (t === 6) a.send(a.codec.command(1, 'combat', 'fire', 0, h.clock.now(), { power: 7 }));
    if (t === 9) b.send(b.codec.chat('hello there'));
    if (t === 12) a.transport.close(1006, 'network');
    if (t === 20) {
      const back = h.connect();
      back.hello('r', { resumeToken: a.welcome!.resumeToken, token: ann.token });
    }
    if (t === 30) b.send(b.frames.leave());
    // Two ticks at once now and then: a catch-up, whose steps run back to back.
    await h.step(t % 7 === 0 ? 100 : 50, t % 7 === 0 ? 100 : 50);
  }
  await flush();
  const room = h.server.rooms.get('r');
  if (!room) throw new Error('the room is gone');
  const finalHash = stateHash(room.entities);
  const ticks = room.tick;
  await h.close();
  if (!recording) throw new Error('the room saved no recording');
  return { recording, finalHash, ticks };
}

describe('recording and replay', () => {
  it('replays a session (random numbers, inputs, an awaiting command, chat, a drop, a resume, a leave) to the same state at every tick', async () => {
    const { recording, finalHash, ticks } = await play();
    const kinds = new Set([...new RecordingReader(recording, game)].map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['chat', 'drop', 'end', 'join', 'leave', 'resume', 'step']);
    const result = await replayRecording(shooterRoom(), recording);
    expect(result.divergence).toBeNull();
    expect(result.truncated).toBe(false);
    expect(result.tick).toBe(ticks);
    expect(result.ticks).toHaveLength(ticks);
    expect(result.hashes.at(-1)).toBe(finalHash);
    expect(result.faults).toEqual([]);
    // The bullet, and the ship the command made after its await, are there.
    expect(result.entities.filter((e) => e.type === 'mover')).toHaveLength(1);
    expect(result.entities.find((e) => e.values.hp?.hp === 3)).toBeDefined();
    expect(result.room.clients.size).toBe(1);
  });

  it('names the first tick where a changed game departs from the recording', async () => {
    const { recording } = await play();
    const changed = shooterRoom(undefined, [
      (room) => {
        if (room.tick === 17) room.entities.create('mover', { vel: { vx: 1 } });
      },
    ]);
    const result = await replayRecording(changed, recording);
    expect(result.divergence).toMatchObject({ tick: 17 });
    expect(result.tick).toBe(17);
    const onward = await replayRecording(changed, recording, { keepGoing: true, untilTick: 25 });
    expect(onward).toMatchObject({ tick: 25, divergence: { tick: 17 }, truncated: false });
  });
});
