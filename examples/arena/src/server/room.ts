/**
 * The arena's authoritative room: ships steered by input through the shared step (speed and
 * bounds enforced here, never trusted from the client; one input per tick), bullets simulated
 * on the server and checked against where their targets were when the shooter fired (lag
 * compensation), walls placed on a grid for resources picked up from crates.
 *
 * Durable (with a server storage): walls, and each pilot's position, health, resources and
 * score, checkpointed every second and on join and leave. Building is a critical transaction:
 * the resources spent and the wall built are committed before the builder hears "ok".
 * Bullets and crates are ephemeral.
 */
import { quantize } from '@tickwire/protocol';
import { defineRoom, LagHistory, reject, type CriticalStep, type Entity, type Player, type RecordOptions, type Room } from '@tickwire/server';
import { cellKey, hitsWall, moveShip, type ArenaWorld } from '../shared/sim.js';
import {
  arena,
  BUILD_RANGE,
  BULLET_DAMAGE,
  BULLET_RANGE,
  BULLET_SPEED,
  CELL,
  CRATE_EVERY_MS,
  CRATE_VALUE,
  FIRE_COOLDOWN_MS,
  GRID_H,
  MAP_H,
  MAP_W,
  MAX_CRATES,
  MAX_HP,
  MAX_RESOURCES,
  START_RESOURCES,
  WALL_COST,
  SHIP_RADIUS,
  WALLS_PER_PLAYER,
  type Arena,
} from '../shared/protocol.js';

interface Bullet {
  vx: number;
  vy: number;
  travelled: number;
  owner: number;
  /** Ticks to rewind targets by: how far behind the present the shooter was looking. */
  rewind: number;
}

/** What the room keeps for each pilot while they play (not replicated, not stored). */
interface Pilot {
  lastFire: number;
  walls: number[];
}

export interface ArenaState {
  walls: Map<number, Entity<Arena, 'wall'>>;
  /** The walls' cell keys: the world the shared movement step reads. */
  world: ArenaWorld & { walls: Set<number> };
  bullets: Map<number, Bullet>;
  history: LagHistory<Entity<Arena, 'ship'>>;
  random: () => number;
  nextCrateAt: number;
}

/** What a pilot keeps across sessions and restarts. */
interface PilotSave {
  x: number;
  y: number;
  hp: number;
  resources: number;
  score: number;
}

type ArenaRoom = Room<Arena, ArenaState, Pilot>;
type ArenaPlayer = Player<Arena, Pilot>;
type Ship = Entity<Arena, 'ship'>;

/** The player's ship, if they have one (the only entity type a player plays). */
function shipOf(player: ArenaPlayer): Ship | undefined {
  const e = player.entity;
  return e?.type === 'ship' ? e : undefined;
}

/** Drops crates now and then; a ship that touches one picks up its resources. */
function crates(room: ArenaRoom): void {
  const now = room.time * 1000;
  const state = room.state;
  if (now >= state.nextCrateAt) {
    state.nextCrateAt = now + CRATE_EVERY_MS;
    if ([...room.entities.ofType('crate')].length < MAX_CRATES) {
      const at = spawnPoint(room);
      room.entities.create('crate', { position: at });
    }
  }
  for (const crate of room.entities.ofType('crate')) {
    for (const ship of room.entities.ofType('ship')) {
      if ((ship.position.x - crate.position.x) ** 2 + (ship.position.y - crate.position.y) ** 2 > (SHIP_RADIUS + 10) ** 2) continue;
      ship.pilot.resources = Math.min(MAX_RESOURCES, ship.pilot.resources + CRATE_VALUE);
      room.entities.remove(crate);
      break;
    }
  }
}

/**
 * A free place to (re)spawn, rounded to what the wire carries: the owner predicts its ship from
 * the rounded value, so a ship left between steps would drift from that prediction by the
 * rounding and bring a small correction after every respawn.
 */
