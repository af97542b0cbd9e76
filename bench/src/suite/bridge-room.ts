/**
 * tickwire's room for the bridge workload (bridge-protocol.ts): crewed ships steered by their
 * helm, NPC ships turning about once a second, static bases, torpedoes fired from random ships
 * that fly straight for a few seconds, shields that take hits and regenerate, and each crew's
 * systems (energy, coolant, heat, damage) on its own channel. Interest: the seed's tiers around
 * each player's ship.
 */
import { seededRandom } from '@tickwire/protocol';
import { defineRoom, type Entity, type Room, type RoomDefinition } from '@tickwire/server';
import {
  bridge,
  BRIDGE_BASES,
  BRIDGE_SIZE,
  BRIDGE_SNAPSHOT_HZ,
  BRIDGE_TICK_HZ,
  BRIDGE_TIERS,
  BRIDGE_TORPEDOES,
  CONSOLES,
  crewChannel,
  ENGINEERING,
  HELM,
  NPC_SPEED,
  npcsFor,
  SHIP_SPEED,
  shipsFor,
  TORPEDO_LIFE_S,
  TORPEDO_SPEED,
  type Bridge,
} from './bridge-protocol.js';
import { pickSteer, SPAWN_SEED } from './rules.js';
import type { RoomCounters } from './tickwire-room.js';

type Ship = Entity<Bridge, 'ship'>;

interface Crew {
  ship: Ship;
  systems: Entity<Bridge, 'systems'>;
  dx: number;
  dy: number;
}

interface Npc {
  ship: Ship;
  dx: number;
  dy: number;
  /** The tick it turns next. */
  turnAt: number;
}

interface Torpedo {
  entity: Entity<Bridge, 'torpedo'>;
  vx: number;
  vy: number;
  /** The tick it is gone. */
  endsAt: number;
}

interface BridgeState {
  random: () => number;
  crews: Crew[];
  npcs: Npc[];
  torpedoes: Torpedo[];
  /** Players joined so far: the next one's ship and console. */
  joined: number;
}

/** A player's place: ship, console, the crew channel, and the ship it looks from. */
interface Seat {
  ship: number;
  console: number;
  channels: string[];
  vessel: Ship | undefined;
}

/** Hits per ship per second, and what one takes off a shield. */
const HITS_PER_S = 0.5;
const HIT = 100;

