/**
 * The typed game API: per-player data declared once in the definition and seen with its type
 * in every handler, events typed by name, and the definition still accepted by the server.
 * The `expectTypeOf` and `@ts-expect-error` lines are checked by the typecheck (they do nothing
 * at run time); the rest runs.
 */
import { ErrorCode, type CommandPayload, type InputOf } from '@tickwire/protocol';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Entity } from './entity-store.js';
import type { Player, Room } from './game-api.js';
import { flush, game, harness, type Game } from './harness.test-support.js';
import { defineRoom, type AnyRoomDefinition, type CommandMeta, type RoomDefinition } from './room-definition.js';

interface Pilot {
  dx: number;
  team: 'red' | 'blue';
  inputs: number;
}

interface Score {
  joins: number;
}

let joins = 0;

const pilots = defineRoom({
  protocol: game,
  reconnectWindowMs: 0,
  setup: (): Score => ({ joins: 0 }),
  data: (): Pilot => ({ dx: 0, team: joins++ % 2 === 0 ? 'red' : 'blue', inputs: 0 }),
  onJoin(room, player) {
    expectTypeOf(player.data).toEqualTypeOf<Pilot>();
    expectTypeOf(room.state).toEqualTypeOf<Score>();
    room.state.joins++;
    return room.entities.create('ship', { pos: { x: 100, y: 100 }, hp: { hp: 100 } });
  },
  onInput(_room, player, input) {
    expectTypeOf(player.data).toEqualTypeOf<Pilot>();
    expectTypeOf(input).toEqualTypeOf<InputOf<Game>>();
    player.data.dx = input.dx;
    player.data.inputs++;
  },
  onLeave(room, player, reason) {
    expectTypeOf(player.data).toEqualTypeOf<Pilot>();
    expectTypeOf(reason).toEqualTypeOf<'left' | 'disconnected' | 'timeout' | 'closed' | 'shutdown' | 'kicked'>();
    if (player.entity) room.entities.remove(player.entity);
  },
  onDisconnect: (_room, player) => expectTypeOf(player.data).toEqualTypeOf<Pilot>(),
  onReconnect: (_room, player) => expectTypeOf(player.data).toEqualTypeOf<Pilot>(),
  onChat(_room, player, text) {
    expectTypeOf(player.data).toEqualTypeOf<Pilot>();
    return `${player.data.team}: ${text}`;
  },
  commands: {
    combat: {
      fire(room, player, payload, meta) {
        expectTypeOf(player.data).toEqualTypeOf<Pilot>();
        expectTypeOf(payload).toEqualTypeOf<CommandPayload<Game, 'combat', 'fire'>>();
        expectTypeOf(payload.power).toBeNumber();
        expectTypeOf(meta).toEqualTypeOf<CommandMeta>();
        const ship = player.entity;
        if (!ship) return;
        // Only the shooter's team hears it.
        room.emit('boom', { at: ship.id }, (p) => p.data.team === player.data.team);
      },
    },
  },
  systems: [
    (room, dt) => {
      expectTypeOf(room).toEqualTypeOf<Room<Game, Score, Pilot>>();
      expectTypeOf(dt).toBeNumber();
      for (const player of room.clients.values()) {
        expectTypeOf(player).toEqualTypeOf<Player<Game, Pilot>>();
        const ship = player.entity;
        if (ship?.type === 'ship') ship.pos.x += player.data.dx * 10;
      }
    },
  ],
  isRelevant(_room, player, entity) {
    expectTypeOf(player.data).toEqualTypeOf<Pilot>();
    expectTypeOf(entity).toEqualTypeOf<Entity<Game>>();
    return true;
  },
  persistence: {
    player: {
      save: (_room, player) => {
        expectTypeOf(player.data).toEqualTypeOf<Pilot>();
        return player.data.inputs;
      },
      load: (_room, player, saved) => {
        expectTypeOf(player.data).toEqualTypeOf<Pilot>();
        if (typeof saved === 'number') player.data.inputs = saved;
      },
    },
  },
  metadata: (room) => ({ joins: room.state.joins }),
});