function spawnPoint(room: ArenaRoom): { x: number; y: number } {
  const { random } = room.state;
  const at = { position: { x: MAP_W / 2, y: MAP_H / 2 } };
  for (let i = 0; i < 50; i++) {
    const x = SHIP_RADIUS + random() * (MAP_W - 2 * SHIP_RADIUS);
    const y = SHIP_RADIUS + random() * (MAP_H - 2 * SHIP_RADIUS);
    if (hitsWall(room.state.world.walls, x, y, SHIP_RADIUS * 2)) continue;
    at.position = { x, y };
    break;
  }
  quantize(room.protocol.entityType('ship'), at, ['position']);
  return at.position;
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
    let gone = b.travelled > BULLET_RANGE || x < 0 || y < 0 || x > MAP_W || y > MAP_H || hitsWall(room.state.world.walls, x, y, 2);
    if (!gone) {
      for (const ship of room.entities.ofType('ship')) {
        if (ship.id === b.owner) continue;
        // Where the shooter saw this ship when the bullet is where it is now.
        const [sx, sy] = room.state.history.at(ship.id, room.tick - b.rewind) ?? [ship.position.x, ship.position.y];
        if ((sx! - x) ** 2 + (sy! - y) ** 2 > (SHIP_RADIUS + 2) ** 2) continue;
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

/**
 * Building a wall as a critical step: spend the resources and place the wall, or take both back.
 * The rules are checked inside `apply`, which with storage runs once the key is known to be new,
 * so they see the room as it is when the wall goes up.
 */
function buildWall(room: ArenaRoom, client: ArenaPlayer, cx: number, cy: number): CriticalStep<void> {
  const ship = shipOf(client);
  const p = client.data;
  const key = cellKey(cx, cy);
  let wall: Entity<Arena, 'wall'> | undefined;
  return {
    apply() {
      if (!ship?.alive) reject('you have no ship');
      if (room.state.walls.has(key)) reject('there is a wall there already');
      const mx = cx * CELL + CELL / 2;
      const my = cy * CELL + CELL / 2;
      if ((mx - ship.position.x) ** 2 + (my - ship.position.y) ** 2 > BUILD_RANGE ** 2) reject('out of building range');
      for (const other of room.entities.ofType('ship')) {
        const nx = Math.max(cx * CELL, Math.min(other.position.x, cx * CELL + CELL));
        const ny = Math.max(cy * CELL, Math.min(other.position.y, cy * CELL + CELL));
        if ((nx - other.position.x) ** 2 + (ny - other.position.y) ** 2 < SHIP_RADIUS ** 2) reject('a ship is in the way');
      }
      if (p.walls.length >= WALLS_PER_PLAYER) reject(`you have built the most walls allowed (${WALLS_PER_PLAYER})`);
      if (ship.pilot.resources < WALL_COST) reject(`a wall costs ${WALL_COST} resources; you have ${ship.pilot.resources}: pick up crates`);
      ship.pilot.resources -= WALL_COST;
      wall = room.entities.create('wall', { cell: { cx, cy, owner: ship.id } });
      room.state.walls.set(key, wall);
      room.state.world.walls.add(key);
      p.walls.push(wall.id);
    },
    undo() {
      if (!wall) return;
      if (ship) ship.pilot.resources += WALL_COST;
      room.entities.remove(wall);
      room.state.walls.delete(key);
      room.state.world.walls.delete(key);
      const id = wall.id;
      p.walls = p.walls.filter((w) => w !== id);
    },
  };
}

/** Options for tests and tools. */
export interface ArenaOptions {
  /** Random numbers for spawns and colours (default: the room's own, `room.random()`, which a recording replays). */
  random?: () => number;
  /** Record each room for replay (see docs/netcode.md section 10). */
  record?: RecordOptions;
  /** Keep a dropped player's membership and ship for this long (default 60 s). */
  reconnectWindowMs?: number;
  maxClients?: number;
  /** Furthest back a hit check rewinds to favour a lagging shooter (default 400 ms; 0 turns lag compensation off). */
  maxRewindMs?: number;
  /** Checkpoint period when the server has storage (default 1000 ms). */
  checkpointMs?: number;
}

export function arenaRoom(options: ArenaOptions = {}) {
  return defineRoom({
    protocol: arena,
    createOnJoin: true, // /?room=abc links open the room they name
    data: (): Pilot => ({ lastFire: -Infinity, walls: [] }),
    tickRate: 20,
    snapshotRate: 20,
    maxInputsPerTick: 1,
    sendOwnState: true,
    maxClients: options.maxClients ?? 1000,
    reconnectWindowMs: options.reconnectWindowMs ?? 60_000,
    setup: (room): ArenaState => ({
      walls: new Map(),
      world: { walls: new Set<number>() },
      bullets: new Map(),
      history: new LagHistory({ tickMs: room.tickMs, windowMs: 1000, maxRewindMs: options.maxRewindMs ?? 400 }),
      random: options.random ?? (() => room.random()),
      nextCrateAt: 0,
    }),

    persistence: {
      durable: ['wall'],
      checkpointMs: options.checkpointMs ?? 1000,
      restore(room, row) {
        const data = row.data as { cell: { cx: number; cy: number } };
        const wall = room.entities.create('wall', { cell: { cx: data.cell.cx, cy: data.cell.cy, owner: 0 } });
        const key = cellKey(data.cell.cx, data.cell.cy);
        room.state.walls.set(key, wall);
        room.state.world.walls.add(key);
        return wall;
      },
      player: {
        save(_room, client): PilotSave | undefined {
          const ship = shipOf(client);
          if (!ship?.alive) return undefined;
          return { x: ship.position.x, y: ship.position.y, hp: ship.health.hp, resources: ship.pilot.resources, score: ship.pilot.score };
        },
        load(_room, client, data) {
          const ship = shipOf(client);
          const saved = data as Partial<PilotSave>;
          if (!ship) return;
          if (typeof saved.x === 'number' && typeof saved.y === 'number') {
            ship.position.x = saved.x;
            ship.position.y = saved.y;
          }
          if (typeof saved.hp === 'number' && saved.hp > 0) ship.health.hp = saved.hp;
          if (typeof saved.resources === 'number') ship.pilot.resources = saved.resources;
          if (typeof saved.score === 'number') ship.pilot.score = saved.score;
        },
      },
    },
    metadata: () => ({ map: { width: MAP_W, height: MAP_H, cell: CELL } }),
    ...(options.record ? { record: options.record } : {}),

    onJoin(room, client) {
      const hue = Math.floor(room.state.random() * 360);
      const at = spawnPoint(room);
      return room.entities.create('ship', { position: at, health: { hp: MAX_HP }, pilot: { name: client.name, hue, score: 0, resources: START_RESOURCES } });
    },

    onLeave(room, client) {
      if (client.entity) room.entities.remove(client.entity);
    },

    onInput(room, client, input) {
      const ship = shipOf(client);
      if (!ship) return;
      moveShip(ship, input, room.dt, room.state.world);
      // The client predicts from quantized state: keep the server's the same, to the bit.
      quantize(room.protocol.entityType('ship'), ship, ['position', 'heading']);
    },

    commands: {
      combat: {
        fire(room, client, { angle }, meta) {
          const ship = shipOf(client);
          if (!ship) reject('you have no ship');
          const p = client.data;
          const now = room.time * 1000;
          if (now - p.lastFire < FIRE_COOLDOWN_MS) reject('weapon cooling down');
          p.lastFire = now;
          const vx = Math.cos(angle) * BULLET_SPEED;
          const vy = Math.sin(angle) * BULLET_SPEED;
          const x = ship.position.x + Math.cos(angle) * (SHIP_RADIUS + 4);
          const y = ship.position.y + Math.sin(angle) * (SHIP_RADIUS + 4);
          if (x < 0 || y < 0 || x > MAP_W || y > MAP_H || hitsWall(room.state.world.walls, x, y, 2)) return;
          const bullet = room.entities.create('bullet', { position: { x, y } });
          const seen = room.state.history.rewindTick(meta.time, room.tick, room.epoch);
          room.state.bullets.set(bullet.id, { vx, vy, travelled: 0, owner: ship.id, rewind: Math.round(room.tick - seen) });
        },
      },
      build: {
        async wall(room, client, { cx, cy }, meta) {
          const step = buildWall(room, client, cx, cy);
          // With storage, a critical transaction: applied once per command (a retry of it is
          // answered without building twice) and durable before the builder hears "ok".
          if (room.persist) await room.persist.once(meta.key, step);
          else step.apply();
        },
      },
    },

    onChat: (_room, _client, text) => text.slice(0, 200),

    systems: [
      moveBullets,
      crates,
      (room) => room.state.history.record(room.tick, room.entities.ofType('ship'), (s) => [s.position.x, s.position.y]),
    ],
  });
}
