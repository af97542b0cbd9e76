/**
 * The walls the movement step collides with, kept from a room's replicated view: the world the
 * client predicts its ship in. Apart from the page so headless players (the feel report) keep it
 * the same way.
 */
import type { ClientRoom } from '@tickwire/client';
import type { Arena } from '../shared/protocol.js';
import { cellKey } from '../shared/sim.js';

/** A set of wall cell keys that follows the room's `add` and `remove` events. */
export function trackWalls(room: ClientRoom<Arena>): ReadonlySet<number> {
  const walls = new Set<number>();
  const wallKeys = new Map<number, number>();
  room.on('add', (e) => {
    if (e.typeName !== 'wall') return;
    const key = cellKey(e.state.cell.cx, e.state.cell.cy);
    walls.add(key);
    wallKeys.set(e.id, key);
  });
  room.on('remove', (e) => {
    const key = wallKeys.get(e.id);
    if (key !== undefined) walls.delete(key);
    wallKeys.delete(e.id);
  });
  return walls;
}
