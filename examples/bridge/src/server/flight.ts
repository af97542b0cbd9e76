/**
 * Every ship moves exactly once a tick, through the shared helm step. A crewed ship with a helm
 * moves when the helm's input for the tick is applied, so the helm's prediction (one step per
 * input it sent) matches the server to the bit; if that input is late, the ship waits for it a
 * few ticks rather than step without it (which the helm could not predict). A ship whose helm
 * dropped flies on straight with the settings it had; a ship with nobody at the helm is flown
 * home by its autopilot (seed 004 §5.4: an empty ship continues under AI). NPCs fly by the
 * controls their minds pick.
 */
import { quantize, type InputOf } from '@tickwire/protocol';
import { helmStep, rudderTowards } from '../shared/helm.js';
import type { Bridge } from '../shared/protocol.js';
import { respawn } from './combat.js';
import { dist2, type BridgeRoom, type Controls, type CrewShip } from './state.js';

/** Ticks a ship waits for a late helm input before it moves without one. */
export const HELM_GRACE_TICKS = 4;

/** Applies the helm's input for this tick: the ship's one step (a second input in a tick waits, as the room applies one per tick). */
export function steer(room: BridgeRoom, crew: CrewShip, input: InputOf<Bridge>): void {
  if (crew.respawnAt !== 0 || crew.steppedAt === room.tick) return;
  crew.controls.impulse = input.impulse;
  crew.controls.rudder = input.rudder;
  crew.controls.warp = input.warp;
  crew.helmInputAt = room.tick;
  move(room, crew, crew.controls);
}

function move(room: BridgeRoom, crew: CrewShip, controls: Controls): void {
  helmStep(crew.ship, controls, room.dt, undefined);
  // The helm predicts from quantized state: keep the server's the same, to the bit.
  quantize(room.protocol.entityType('ship'), crew.ship, ['position', 'heading', 'motion']);
  crew.steppedAt = room.tick;
}

/** The autopilot of a ship with nobody at the helm: back to its home base, and hold there. */
function autopilot(room: BridgeRoom, crew: CrewShip, out: Controls): Controls {
  const p = crew.ship.position;
  const d2 = dist2(p, crew.home);
  const far = d2 > 1_500 * 1_500;
  out.impulse = far ? (d2 > 20_000 * 20_000 ? 100 : 50) : 0;
  out.rudder = far ? rudderTowards(crew.ship.heading.angle, Math.atan2(crew.home.y - p.y, crew.home.x - p.x), room.dt) : 0;
  out.warp = 0;
  return out;
}

/** The helm's settings with the rudder centred: how a ship whose helm is away flies on. */
function straightOn(crew: CrewShip, out: Controls): Controls {
  out.impulse = crew.controls.impulse;
  out.rudder = 0;
  out.warp = crew.controls.warp;
  return out;
}

/** Moves every ship that has not moved this tick. */
export function fly(room: BridgeRoom): void {
  for (const crew of room.state.crews) {
    if (crew.respawnAt !== 0) {
      if (room.tick >= crew.respawnAt) respawn(room, crew);
      continue;
    }
    if (crew.steppedAt === room.tick) continue;
    const helm = crew.helm;
    // A connected helm's input for this tick is on its way: wait for it rather than step without it.
    if (helm?.connected && room.tick - crew.helmInputAt <= HELM_GRACE_TICKS) continue;
    move(room, crew, helm ? straightOn(crew, crew.unmanned) : autopilot(room, crew, crew.unmanned));
  }
  for (const npc of room.state.npcs.values()) helmStep(npc.ship, npc.controls, room.dt, undefined);
}
