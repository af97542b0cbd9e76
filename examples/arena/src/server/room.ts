/**
 * The arena's authoritative room: ships steered by input (speed and bounds enforced here, never
 * trusted from the client), bullets simulated on the server, walls placed on a grid.
 */
import { defineRoom, reject, type Entity, type Room, type RoomClient } from '@tickwire/server';
import {
  arena,
  BUILD_RANGE,
  BULLET_DAMAGE,
  BULLET_RANGE,
  BULLET_SPEED,
  CELL,
  FIRE_COOLDOWN_MS,
  GRID_H,
  GRID_W,
  MAP_H,
  MAP_W,
  MAX_HP,
  SHIP_RADIUS,
  SHIP_SPEED,
  WALLS_PER_PLAYER,
  type Arena,
} from '../shared/protocol.js';

interface Bullet {
  vx: number;
  vy: number;
  travelled: number;
  owner: number;
}

interface Pilot {
  dx: number;
  dy: number;
  aim: number;
  lastFire: number;
  walls: number[];
}

export interface ArenaState {
  walls: Map<number, Entity<Arena, 'wall'>>;
  bullets: Map<number, Bullet>;
  random: () => number;
}

type ArenaRoom = Room<Arena, ArenaState>;
type Ship = Entity<Arena, 'ship'>;

const cellKey = (cx: number, cy: number) => cy * GRID_W + cx;

function pilot(client: RoomClient<Arena>): Pilot {
  return client.data as unknown as Pilot;
}

/** Whether a circle at (x, y) overlaps a wall cell. */
function hitsWall(state: ArenaState, x: number, y: number, r: number): boolean {
  const x0 = Math.max(0, Math.floor((x - r) / CELL));
  const x1 = Math.min(GRID_W - 1, Math.floor((x + r) / CELL));
  const y0 = Math.max(0, Math.floor((y - r) / CELL));
  const y1 = Math.min(GRID_H - 1, Math.floor((y + r) / CELL));
  for (let cy = y0; cy <= y1; cy++) {
    for (let cx = x0; cx <= x1; cx++) {
      if (!state.walls.has(cellKey(cx, cy))) continue;
      const nx = Math.max(cx * CELL, Math.min(x, cx * CELL + CELL));
      const ny = Math.max(cy * CELL, Math.min(y, cy * CELL + CELL));
      if ((nx - x) ** 2 + (ny - y) ** 2 < r * r) return true;
    }
  }
  return false;
}

function spawnPoint(room: ArenaRoom): { x: number; y: number } {
  const { random } = room.state;
  for (let i = 0; i < 50; i++) {
    const x = SHIP_RADIUS + random() * (MAP_W - 2 * SHIP_RADIUS);
    const y = SHIP_RADIUS + random() * (MAP_H - 2 * SHIP_RADIUS);
    if (!hitsWall(room.state, x, y, SHIP_RADIUS * 2)) return { x, y };
  }
  return { x: MAP_W / 2, y: MAP_H / 2 };
}

function moveShips(room: ArenaRoom, dt: number): void {
  for (const client of room.clients.values()) {
    const ship = client.entity as Ship | undefined;
    if (!ship || !client.connected) continue;
    const p = pilot(client);
    const norm = p.dx !== 0 && p.dy !== 0 ? Math.SQRT1_2 : 1;
    const step = SHIP_SPEED * norm * dt;
    const r = SHIP_RADIUS;
    const x = Math.min(MAP_W - r, Math.max(r, ship.position.x + p.dx * step));
    if (!hitsWall(room.state, x, ship.position.y, r)) ship.position.x = x;
    const y = Math.min(MAP_H - r, Math.max(r, ship.position.y + p.dy * step));
    if (!hitsWall(room.state, ship.position.x, y, r)) ship.position.y = y;
    ship.heading.angle = p.aim;
  }
}

function moveBullets(room: ArenaRoom, dt: number): void {
  const { bullets } = room.state;
  for (const [id, b] of bullets) {
    const e = room.entities.get(id);
    if (!e || e.type !== 'bullet') {
      bullets.delete(id);
      continue;
    }
    const x = e.position.x + b.vx * dt;
    const y = e.position.y + b.vy * dt;
    b.travelled += BULLET_SPEED * dt;
    let gone = b.travelled > BULLET_RANGE || x < 0 || y < 0 || x > MAP_W || y > MAP_H || hitsWall(room.state, x, y, 2);
    if (!gone) {
      for (const ship of room.entities.ofType('ship')) {
        if (ship.id === b.owner) continue;
        if ((ship.position.x - x) ** 2 + (ship.position.y - y) ** 2 > (SHIP_RADIUS + 2) ** 2) continue;
        damage(room, ship, b.owner);
        gone = true;
        break;
      }
    }
    if (gone) {
      bullets.delete(id);
      room.entities.remove(id);
    } else {
      e.position.x = x;
      e.position.y = y;
    }
  }
}

