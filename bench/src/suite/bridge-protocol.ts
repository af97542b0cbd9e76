/**
 * The bridge workload (seed 004): ships crewed by six consoles each, NPC ships, bases and
 * torpedoes in flight in one sector, 20 Hz ticks and 10 Hz snapshots, interest in near / mid /
 * far tiers that send fewer fields less often the farther out, torpedoes only within 5,000
 * units, and each ship's systems for its own crew only. The protocol and the numbers are here,
 * shared by the room (bridge-room.ts) and the bots.
 */
import { defineProtocol, t } from '@tickwire/protocol';
import type { Tier } from '@tickwire/server';

/** Players in one game at the seed's maximum load: 8 ships of 6 consoles. */
export const BRIDGE_PLAYERS = 48;
export const CONSOLES = 6;
/** Entities in the game at the seed's maximum load: crewed ships, their systems, bases, torpedoes and NPCs. */
export const BRIDGE_ENTITIES = 150;
export const BRIDGE_BASES = 4;
/** Torpedoes in flight at any time: each flies for TORPEDO_LIFE_S, then another is fired. */
export const BRIDGE_TORPEDOES = 10;
export const TORPEDO_LIFE_S = 5;
/** The sector's side (world units). */
export const BRIDGE_SIZE = 50_000;
export const BRIDGE_TICK_HZ = 20;
export const BRIDGE_SNAPSHOT_HZ = 10;
/** Speeds in units per second. */
export const SHIP_SPEED = 400;
export const NPC_SPEED = 300;
export const TORPEDO_SPEED = 1500;
/** The helm steers its ship; engineering trims the coolant. The other consoles' inputs are counted only. */
export const HELM = 0;
export const ENGINEERING = 3;

/** What the distance tiers apply to: everything in the sector but torpedoes. */
const BODIES = ['ship', 'base'];

/**
 * Seed 004 §3.2-3.3: torpedoes within 5k at every snapshot, none beyond; ships and bases near
 * (< 10k) with their full state at the snapshot rate, mid (10k-20k) reduced at 2 Hz, far (beyond
 * 20k, out to the sector's diagonal) position only at 1 Hz.
 */
export const BRIDGE_TIERS: readonly Tier[] = [
  { name: 'torpedo', radius: 5_000, types: ['torpedo'] },
  { name: 'near', radius: 10_000, types: BODIES },
  { name: 'mid', radius: 20_000, rate: 2, components: ['position', 'heading', 'hull'], types: BODIES },
  { name: 'far', radius: Math.ceil(BRIDGE_SIZE * Math.SQRT2) + 1, rate: 1, components: ['position'], types: BODIES },
];

export const bridge = defineProtocol({
  name: 'bench-bridge',
  components: {
    position: {
      x: t.float({ min: 0, max: BRIDGE_SIZE, precision: 1, linear: true }),
      y: t.float({ min: 0, max: BRIDGE_SIZE, precision: 1, linear: true }),
    },
    heading: { angle: t.angle({ bits: 12 }) },
    velocity: {
      vx: t.float({ min: -SHIP_SPEED, max: SHIP_SPEED, precision: 1 }),
      vy: t.float({ min: -SHIP_SPEED, max: SHIP_SPEED, precision: 1 }),
    },
    shields: { fore: t.uint({ max: 1000 }), aft: t.uint({ max: 1000 }) },
    hull: { hp: t.uint({ max: 1000 }) },
    /** Crew-only: `ship` names the crew's channel. */
    systems: {
      ship: t.uint({ max: 255 }),
      energy: t.uint({ max: 1000 }),
      coolant: t.uint({ max: 100 }),
      heat: t.uint({ max: 1000 }),
      damage: t.uint({ max: 100 }),
    },
  },
  entities: {
    ship: ['position', 'heading', 'velocity', 'shields', 'hull'],
    base: ['position', 'shields', 'hull'],
    systems: ['systems'],
    torpedo: ['position', 'heading'],
  },
  input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) },
});
export type Bridge = typeof bridge;

/** Crewed ships for `players` players: six consoles each. */
export const shipsFor = (players: number): number => Math.max(1, Math.ceil(players / CONSOLES));

/** NPC ships: what is left of the 150 entities after the crewed ships, their systems, the bases and the torpedoes (none left past 68 ships). */
export const npcsFor = (players: number): number => Math.max(0, BRIDGE_ENTITIES - 2 * shipsFor(players) - BRIDGE_BASES - BRIDGE_TORPEDOES);

/** The crew channel of ship `ship`. */
export const crewChannel = (ship: number): string => `ship-${ship}`;
