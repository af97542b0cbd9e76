/**
 * Who receives what (seed 004 §3.2 and §3.3), with the interest tiers and channels of the room:
 *
 * - torpedoes: a tier of their own, within 5,000 units of the viewer's ship, every snapshot;
 * - other ships (NPCs and the other crews'), and one's own ship: near (< 10k) every field at
 *   10 Hz; mid (10k-20k) position, heading and shields at 2 Hz; far (20k-50k) position only at
 *   1 Hz; beyond, out of range (removed from the client);
 * - bases: no position for interest, so every client has them (the room writes them at 2 Hz);
 * - each crew's `bridge`, `systems` and `tubes` entities: on the crew's channel, which only the
 *   players seated on that ship are members of.
 *
 * A player looks from their ship; a player with no seat (in the lobby) sees the bases only.
 */
import type { Entity, InterestDefinition, Player, Tier } from '@tickwire/server';
import { FAR, MID, NEAR, TORPEDO_RANGE } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';
import { crewChannel, type Crewman } from './state.js';

export const BRIDGE_TIERS: readonly Tier[] = [
  { name: 'torpedo', radius: TORPEDO_RANGE, types: ['torpedo'] },
  { name: 'near', radius: NEAR, rate: 10, types: ['ship'] },
  { name: 'mid', radius: MID, rate: 2, components: ['position', 'heading', 'shields'], types: ['ship'] },
  { name: 'far', radius: FAR, rate: 1, components: ['position'], types: ['ship'] },
];

export function bridgeInterest(): InterestDefinition<Player<Bridge, Crewman>, Entity<Bridge>> {
  return {
    position: (e) => (e.type === 'ship' || e.type === 'torpedo' ? e.position : undefined),
    viewer: (player) => player.data.view,
    tiers: BRIDGE_TIERS,
    cellSize: 5_000,
    channel: (e) => (e.type === 'bridge' || e.type === 'systems' || e.type === 'tubes' ? crewChannel(e.crew.ship) : undefined),
    channels: (player) => player.data.channels,
  };
}
