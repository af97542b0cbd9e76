/**
 * The tickwire protocol of each workload. The arena (and each room of the rooms workload) uses
 * the measurement scene's protocol as it is; the open world is the same declaration with the
 * position range widened to its map, which is what a game of that size would declare.
 */
import { defineProtocol, t } from '@tickwire/protocol';
import { scene, type Scene } from '../scene.js';
import { ARENA_SIZE } from './rules.js';

/** The protocol for a map of side `size` (the scene's own for the 1000 x 1000 arena). */
export function worldProtocol(size: number): Scene {
  if (size === ARENA_SIZE) return scene;
  return defineProtocol({
    name: 'bench-open-world',
    components: {
      position: {
        x: t.float({ min: 0, max: size, precision: 0.1, linear: true }),
        y: t.float({ min: 0, max: size, precision: 0.1, linear: true }),
      },
      heading: { angle: t.angle({ bits: 12 }) },
      health: { hp: t.uint({ max: 100 }) },
    },
    entities: { ship: ['position', 'heading', 'health'] },
    input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) },
  });
}
