/**
 * How a ship flies: one tick of the helm's controls (impulse, rudder, warp) applied to a ship.
 * The server runs it for every helm input it applies, and for NPCs and unmanned ships with the
 * controls their autopilot picks; the helm console runs it to predict its own ship (seed 004
 * §7.2). Pure: it reads only its arguments, so both sides compute the same path, and after
 * quantizing to the wire's precision they agree to the bit.
 */
import type { Step } from '@tickwire/protocol';
import { IMPULSE_ACCEL, IMPULSE_SPEED, RUDDER_STEPS, SECTOR, TURN_RATE, WARP_ACCEL, WARP_SPEED } from './constants.js';
import type { Bridge } from './protocol.js';

const TURN = Math.PI * 2;

/** The speed the controls ask for, with the drive output the ship has (in %). */
export function targetSpeed(controls: { impulse: number; warp: number }, drive: { impulse: number; warp: number }): number {
  const impulse = (IMPULSE_SPEED * controls.impulse * drive.impulse) / 10_000;
  if (controls.warp <= 0) return impulse;
  return Math.max(impulse, (WARP_SPEED * controls.warp * drive.warp) / 100);
}

/** One tick of flight: turn by the rudder, speed up or down towards the target speed, move. */
export const helmStep: Step<Bridge, 'ship'> = (ship, input, dt) => {
  const turn = (input.rudder / RUDDER_STEPS) * TURN_RATE * dt;
  ship.heading.angle = (((ship.heading.angle + turn) % TURN) + TURN) % TURN;
  const target = targetSpeed(input, ship.drive);
  const v = ship.motion.speed;
  // Warp speeds change fast, impulse slowly: the ship is "in warp" while either side of the change is.
  const accel = (Math.max(v, target) > IMPULSE_SPEED * 2 ? WARP_ACCEL : IMPULSE_ACCEL) * dt;
  const speed = v < target ? Math.min(target, v + accel) : Math.max(target, v - accel);
  ship.motion.speed = speed;
  const a = ship.heading.angle;
  ship.position.x = Math.min(SECTOR, Math.max(0, ship.position.x + Math.cos(a) * speed * dt));
  ship.position.y = Math.min(SECTOR, Math.max(0, ship.position.y + Math.sin(a) * speed * dt));
};

/** The rudder that turns a ship from `heading` towards `wanted` (radians), easing off as it gets close. */
export function rudderTowards(heading: number, wanted: number, dt: number): number {
  let d = (wanted - heading) % TURN;
  if (d > Math.PI) d -= TURN;
  if (d < -Math.PI) d += TURN;
  // The rudder that would close the gap in one tick, rounded to a step and capped at full.
  const steps = Math.round((d / (TURN_RATE * dt)) * RUDDER_STEPS);
  return Math.max(-RUDDER_STEPS, Math.min(RUDDER_STEPS, steps));
}
