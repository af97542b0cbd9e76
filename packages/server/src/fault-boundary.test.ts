import { CloseCode, ErrorCode, ManualClock } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { FaultBoundary } from './fault-boundary.js';
import { flush, gameRoom, harness, silent } from './harness.test-support.js';

describe('fault boundary', () => {
  it('returns the fallback, counts and trips once past maxFaults within the window', () => {
    const clock = new ManualClock(0);
    const hooks: string[] = [];
    let trips = 0;
    const b = new FaultBoundary(clock, silent, { gameFault: (h) => void hooks.push(h) }, { maxFaults: 2, windowMs: 1000 }, () => void trips++);
    expect(b.run('system', () => 7, 0)).toBe(7);
    const boom = () => {
      throw new Error('bug');
    };
    expect(b.run('system', boom, -1)).toBe(-1);
    clock.advance(2000); // the first fault leaves the window
    expect(b.run('system', boom, -1)).toBe(-1);
    expect(b.run('onInput', boom, -1)).toBe(-1);
    expect(trips).toBe(0);
    expect(b.run('onInput', boom, -1)).toBe(-1);
    expect(trips).toBe(1);
    b.run('onInput', boom, -1);
    expect(trips).toBe(1);
    expect(hooks).toEqual(['system', 'system', 'onInput', 'onInput', 'onInput']);
  });
});

describe('a bug in game code closes at most its room', () => {
  it('a system that throws once is logged and counted; the room goes on', async () => {
    let calls = 0;
    const h = harness(
      gameRoom({
        systems: [
          () => {
            if (++calls === 3) throw new Error('one-off bug');
          },
        ],
      }),
    );
    const c = await h.join();
    await h.step(500);
    const room = h.server.rooms.get('r')!;
    expect(room.faults.count).toBe(1);
    expect(room.isDisposed).toBe(false);
    expect(c.snapshots.length).toBeGreaterThan(5);
    expect(await h.server.metrics.text()).toMatch(/tickwire_game_faults_total\{hook="system"\} 1/);
  });

  it.each(['position', 'viewer', 'channel', 'channels'] as const)('an interest %s() that throws costs no process and no snapshot', async (hook) => {
    let thrown = 0;
    // Throws on its first two calls, then behaves (a bug on a rare path).
    const boom = <T>(ok: T) => () => {
      if (thrown < 2) {
        thrown++;
        throw new Error(`${hook} bug`);
      }
      return ok;
    };
    const h = harness(
      gameRoom({
        interest: {
          tiers: [{ name: 'near', radius: 500 }],
          position: hook === 'position' ? boom({ x: 100, y: 100 }) : (e) => (e.type === 'ship' ? { x: e.pos.x, y: e.pos.y } : undefined),
          viewer: hook === 'viewer' ? boom({ x: 100, y: 100 }) : undefined,
          channel: hook === 'channel' ? boom(undefined) : undefined,
          channels: hook === 'channels' ? boom([]) : undefined,
        },
      }),
    );
    const a = await h.join();
    const b = await h.join();
    await h.step(300);
    const room = h.server.rooms.get('r')!;
    expect(room.faults.count).toBe(2);
    expect(room.isDisposed).toBe(false);
    expect(a.snapshots.length).toBeGreaterThan(3);
    expect(b.snapshots.length).toBeGreaterThan(3);
    // Each still receives its own ship, whatever the callback did.
    const own = a.welcome!.entity;
    expect(a.snapshots.some((s) => s.records.some((r) => r.id === own))).toBe(true);
  });

  it('a viewer at an impossible position does not hang the grid', async () => {
    const h = harness(
      gameRoom({
        interest: {
          tiers: [{ name: 'near', radius: 500 }],
          position: (e) => (e.type === 'ship' ? { x: e.pos.x, y: e.pos.y } : undefined),
          viewer: () => ({ x: Number.POSITIVE_INFINITY, y: 1e300 }),
        },
        faultPolicy: { maxFaults: 1000 },
      }),
    );
    const a = await h.join();
    await h.step(200);
    expect(a.snapshots.length).toBeGreaterThan(2);
    expect(h.server.rooms.get('r')!.faults.count).toBeGreaterThan(0);
  });

  it('a room that keeps failing is closed with ROOM_FAILED; another room in the process plays on', async () => {
    const disposed: string[] = [];
    const fail = () => {
      throw new Error('every tick');
    };
    const rooms = (code: string) =>
      gameRoom({
        faultPolicy: { maxFaults: 3, windowMs: 10_000 },
        systems: code === 'broken' ? [fail] : [],
        onDispose: () => void disposed.push(code),
      });
    const h = harness(gameRoom(), { rooms });
    const bad = await h.join('broken');
    const good = await h.join('fine');
    await h.step(500);
    await flush();
    expect(bad.errors.at(-1)).toMatchObject({ code: ErrorCode.ROOM_FAILED, fatal: true });
    expect(bad.closed?.code).toBe(CloseCode.ROOM_FAILED);
    expect(h.server.rooms.get('broken')).toBeUndefined();
    expect(disposed).toEqual(['broken']);
    const before = good.snapshots.length;
    await h.step(500);
    expect(good.snapshots.length).toBeGreaterThan(before + 5);
    expect(good.closed).toBeNull();
  });

  it('handlers that throw answer the client and count; onJoin that throws refuses the join', async () => {
    const h = harness(
      gameRoom({
        onJoin: (room, client) => {
          if (client.name === 'cursed') throw new Error('join bug');
          return room.entities.create('ship', { pos: { x: 1, y: 1 }, hp: { hp: 1 } });
        },
        onInput: () => {
          throw new Error('input bug');
        },
        onChat: () => {
          throw new Error('chat bug');
        },
        metadata: () => ({ big: 1n }), // JSON.stringify throws on a BigInt
      }),
    );
    const a = await h.join();
    expect(a.welcome?.metadata).toBe('{}');
    a.input(1);
    a.send(a.frames.chat('hi'));
    await h.step(100);
    const cursed = h.connect();
    cursed.hello('r', { name: 'cursed' });
    await flush();
    expect(cursed.errors[0]).toMatchObject({ code: ErrorCode.JOIN_REFUSED });
    const room = h.server.rooms.get('r')!;
    // metadata, onInput, onChat, onJoin
    expect(room.faults.count).toBe(4);
    expect(room.isDisposed).toBe(false);
  });

  it('a room whose setup() throws refuses the join and leaves nothing behind', async () => {
    const h = harness(
      gameRoom({
        setup: () => {
          throw new Error('setup bug');
        },
      }),
    );
    const c = h.connect();
    c.hello('r');
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.JOIN_REFUSED });
    expect(h.server.rooms.size).toBe(0);
  });
});