/** Never called: what the compiler must refuse. */
export function refused(room: Room<Game, Score, Pilot>, player: Player<Game, Pilot>): void {
  // @ts-expect-error an event the protocol does not declare
  room.emit('bang', { at: 1 });
  // @ts-expect-error a payload field of the wrong type
  room.emit('boom', { at: 'ship' });
  // @ts-expect-error a payload missing its field
  room.emit('boom', {});
  // @ts-expect-error a field the event does not have
  room.emit('boom', { at: 1, power: 3 });
  // @ts-expect-error data has the declared type, not a free-form bag
  player.data.speed = 3;
  // @ts-expect-error runtime internals are not part of the player
  void player.inputs;
  // @ts-expect-error nor of the room
  room.acknowledge(player, 0);
  room.emit('boom', { at: 1 }, player);
  room.emit('boom', { at: 1 }, [player]);
}

describe('typed game API', () => {
  it('infers the definition from its parts and the server accepts it as any room', () => {
    expectTypeOf(pilots).toEqualTypeOf<RoomDefinition<Game, Score, Pilot>>();
    expectTypeOf(pilots).toExtend<AnyRoomDefinition>();
    // A definition without `data` has none.
    const bare = defineRoom({
      protocol: game,
      onJoin: (_room, player) => {
        expectTypeOf(player.data).toBeUndefined();
      },
    });
    expectTypeOf(bare).toEqualTypeOf<RoomDefinition<Game, undefined, undefined>>();
    // Interest callbacks get the typed player too.
    defineRoom({
      protocol: game,
      data: (): Pilot => ({ dx: 0, team: 'red', inputs: 0 }),
      interest: {
        position: (e) => (e.type === 'ship' ? { x: e.pos.x, y: e.pos.y } : undefined),
        viewer: (player) => {
          expectTypeOf(player).toEqualTypeOf<Player<Game, Pilot>>();
          return undefined;
        },
        channels: (player) => [player.data.team],
        tiers: [{ name: 'near', radius: 100 }],
      },
    });
    // A handler typed for other data than `data()` makes is an error, not a silent widening.
    const steer = (_room: Room<Game, undefined, { steer: number }>) => undefined;
    // @ts-expect-error systems expect Room<Game, undefined, Pilot>
    defineRoom({ protocol: game, data: (): Pilot => ({ dx: 0, team: 'red', inputs: 0 }), systems: [steer] });
  });

  it('creates each player their own data as they take a seat, and every handler sees it', async () => {
    joins = 0;
    const h = harness(pilots);
    const a = await h.join();
    const b = await h.join();
    const room = h.server.rooms.get('r')!;
    const [pa, pb] = [...room.clients.values()];
    expect(pa!.data).toEqual({ dx: 0, team: 'red', inputs: 0 });
    expect(pb!.data).toEqual({ dx: 0, team: 'blue', inputs: 0 });
    expect(pa!.data).not.toBe(pb!.data);
    a.input(1);
    await h.step(100);
    expect(pa!.data).toMatchObject({ dx: 1, inputs: 1 });
    expect(pb!.data).toMatchObject({ dx: 0, inputs: 0 });
    // The system moved only the ship whose player steered.
    const xOf = (p: typeof pa) => (p!.entity as Entity<Game, 'ship'>).pos.x;
    expect(xOf(pa)).toBeGreaterThan(100);
    expect(xOf(pb)).toBe(100);
    expect(b.welcome?.metadata).toBe('{"joins":2}');
  });

  it('sends an event to those the predicate picks by their data', async () => {
    joins = 0;
    const h = harness(pilots);
    const red = await h.join();
    const blue = await h.join();
    red.send(red.codec.command(1, 'combat', 'fire', 0, 0, { power: 1 }));
    await h.step(200);
    const events = (c: typeof red) => c.snapshots.flatMap((s) => s.events);
    expect(events(red)).toEqual([{ name: 'boom', payload: { at: expect.any(Number) } }]);
    expect(events(blue)).toEqual([]);
  });

  it('refuses the join, and counts a fault, when data() throws; the room goes on', async () => {
    let calls = 0;
    const h = harness(
      defineRoom({
        protocol: game,
        reconnectWindowMs: 0,
        data: () => {
          if (calls++ === 1) throw new Error('data bug');
          return { calls };
        },
      }),
    );
    await h.join();
    const cursed = h.connect();
    cursed.hello('r', { name: 'cursed' });
    await flush();
    expect(cursed.errors[0]).toMatchObject({ code: ErrorCode.JOIN_REFUSED });
    const room = h.server.rooms.get('r')!;
    expect(room.faults.count).toBe(1);
    expect(room.size).toBe(1);
    await h.join();
    expect([...room.clients.values()].map((p) => p.data)).toEqual([{ calls: 1 }, { calls: 3 }]);
  });
});