function damage(room: ArenaRoom, ship: Ship, by: number): void {
  const hp = Math.max(0, ship.health.hp - BULLET_DAMAGE);
  room.emit('hit', { target: ship.id, by, damage: BULLET_DAMAGE });
  if (hp > 0) {
    ship.health.hp = hp;
    return;
  }
  room.emit('destroyed', { target: ship.id, by });
  const killer = room.entities.get(by);
  if (killer?.type === 'ship') killer.pilot.score = Math.min(65535, killer.pilot.score + 1);
  const at = spawnPoint(room);
  ship.position.x = at.x;
  ship.position.y = at.y;
  ship.health.hp = MAX_HP;
}

/** Options for tests and tools: a seeded random source. */
export interface ArenaOptions {
  random?: () => number;
  /** Seat a dropped player's ship for this long (default 60 s). */
  reconnectWindowMs?: number;
  maxClients?: number;
}

export function arenaRoom(options: ArenaOptions = {}) {
  return defineRoom<Arena, ArenaState>({
    protocol: arena,
    tickRate: 20,
    snapshotRate: 20,
    maxClients: options.maxClients ?? 1000,
    reconnectWindowMs: options.reconnectWindowMs ?? 60_000,
    setup: () => ({ walls: new Map(), bullets: new Map(), random: options.random ?? Math.random }),
    metadata: () => ({ map: { width: MAP_W, height: MAP_H, cell: CELL } }),

    onJoin(room, client) {
      const hue = Math.floor(room.state.random() * 360);
      client.data = { dx: 0, dy: 0, aim: 0, lastFire: -Infinity, walls: [] } satisfies Pilot;
      const at = spawnPoint(room);
      return room.entities.create('ship', { position: at, health: { hp: MAX_HP }, pilot: { name: client.name, hue, score: 0 } });
    },

    onLeave(room, client) {
      if (client.entity) room.entities.remove(client.entity);
    },

    onInput(_room, client, input) {
      const p = pilot(client);
      p.dx = input.dx;
      p.dy = input.dy;
      p.aim = input.aim;
    },

    commands: {
      combat: {
        fire(room, client, { angle }) {
          const ship = client.entity as Ship | undefined;
          if (!ship) reject('you have no ship');
          const p = pilot(client);
          const now = room.time * 1000;
          if (now - p.lastFire < FIRE_COOLDOWN_MS) reject('weapon cooling down');
          p.lastFire = now;
          const vx = Math.cos(angle) * BULLET_SPEED;
          const vy = Math.sin(angle) * BULLET_SPEED;
          const x = ship.position.x + Math.cos(angle) * (SHIP_RADIUS + 4);
          const y = ship.position.y + Math.sin(angle) * (SHIP_RADIUS + 4);
          if (x < 0 || y < 0 || x > MAP_W || y > MAP_H || hitsWall(room.state, x, y, 2)) return;
          const bullet = room.entities.create('bullet', { position: { x, y } });
          room.state.bullets.set(bullet.id, { vx, vy, travelled: 0, owner: ship.id });
        },
      },
      build: {
        wall(room, client, { cx, cy }) {
          const ship = client.entity as Ship | undefined;
          if (!ship) reject('you have no ship');
          const key = cellKey(cx, cy);
          if (room.state.walls.has(key)) reject('there is a wall there already');
          const mx = cx * CELL + CELL / 2;
          const my = cy * CELL + CELL / 2;
          if ((mx - ship.position.x) ** 2 + (my - ship.position.y) ** 2 > BUILD_RANGE ** 2) reject('out of building range');
          for (const other of room.entities.ofType('ship')) {
            const nx = Math.max(cx * CELL, Math.min(other.position.x, cx * CELL + CELL));
            const ny = Math.max(cy * CELL, Math.min(other.position.y, cy * CELL + CELL));
            if ((nx - other.position.x) ** 2 + (ny - other.position.y) ** 2 < SHIP_RADIUS ** 2) reject('a ship is in the way');
          }
          const p = pilot(client);
          if (p.walls.length >= WALLS_PER_PLAYER) reject(`you have built the most walls allowed (${WALLS_PER_PLAYER})`);
          const wall = room.entities.create('wall', { cell: { cx, cy, owner: ship.id } });
          room.state.walls.set(key, wall);
          p.walls.push(wall.id);
        },
      },
    },

    onChat: (_room, _client, text) => text.slice(0, 200),

    systems: [moveShips, moveBullets],
  });
}
