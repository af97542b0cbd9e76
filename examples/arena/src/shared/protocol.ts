/**
 * The arena's protocol, shared by the server room and the browser client: ships, bullets and
 * walls on a 1200 x 800 map.
 */
import { defineProtocol, t } from '@tickwire/protocol';

export const MAP_W = 1200;
export const MAP_H = 800;
/** Walls sit on a grid of CELL x CELL squares. */
export const CELL = 40;
export const GRID_W = MAP_W / CELL;
export const GRID_H = MAP_H / CELL;
export const SHIP_RADIUS = 14;
export const SHIP_SPEED = 200;
export const BULLET_SPEED = 600;
export const BULLET_RANGE = 700;
export const BULLET_DAMAGE = 20;
export const FIRE_COOLDOWN_MS = 250;
export const BUILD_RANGE = 220;
export const WALLS_PER_PLAYER = 12;
export const MAX_HP = 100;
/** Resources a wall costs, a crate gives, and the most a pilot can carry. */
export const WALL_COST = 10;
export const CRATE_VALUE = 5;
export const MAX_RESOURCES = 999;
export const MAX_CRATES = 12;
export const CRATE_EVERY_MS = 2500;
/** Resources a new pilot starts with: enough for two walls. */
export const START_RESOURCES = 20;

const coord = (max: number) => t.float({ min: 0, max, precision: 0.1, linear: true });

export const arena = defineProtocol({
  name: 'arena',
  components: {
    position: { x: coord(MAP_W), y: coord(MAP_H) },
    heading: { angle: t.angle({ bits: 10 }) },
    health: { hp: t.uint({ max: MAX_HP }) },
    pilot: { name: t.string(24), hue: t.uint({ max: 359 }), score: t.uint({ max: 65535 }), resources: t.uint({ max: 999 }) },
    cell: { cx: t.uint({ max: GRID_W - 1 }), cy: t.uint({ max: GRID_H - 1 }), owner: t.ref() },
  },
  entities: {
    ship: ['position', 'heading', 'health', 'pilot'],
    bullet: ['position'],
    wall: ['cell'],
    crate: ['position'],
  },
  input: {
    dx: t.int({ min: -1, max: 1 }),
    dy: t.int({ min: -1, max: 1 }),
    aim: t.angle({ bits: 10 }),
  },
  commands: {
    combat: { fire: { angle: t.angle({ bits: 12 }) } },
    build: { wall: { cx: t.uint({ max: GRID_W - 1 }), cy: t.uint({ max: GRID_H - 1 }) } },
  },
  events: {
    hit: { target: t.ref(), by: t.ref(), damage: t.uint(8) },
    destroyed: { target: t.ref(), by: t.ref() },
  },
});

export type Arena = typeof arena;