export interface BridgeRoomOptions {
  /** Players the game is crewed for (six per ship). */
  players: number;
  counters: RoomCounters;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Moves a ship along (dx, dy) at `speed`, its velocity and heading following. */
function fly(ship: Ship, dx: number, dy: number, speed: number, dt: number): void {
  const norm = dx !== 0 && dy !== 0 ? Math.SQRT1_2 : 1;
  const vx = dx * speed * norm;
  const vy = dy * speed * norm;
  ship.velocity.vx = vx;
  ship.velocity.vy = vy;
  ship.position.x = clamp(ship.position.x + vx * dt, 0, BRIDGE_SIZE);
  ship.position.y = clamp(ship.position.y + vy * dt, 0, BRIDGE_SIZE);
  if (dx !== 0 || dy !== 0) ship.heading.angle = Math.atan2(dy, dx);
}

/** Shields regenerate a point a tick; now and then a hit takes one down, and the hull if it was low. Returns whether the hull was hit. */
function combat(ship: Ship, random: () => number, dt: number): boolean {
  const s = ship.shields;
  if (s.fore < 1000) s.fore += 1;
  if (s.aft < 1000) s.aft += 1;
  if (random() >= HITS_PER_S * dt) return false;
  const fore = random() < 0.5;
  const shield = fore ? s.fore : s.aft;
  if (fore) s.fore = Math.max(0, shield - HIT);
  else s.aft = Math.max(0, shield - HIT);
  if (shield >= HIT) return false;
  ship.hull.hp = Math.max(100, ship.hull.hp - 10);
  return true;
}

/** Fires a torpedo from `from` along its heading, gone after `lifeTicks`. */
function fire(room: Room<Bridge, BridgeState, Seat>, from: Ship, lifeTicks: number): Torpedo {
  const angle = from.heading.angle;
  const entity = room.entities.create('torpedo', { position: { x: from.position.x, y: from.position.y }, heading: { angle } });
  return { entity, vx: Math.cos(angle) * TORPEDO_SPEED, vy: Math.sin(angle) * TORPEDO_SPEED, endsAt: room.tick + lifeTicks };
}

/** A random ship of the sector, crewed or not. */
function anyShip(state: BridgeState): Ship {
  const k = Math.floor(state.random() * (state.crews.length + state.npcs.length));
  return k < state.crews.length ? state.crews[k]!.ship : state.npcs[k - state.crews.length]!.ship;
}

export function bridgeRoom(o: BridgeRoomOptions): RoomDefinition<Bridge, BridgeState, Seat> {
  const ships = shipsFor(o.players);
  const ship = (random: () => number) => ({
    position: { x: random() * BRIDGE_SIZE, y: random() * BRIDGE_SIZE },
    shields: { fore: 1000, aft: 1000 },
    hull: { hp: 1000 },
  });
  return defineRoom({
    protocol: bridge,
    createOnJoin: true,
    data: (): Seat => ({ ship: 0, console: 0, channels: [], vessel: undefined }),
    tickRate: BRIDGE_TICK_HZ,
    snapshotRate: BRIDGE_SNAPSHOT_HZ,
    maxClients: 10_000,
    reconnectWindowMs: 0,
    setup(room): BridgeState {
      const random = seededRandom(SPAWN_SEED);
      const crews: Crew[] = [];
      for (let i = 0; i < ships; i++) {
        crews.push({
          ship: room.entities.create('ship', ship(random)),
          systems: room.entities.create('systems', { systems: { ship: i, energy: 1000, coolant: 50, heat: 0, damage: 0 } }),
          dx: 0,
          dy: 0,
        });
      }
      for (let i = 0; i < BRIDGE_BASES; i++) room.entities.create('base', ship(random));
      const npcs: Npc[] = [];
      for (let i = 0; i < npcsFor(o.players); i++) npcs.push({ ship: room.entities.create('ship', ship(random)), dx: 0, dy: 0, turnAt: 0 });
      const state: BridgeState = { random, crews, npcs, torpedoes: [], joined: 0 };
      // Lives spread over the first flight, so about as many are fired every second from then on.
      const life = TORPEDO_LIFE_S * BRIDGE_TICK_HZ;
      for (let i = 0; i < BRIDGE_TORPEDOES; i++) state.torpedoes.push(fire(room, anyShip(state), 1 + Math.floor((i * life) / BRIDGE_TORPEDOES)));
      return state;
    },
    onJoin(room, player) {
      const k = room.state.joined++;
      const seat = player.data;
      seat.ship = k % ships;
      seat.console = Math.floor(k / ships) % CONSOLES;
      seat.channels = [crewChannel(seat.ship)];
      const crew = room.state.crews[seat.ship]!;
      seat.vessel = crew.ship;
      // The first player of each ship is its helm and controls it.
      return k < ships ? crew.ship : undefined;
    },
    onInput(room, player, input) {
      o.counters.inputs++;
      const crew = room.state.crews[player.data.ship];
      if (!crew) return;
      if (player.data.console === HELM) {
        crew.dx = input.dx;
        crew.dy = input.dy;
      } else if (player.data.console === ENGINEERING) {
        crew.systems.systems.coolant = clamp(crew.systems.systems.coolant + input.dx, 0, 100);
      }
    },
    systems: [
      (room, dt) => {
        const { random, crews, npcs } = room.state;
        for (const crew of crews) {
          fly(crew.ship, crew.dx, crew.dy, SHIP_SPEED, dt);
          const s = crew.systems.systems;
          const moving = crew.dx !== 0 || crew.dy !== 0;
          s.energy = clamp(s.energy + (moving ? -1 : 2), 0, 1000);
          s.heat = clamp(s.heat + (moving ? 2 : -3) - Math.floor(s.coolant / 50), 0, 1000);
          if (combat(crew.ship, random, dt)) s.damage = Math.min(100, s.damage + 1);
        }
        for (const npc of npcs) {
          if (room.tick >= npc.turnAt) {
            Object.assign(npc, pickSteer(random));
            npc.turnAt = room.tick + Math.round((0.5 + random()) * BRIDGE_TICK_HZ);
          }
          const { x, y } = npc.ship.position;
          // Turn back from the sector's edges.
          if ((x <= 0 && npc.dx < 0) || (x >= BRIDGE_SIZE && npc.dx > 0)) npc.dx = -npc.dx;
          if ((y <= 0 && npc.dy < 0) || (y >= BRIDGE_SIZE && npc.dy > 0)) npc.dy = -npc.dy;
          fly(npc.ship, npc.dx, npc.dy, NPC_SPEED, dt);
          combat(npc.ship, random, dt);
        }
        const torpedoes = room.state.torpedoes;
        for (let i = 0; i < torpedoes.length; i++) {
          const t = torpedoes[i]!;
          const x = t.entity.position.x + t.vx * dt;
          const y = t.entity.position.y + t.vy * dt;
          if (room.tick < t.endsAt && x >= 0 && x <= BRIDGE_SIZE && y >= 0 && y <= BRIDGE_SIZE) {
            t.entity.position.x = x;
            t.entity.position.y = y;
            continue;
          }
          room.entities.remove(t.entity);
          torpedoes[i] = fire(room, anyShip(room.state), TORPEDO_LIFE_S * BRIDGE_TICK_HZ);
        }
      },
    ],
    interest: {
      position: (e) => (e.type === 'systems' ? undefined : e.position),
      viewer: (player) => player.data.vessel?.position,
      tiers: BRIDGE_TIERS,
      channel: (e) => (e.type === 'systems' ? crewChannel(e.systems.ship) : undefined),
      channels: (player) => player.data.channels,
    },
  });
}
