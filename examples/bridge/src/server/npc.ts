/**
 * The NPCs' minds, simple on purpose (seed 004 §4.1 budgets ~3 ms for 50 NPCs; this costs far
 * less). Twice a second each one looks around: an enemy attacks the nearest player ship or base
 * within reach, keeping a few thousand units off and launching a torpedo now and then, flees when
 * badly hurt, and otherwise patrols; a freighter plies between the bases; a ship that surrendered
 * drifts to a stop. Between looks, it steers towards what it chose.
 */
import { rudderTowards } from '../shared/helm.js';
import { SECTOR } from '../shared/constants.js';
import { combatantById, hostile, launch } from './combat.js';
import { dist2, type BridgeRoom, type Combatant, type Npc } from './state.js';

const THINK_TICKS = 10;
const clamp = (v: number) => Math.min(SECTOR, Math.max(0, v));
const SIGHT = 15_000;
const TORPEDO_REACH = 6_000;

/** The nearest hostile in sight (player ships in play and bases), or undefined. */
function prey(room: BridgeRoom, npc: Npc): Combatant | undefined {
  let best: Combatant | undefined;
  let bestD2 = SIGHT * SIGHT;
  for (const c of room.state.combatants) {
    if (c.hull <= 0 || c.side !== 'crew' || !hostile(npc, c)) continue;
    const d2 = dist2(npc.ship.position, c.body.position);
    if (d2 < bestD2) {
      best = c;
      bestD2 = d2;
    }
  }
  return best;
}

function think(room: BridgeRoom, npc: Npc): void {
  const { random } = room.state;
  const me = npc.ship.position;
  if (npc.mode === 'surrendered') {
    npc.controls.impulse = 0;
    npc.target = 0;
    return;
  }
  if (npc.side === 'enemy') {
    const target = npc.target !== 0 ? combatantById(room, npc.target) : undefined;
    const chosen = target && dist2(me, target.body.position) < SIGHT * SIGHT * 1.5 ? target : prey(room, npc);
    npc.mode = npc.hull < 25 ? 'flee' : chosen ? 'attack' : 'patrol';
    npc.target = npc.mode === 'attack' && chosen ? chosen.id : 0;
    if (npc.mode === 'attack' && chosen) {
      const there = chosen.body.position;
      const d2 = dist2(me, there);
      npc.waypoint = { x: there.x, y: there.y };
      npc.controls.impulse = d2 > 4_000 * 4_000 ? 100 : 35;
      if (d2 < TORPEDO_REACH * TORPEDO_REACH && room.tick >= npc.torpedoAt) {
        launch(room, npc, 'homing');
        npc.torpedoAt = room.tick + Math.round((10 + random() * 10) * room.tickRate);
      }
      return;
    }
    if (npc.mode === 'flee') {
      npc.waypoint = { x: me.x < SECTOR / 2 ? 0 : SECTOR, y: me.y < SECTOR / 2 ? 0 : SECTOR };
      npc.controls.impulse = 100;
      return;
    }
  }
  // Patrol or trade: on to the waypoint, and a new one on arrival: a base to trade with, or
  // somewhere within 25,000 units of one for a patrol (that is where the crews are).
  if (dist2(me, npc.waypoint) < 2_000 * 2_000) {
    let base: { x: number; y: number } | undefined;
    let k = Math.floor(random() * room.state.bases.size);
    for (const b of room.state.bases.values()) if (k-- === 0) base = b.body.position;
    const spread = npc.mode === 'trade' ? 0 : 25_000;
    npc.waypoint = base ? { x: clamp(base.x + (random() - 0.5) * 2 * spread), y: clamp(base.y + (random() - 0.5) * 2 * spread) } : { x: random() * SECTOR, y: random() * SECTOR };
  }
  npc.controls.impulse = npc.mode === 'trade' ? 40 : 60;
}

/** Each NPC: a look around every half second (staggered), and the rudder every tick. */
export function npcMinds(room: BridgeRoom): void {
  for (const npc of room.state.npcs.values()) {
    if (room.tick >= npc.thinkAt) {
      npc.thinkAt = room.tick + THINK_TICKS;
      think(room, npc);
    }
    const p = npc.ship.position;
    const wanted = Math.atan2(npc.waypoint.y - p.y, npc.waypoint.x - p.x);
    npc.controls.rudder = npc.controls.impulse > 0 ? rudderTowards(npc.ship.heading.angle, wanted, room.dt) : 0;
  }
}
