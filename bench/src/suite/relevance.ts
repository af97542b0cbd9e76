/**
 * Who sees whom in tickwire's open world: the one place the benchmark decides relevance.
 *
 * Interest management (room definition `interest`): a spatial grid, a near tier within
 * VIEW_RADIUS at the full rate with every field, and a mid tier out to 1.5 x VIEW_RADIUS at
 * 2 Hz with position and heading only. Beyond that a ship is out of range and removed.
 */
import type { InterestDefinition, Player, Entity } from '@tickwire/server';
import type { Scene } from '../scene.js';
import { VIEW_RADIUS } from './rules.js';

/** What a room definition needs to manage interest. */
export interface RelevanceHook {
  interest: InterestDefinition<Player<Scene>, Entity<Scene>>;
}

export const openWorldRelevance: RelevanceHook = {
  interest: {
    position: (e) => (e.type === 'ship' ? { x: e.position.x, y: e.position.y } : undefined),
    tiers: [
      { name: 'near', radius: VIEW_RADIUS },
      { name: 'mid', radius: VIEW_RADIUS * 1.5, rate: 2, components: ['position', 'heading'] },
    ],
  },
};
