/**
 * A small game used by the cross-package scenarios: ships that move by input at 200 units/s
 * on a 1000 x 1000 map, a fire command that spawns a bullet, a hit event.
 */
import { defineProtocol, t, ManualClock } from '@tickwire/protocol';
import { createServer, defineRoom, reject, type RoomDefinition, type ServerOptions } from '@tickwire/server';
import { pino } from 'pino';

export const testGame = defineProtocol({
  name: 'test-game',
  components: {
    position: {
      x: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
      y: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
    },
    heading: { angle: t.angle({ bits: 12 }) },
    health: { hp: t.uint({ max: 100 }) },
    label: { name: t.string(16) },
  },
  entities: {
    ship: ['position', 'heading', 'health', 'label'],
    bullet: ['position'],
  },
  input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) },
  commands: {
    combat: { fire: { angle: t.angle({ bits: 10 }) } },
    admin: { slow: { ms: t.uint(16) } },
  },
  events: { hit: { target: t.ref(), damage: t.uint(8) } },
});

export type TestGame = typeof testGame;

export const SPEED = 200;

/** What the test room keeps per player: the last direction its input asked for. */
export interface Steering {
  dx: number;
  dy: number;
}

export type TestRoomDefinition = RoomDefinition<TestGame, { fired: number }, Steering>;

export function testRoom(overrides: Partial<TestRoomDefinition> = {}): TestRoomDefinition {
  return defineRoom({
    protocol: testGame,
    createOnJoin: true,
    reconnectWindowMs: 0,
    setup: () => ({ fired: 0 }),
    data: (): Steering => ({ dx: 0, dy: 0 }),
    onJoin(room, client) {
      return room.entities.create('ship', {
        position: { x: 100 + client.id * 10, y: 500 },
        health: { hp: 100 },
        label: { name: client.name },
      });
    },
    onLeave(room, client) {
      if (client.entity) room.entities.remove(client.entity);
    },
    onInput(room, client, input) {
      client.data.dx = input.dx;
      client.data.dy = input.dy;
    },
    commands: {
      combat: {
        fire(room, client, payload) {
          const ship = client.entity;
          if (!ship || ship.type !== 'ship') reject('no ship');
          room.state.fired++;
          room.entities.create('bullet', { position: { x: ship.position.x, y: ship.position.y } });
          room.emit('hit', { target: ship.id, damage: Math.round(payload.angle) % 256 });
        },
      },
    },
    systems: [
      (room, dt) => {
        for (const client of room.clients.values()) {
          const ship = client.entity;
          if (!ship || ship.type !== 'ship') continue;
          ship.position.x = Math.min(1000, Math.max(0, ship.position.x + client.data.dx * SPEED * dt));
          ship.position.y = Math.min(1000, Math.max(0, ship.position.y + client.data.dy * SPEED * dt));
        }
      },
    ],
    ...overrides,
  });
}

export const silent = pino({ level: 'silent' });

/** A server on a manual clock, for stepped scenarios. */
export function manualServer(room = testRoom(), options: Partial<ServerOptions> = {}) {
  const clock = new ManualClock(1000);
  const server = createServer({ rooms: room, clock, logger: silent, processMetrics: false, ...options });
  return { clock, server };
}
