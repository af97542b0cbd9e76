/**
 * The bridge's protocol, shared by the server room, the browser consoles and the bots.
 *
 * Entities are split the way seed 004 §3.2 partitions state. What anyone may see of a ship
 * (`ship`: where it is, where it heads, its shields and hull) goes through the interest tiers:
 * everything near, a reduced set at mid range, position only far away. What only a ship's crew
 * sees lives in three entities of its own on the crew's channel: `bridge` (helm settings, the
 * weapons target, alert, the science scan: written at 10 Hz), `systems` (energy, power, coolant,
 * heat, damage: written at 5 Hz) and `tubes` (written when a tube changes).
 */
import { defineProtocol, t, type FieldType } from '@tickwire/protocol';
import {
  CLASSES,
  CONSOLES,
  HAILS,
  MAX_COOLANT,
  MAX_DIFFICULTY,
  MAX_DRIVE,
  MAX_ENERGY,
  MAX_POWER,
  MAX_SHIPS,
  MAX_SPEED,
  MAX_WARP,
  ORDNANCE,
  RUDDER_STEPS,
  SCENARIOS,
  SECTOR,
  SIDES,
  STOCK,
  SYSTEMS,
  TUBE_STATES,
  TUBES,
  type SystemName,
} from './constants.js';

const coord = (linear: boolean) => t.float({ min: 0, max: SECTOR, precision: 0.5, linear });

/** One field per ship system (the SYSTEMS order). */
function perSystem(field: () => FieldType<number>): Record<SystemName, FieldType<number>> {
  return { beams: field(), tubes: field(), sensors: field(), impulse: field(), warp: field(), shields: field() };
}

/** A torpedo tube: what it holds, and the ticks its loading started and ends. */
const tube = () => ({ state: t.enum(TUBE_STATES), kind: t.enum(ORDNANCE), from: t.uint(32), ready: t.uint(32) });

export const bridge = defineProtocol({
  name: 'bridge',
  components: {
    position: { x: coord(true), y: coord(true) },
    heading: { angle: t.angle({ bits: 12 }) },
    motion: { speed: t.float({ min: 0, max: MAX_SPEED, precision: 0.5 }) },
    /** Drive output available, in % (engineering's power, less damage and heat): what the helm step reads. */
    drive: { impulse: t.uint({ max: MAX_DRIVE }), warp: t.uint({ max: MAX_DRIVE }) },
    shields: { fore: t.uint({ max: 100 }), aft: t.uint({ max: 100 }), up: t.bool() },
    hull: { hp: t.uint({ max: 100 }) },
    /** Who it is: `ship` is 1 + the player ship's index, 0 for NPCs and bases. */
    tag: { name: t.string(20), side: t.enum(SIDES), cls: t.enum(CLASSES), ship: t.uint({ max: MAX_SHIPS }) },
    warhead: { kind: t.enum(ORDNANCE), side: t.enum(SIDES) },
    /** The ship whose crew channel a crew-only entity is on. */
    crew: { ship: t.uint({ max: MAX_SHIPS - 1 }) },
    orders: {
      impulse: t.uint({ max: 100 }),
      rudder: t.int({ min: -RUDDER_STEPS, max: RUDDER_STEPS }),
      warp: t.uint({ max: MAX_WARP }),
      target: t.ref(),
      alert: t.bool(),
      docked: t.bool(),
    },
    scan: { target: t.ref(), progress: t.uint({ max: 100 }) },
    reactor: { energy: t.uint({ max: MAX_ENERGY }) },
    power: perSystem(() => t.uint({ max: MAX_POWER })),
    coolant: perSystem(() => t.uint({ max: MAX_COOLANT })),
    heat: perSystem(() => t.uint({ max: 100 })),
    damage: perSystem(() => t.uint({ max: 100 })),
    tube0: tube(),
    tube1: tube(),
    tube2: tube(),
    tube3: tube(),
    stock: { homing: t.uint({ max: STOCK.homing }), nuke: t.uint({ max: STOCK.nuke }) },
  },
  entities: {
    ship: ['position', 'heading', 'motion', 'drive', 'shields', 'hull', 'tag'],
    base: ['position', 'shields', 'hull', 'tag'],
    torpedo: ['position', 'heading', 'warhead'],
    bridge: ['crew', 'orders', 'scan'],
    systems: ['crew', 'reactor', 'power', 'coolant', 'heat', 'damage'],
    tubes: ['crew', 'tube0', 'tube1', 'tube2', 'tube3', 'stock'],
  },
  /** The helm's controls, sent every tick: the shared step (helm.ts) flies the ship by them. */
  input: {
    impulse: t.uint({ max: 100 }),
    rudder: t.int({ min: -RUDDER_STEPS, max: RUDDER_STEPS }),
    warp: t.uint({ max: MAX_WARP }),
  },
  commands: {
    weapons: {
      target: { id: t.ref() },
      load: { tube: t.uint({ max: TUBES - 1 }), kind: t.enum(ORDNANCE) },
      unload: { tube: t.uint({ max: TUBES - 1 }) },
      fire: { tube: t.uint({ max: TUBES - 1 }) },
      shields: { up: t.bool() },
    },
    engineering: {
      power: { system: t.enum(SYSTEMS), level: t.uint({ max: MAX_POWER }) },
      coolant: { system: t.enum(SYSTEMS), units: t.uint({ max: MAX_COOLANT }) },
    },
    science: { scan: { id: t.ref() } },
    comms: { hail: { id: t.ref(), message: t.enum(HAILS) } },
    captain: { alert: { red: t.bool() } },
    /** The session's host ends the round (results for everyone). */
    mission: { end: {} },
  },
  events: {
    beam: { from: t.ref(), to: t.ref() },
    blast: { x: coord(false), y: coord(false), size: t.uint({ max: 3 }) },
    hit: { target: t.ref(), damage: t.uint({ max: 100 }), fore: t.bool() },
    destroyed: { id: t.ref(), by: t.ref() },
    comms: { from: t.string(24), text: t.string(160) },
    scanned: { id: t.ref(), name: t.string(20), side: t.enum(SIDES), cls: t.enum(CLASSES), hull: t.uint({ max: 100 }), fore: t.uint({ max: 100 }), aft: t.uint({ max: 100 }) },
  },
  session: {
    roles: CONSOLES,
    maxGroups: MAX_SHIPS,
    options: {
      scenario: t.enum(SCENARIOS),
      difficulty: t.int({ min: 1, max: MAX_DIFFICULTY }),
      ships: t.int({ min: 1, max: MAX_SHIPS }),
    },
    results: {
      session: { victory: t.bool(), seconds: t.uint(16), enemiesDestroyed: t.uint(16), basesLost: t.uint(8) },
      group: { damageDealt: t.uint(24), damageTaken: t.uint(24), torpedoesFired: t.uint(16), kills: t.uint(16), losses: t.uint(8), scans: t.uint(16) },
      member: { actions: t.uint(16) },
    },
  },
});

export type Bridge = typeof bridge;
