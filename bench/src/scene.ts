/**
 * The measurement scene: ships on a 1000 x 1000 map moving at 200 units/s, each with
 * {x, y, angle, hp}. Bots (server-side NPCs, or clients' inputs) pick a direction among the
 * eight compass points and keep it for about a second ("turn"), or pick a new one every tick
 * ("jitter", the worst case for any delta scheme), or never turn ("straight").
 */
import { defineProtocol, seededRandom, t } from '@tickwire/protocol';
import { defineRoom } from '@tickwire/server';

export const scene = defineProtocol({
  name: 'bench-scene',
  components: {
    position: {
      x: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
      y: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
    },
    heading: { angle: t.angle({ bits: 12 }) },
    health: { hp: t.uint({ max: 100 }) },
  },
  entities: { ship: ['position', 'heading', 'health'] },
  input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) },
});
export type Scene = typeof scene;

export type Motion = 'turn' | 'jitter' | 'straight';
export const SPEED = 200;

/** The scene's choices come from a seeded generator so runs are comparable. */
export const rng = seededRandom;

interface Mover {
  dx: number;
  dy: number;
  next: number;
}

/** A direction other than standing still. */
export function pickDirection(random: () => number): { dx: number; dy: number } {
  for (;;) {
    const dx = Math.floor(random() * 3) - 1;
    const dy = Math.floor(random() * 3) - 1;
    if (dx !== 0 || dy !== 0) return { dx, dy };
  }
}

/** The scene room's state: its random source and the server-driven ships' directions. */
export interface SceneState {
  random: () => number;
  movers: Map<number, Mover>;
}

/** What the scene room keeps per client: the direction of its latest input. */
export interface Steer {
  dx: number;
  dy: number;
}

/**
 * A room with `npcs` server-driven ships moving by `motion`, and one input-driven ship per
 * client (clients send {dx, dy}).
 */
export function sceneRoom(npcs: number, motion: Motion, options: { seed?: number; clientShips?: boolean } = {}) {
  const clientShips = options.clientShips ?? true;
  const move = (ship: { position: { x: number; y: number }; heading: { angle: number } }, dx: number, dy: number, dt: number, bounce?: Mover) => {
    const norm = dx !== 0 && dy !== 0 ? Math.SQRT1_2 : 1;
    const x = ship.position.x + dx * SPEED * norm * dt;
    const y = ship.position.y + dy * SPEED * norm * dt;
    if (bounce) {
      // Reverse the axis that left the map.
      if (x < 0 || x > 1000) bounce.dx = -bounce.dx;
      if (y < 0 || y > 1000) bounce.dy = -bounce.dy;
    }
    ship.position.x = Math.min(1000, Math.max(0, x));
    ship.position.y = Math.min(1000, Math.max(0, y));
    if (dx !== 0 || dy !== 0) ship.heading.angle = Math.atan2(dy, dx);
  };
  return defineRoom({
    protocol: scene,
    createOnJoin: true,
    data: (): Steer => ({ dx: 0, dy: 0 }),
    maxClients: 5000,
    reconnectWindowMs: 0,
    setup(room): SceneState {
      const random = rng(options.seed ?? 1);
      const movers = new Map<number, Mover>();
      for (let i = 0; i < npcs; i++) {
        const e = room.entities.create('ship', { position: { x: random() * 1000, y: random() * 1000 }, health: { hp: 100 } });
        movers.set(e.id, { ...pickDirection(random), next: 0 });
      }
      return { random, movers };
    },
    onJoin(room) {
      if (!clientShips) return;
      const r = room.state.random;
      return room.entities.create('ship', { position: { x: r() * 1000, y: r() * 1000 }, health: { hp: 100 } });
    },
    onLeave(room, client) {
      if (client.entity) room.entities.remove(client.entity);
    },
    onInput(_room, client, input) {
      client.data.dx = input.dx;
      client.data.dy = input.dy;
    },
    systems: [
      (room, dt) => {
        const { random, movers } = room.state;
        for (const [id, m] of movers) {
          const ship = room.entities.get(id);
          if (!ship) continue;
          if (motion === 'jitter' || (motion === 'turn' && room.tick >= m.next)) {
            Object.assign(m, pickDirection(random));
            m.next = room.tick + Math.round((0.5 + random()) * room.tickRate);
          }
          move(ship, m.dx, m.dy, dt, m);
        }
        for (const client of room.clients.values()) {
          if (client.entity) move(client.entity, client.data.dx, client.data.dy, dt);
        }
      },
    ],
  });
}
