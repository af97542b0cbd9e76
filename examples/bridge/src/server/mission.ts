/**
 * The mission: what each scenario sends against the crews, and when a round is won or lost.
 *
 * - patrol: enemies in three waves; the next comes when one is beaten; won when the last is.
 * - siege: enemies keep coming (one a second while fewer than the scenario's strength); won by
 *   holding for ten minutes.
 * - training: a few enemies near the first base; won when they are gone.
 *
 * Lost, in every scenario, when every base is destroyed. The round's results (per ship, per
 * member, and the session's) are collected here for the session to show.
 */
import { enemyCounts, spawnNpc } from './sector.js';
import type { BridgeRoom, ShipStats } from './state.js';

const SIEGE_S = 600;

export interface RoundResults {
  session: { victory: boolean; seconds: number; enemiesDestroyed: number; basesLost: number };
  groups: ShipStats[];
}

/** Enemies in play. */
function enemies(room: BridgeRoom): number {
  let n = 0;
  for (const npc of room.state.npcs.values()) if (npc.side === 'enemy') n++;
  return n;
}

/** Tells every crew something from command. */
function announce(room: BridgeRoom, text: string): void {
  room.emit('comms', { from: 'Command', text });
}

/**
 * Checks the mission once a second: reinforcements, waves, and the end. Returns the results
 * when the round has just ended (won or lost), else undefined.
 */
export function runMission(room: BridgeRoom): RoundResults | undefined {
  const m = room.state.mission;
  if (m.over || room.tick % room.tickRate !== 0) return undefined;
  const seconds = (room.tick - m.startTick) / room.tickRate;
  const left = enemies(room);
  if (room.state.bases.size === 0) return finish(room, false);
  if (m.scenario === 'siege') {
    if (seconds >= SIEGE_S) return finish(room, true);
    if (left < enemyCounts('siege', m.difficulty).now) spawnNpc(room, 'enemy');
    return undefined;
  }
  if (left > 0) return undefined;
  if (m.reserve <= 0) return finish(room, true);
  const wave = Math.min(m.reserve, Math.ceil(enemyCounts(m.scenario, m.difficulty).now));
  for (let i = 0; i < wave; i++) spawnNpc(room, 'enemy');
  m.reserve -= wave;
  m.wave++;
  announce(room, `Wave ${m.wave}: ${wave} enemy ships entering the sector.`);
  return undefined;
}

/** Ends the round (won, lost, or called off by the host): its results. */
export function finish(room: BridgeRoom, victory: boolean): RoundResults {
  const m = room.state.mission;
  m.over = true;
  announce(room, victory ? 'Mission accomplished.' : 'Mission over.');
  return {
    session: { victory, seconds: Math.round((room.tick - m.startTick) / room.tickRate), enemiesDestroyed: m.enemiesDestroyed, basesLost: m.basesLost },
    groups: room.state.crews.map((c) => ({ ...c.stats, damageDealt: Math.round(c.stats.damageDealt), damageTaken: Math.round(c.stats.damageTaken) })),
  };
}
