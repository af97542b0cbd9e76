/**
 * A player ship's engineering, every tick at full precision: the reactor's energy against what
 * the systems draw, heat that builds in overpowered systems unless coolant takes it away, damage
 * from overheating and hits and its slow repair, shields recharging, docking at a friendly base.
 * What the helm step needs (drive output) and what engineering sees (the systems entity) are
 * written from here at 5 Hz by publish.ts.
 */
import { MAX_ENERGY, MAX_POWER, STOCK, SYSTEMS, type SystemName } from '../shared/constants.js';
import { dist2, type BridgeRoom, type CrewShip } from './state.js';

/** Energy a second from the reactor, and what each system draws at 100 % power. */
const REACTOR = 14;
const DRAW = { idle: 2, impulse: 4, warp: 12, shields: 3, sensors: 2, alert: 2 };
const DOCK_RANGE = 1_200;

/** Output of a system in 0..MAX_POWER %: its power, less its damage, nothing without energy. */
export function output(crew: CrewShip, system: SystemName): number {
  const eng = crew.engineering;
  if (eng.energy <= 0) return 0;
  return Math.min(MAX_POWER, eng.power[system] * (1 - eng.damage[system] / 100));
}

function nearFriendlyBase(room: BridgeRoom, crew: CrewShip): boolean {
  for (const b of room.state.bases.values()) if (b.side === crew.side && dist2(b.body.position, crew.ship.position) < DOCK_RANGE * DOCK_RANGE) return true;
  return false;
}

/** One tick of engineering for every player ship in play. */
export function runEngineering(room: BridgeRoom, dt: number): void {
  for (const crew of room.state.crews) {
    if (crew.respawnAt !== 0) continue;
    const eng = crew.engineering;
    const ship = crew.ship;
    const power = eng.power;
    let draw = DRAW.idle + (ship.motion.speed > 0 ? (DRAW.impulse * power.impulse) / 100 : 0);
    draw += (crew.controls.warp * DRAW.warp * power.warp) / 100;
    if (crew.shieldsUp) draw += (DRAW.shields * power.shields) / 100;
    if (crew.scan.target !== 0) draw += (DRAW.sensors * power.sensors) / 100;
    if (crew.redAlert) draw += DRAW.alert;
    eng.energy = Math.max(0, Math.min(MAX_ENERGY, eng.energy + (REACTOR - draw) * dt));

    for (const s of SYSTEMS) {
      const over = eng.power[s] - 100;
      const rise = over > 0 ? (over / 100) * 12 : -6;
      eng.heat[s] = Math.max(0, Math.min(100, eng.heat[s] + (rise - eng.coolant[s] * 3) * dt));
      if (eng.heat[s] >= 100) eng.damage[s] = Math.min(100, eng.damage[s] + 4 * dt);
      eng.damage[s] = Math.max(0, eng.damage[s] - (crew.docked ? 6 : 0.4) * dt);
    }

    if (crew.shieldsUp && eng.energy > 0) {
      const regen = 4 * (output(crew, 'shields') / 100) * (crew.redAlert ? 2 : 1) * dt;
      crew.fore = Math.min(100, crew.fore + regen);
      crew.aft = Math.min(100, crew.aft + regen);
    }

    // Docked: slow and close to a friendly base. Energy, hull and ordnance come back.
    const wasDocked = crew.docked;
    crew.docked = ship.motion.speed < 60 && nearFriendlyBase(room, crew);
    if (crew.docked) {
      eng.energy = Math.min(MAX_ENERGY, eng.energy + 60 * dt);
      crew.hull = Math.min(100, crew.hull + 3 * dt);
      if (!wasDocked) {
        crew.tubes.stock.homing = STOCK.homing;
        crew.tubes.stock.nuke = STOCK.nuke;
      }
    }
  }
}
