/**
 * The arena's shared simulation: ship movement for one input, run by the server for every
 * input it applies and by the browser to predict its own ship. Pure: it reads only its
 * arguments, so both sides compute the same path.
 */
import type { Step } from '@tickwire/protocol';
import { CELL, GRID_H, GRID_W, MAP_H, MAP_W, SHIP_RADIUS, SHIP_SPEED, type Arena } from './protocol.js';

/** What movement needs to know about the world: which grid cells hold walls. */
export interface ArenaWorld {
  walls: ReadonlySet<number>;
}

export const cellKey = (cx: number, cy: number) => cy * GRID_W + cx;

/** Whether a circle at (x, y) overlaps a wall cell. */
export function hitsWall(walls: ReadonlySet<number>, x: number, y: number, r: number): boolean {
  const x0 = Math.max(0, Math.floor((x - r) / CELL));
  const x1 = Math.min(GRID_W - 1, Math.floor((x + r) / CELL));
  const y0 = Math.max(0, Math.floor((y - r) / CELL));
  const y1 = Math.min(GRID_H - 1, Math.floor((y + r) / CELL));
  for (let cy = y0; cy <= y1; cy++) {
    for (let cx = x0; cx <= x1; cx++) {
      if (!walls.has(cellKey(cx, cy))) continue;
      const nx = Math.max(cx * CELL, Math.min(x, cx * CELL + CELL));
      const ny = Math.max(cy * CELL, Math.min(y, cy * CELL + CELL));
      if ((nx - x) ** 2 + (ny - y) ** 2 < r * r) return true;
    }
  }
  return false;
}

/** One input's worth of ship movement: speed, map bounds and walls enforced, heading = aim. */
export const moveShip: Step<Arena, 'ship', ArenaWorld> = (ship, input, dt, world) => {
  const norm = input.dx !== 0 && input.dy !== 0 ? Math.SQRT1_2 : 1;
  const step = SHIP_SPEED * norm * dt;
  const r = SHIP_RADIUS;
  const x = Math.min(MAP_W - r, Math.max(r, ship.position.x + input.dx * step));
  if (!hitsWall(world.walls, x, ship.position.y, r)) ship.position.x = x;
  const y = Math.min(MAP_H - r, Math.max(r, ship.position.y + input.dy * step));
  if (!hitsWall(world.walls, ship.position.x, y, r)) ship.position.y = y;
  ship.heading.angle = input.aim;
};
