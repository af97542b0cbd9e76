/**
 * The game every system plays in the benchmark: spawn, movement, the bots' choices and the
 * sizes of each workload. One module, imported by tickwire's room, the Colyseus room and the
 * bots, so the two servers cannot drift apart on the rules they are compared on.
 */
import { BRIDGE_SNAPSHOT_HZ, BRIDGE_TICK_HZ } from './bridge-protocol.js';
import type { Workload } from './types.js';

/** Inputs, ticks and snapshots (or patches) per second, in every workload but the bridge's snapshots. */
export const RATE_HZ = 20;
/** Ship speed in units per second (diagonals are normalized to it). */
export const SPEED = 200;
/** The arena's side (and each room's in the rooms workload). */
export const ARENA_SIZE = 1000;
/** The open world's view radius: who is within it is relevant. */
export const VIEW_RADIUS = 1000;
/** Others a player of the open world has within the view radius, on average. */
export const NEIGHBOURS = 20;
/** The rooms workload: rooms of this many clients. */
export const ROOM_CLIENTS = 20;
/** The spawn sequence's seed (per room), the same for every system. */
export const SPAWN_SEED = 1;

/** A workload's ticks and snapshots per second: 20 and 20, the bridge's 20 and 10. */
export function ratesOf(workload: Workload): { tickHz: number; snapshotHz: number } {
  return workload === 'bridge' ? { tickHz: BRIDGE_TICK_HZ, snapshotHz: BRIDGE_SNAPSHOT_HZ } : { tickHz: RATE_HZ, snapshotHz: RATE_HZ };
}

export interface Pose {
  x: number;
  y: number;
  angle: number;
}

export interface Steer {
  dx: number;
  dy: number;
}

/** A uniformly random point of a `size` x `size` map. */
export function spawn(random: () => number, size: number): { x: number; y: number } {
  return { x: random() * size, y: random() * size };
}

/**
 * One step of `dt` seconds along (dx, dy): 200 units/s (diagonals too), clamped to the map;
 * the heading follows the direction while moving and stays put while standing still.
 */
export function advance(p: Pose, dx: number, dy: number, dt: number, size: number): Pose {
  const norm = dx !== 0 && dy !== 0 ? Math.SQRT1_2 : 1;
  return {
    x: Math.min(size, Math.max(0, p.x + dx * SPEED * norm * dt)),
    y: Math.min(size, Math.max(0, p.y + dy * SPEED * norm * dt)),
    angle: dx !== 0 || dy !== 0 ? Math.atan2(dy, dx) : p.angle,
  };
}

/** A bot's next input: dx and dy each in {-1, 0, 1} (standing still included). */
export function pickSteer(random: () => number): Steer {
  return { dx: Math.floor(random() * 3) - 1, dy: Math.floor(random() * 3) - 1 };
}

/** How long a bot keeps an input: 0.5 to 1.5 s, about a second. */
export function holdMs(random: () => number): number {
  return 500 + random() * 1000;
}

/**
 * Share of pairs of uniform points in a square of side 1 that lie within distance `r`: the
 * distance's distribution function for 0 <= r <= 1, border effects included.
 */
export function pairWithin(r: number): number {
  if (r < 0 || r > 1) throw new RangeError(`pairWithin needs 0 <= r <= 1, got ${r}`);
  return Math.PI * r * r - (8 / 3) * r ** 3 + r ** 4 / 2;
}

/** Others within `radius` of a player, on average, for `clients` uniform players on a `size` map. */
export function expectedNeighbours(clients: number, size: number, radius = VIEW_RADIUS): number {
  return (clients - 1) * pairWithin(radius / size);
}

/**
 * The open world's side for `clients` players: each has about {@link NEIGHBOURS} others within
 * the view radius (border effects included). With too few players for that, a map small
 * enough that everyone sees everyone.
 */
export function openWorldSize(clients: number, neighbours = NEIGHBOURS, radius = VIEW_RADIUS): number {
  if (clients - 1 <= neighbours) return Math.ceil(radius / Math.SQRT2);
  let lo = radius;
  let hi = radius * 1000;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (expectedNeighbours(clients, mid, radius) > neighbours) lo = mid;
    else hi = mid;
  }
  return Math.ceil(hi);
}

/** Others within `radius` of each point, on average (the open world's check on its sizing). */
export function meanNeighbours(points: readonly { x: number; y: number }[], radius = VIEW_RADIUS): number {
  if (points.length === 0) return 0;
  const r2 = radius * radius;
  let pairs = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    for (let j = i + 1; j < points.length; j++) {
      const dx = a.x - points[j]!.x;
      const dy = a.y - points[j]!.y;
      if (dx * dx + dy * dy <= r2) pairs++;
    }
  }
  return (2 * pairs) / points.length;
}
