/**
 * Writing the replicated fields from the server's full-precision state, each kind at its seed 004
 * §3.2 rate: what is not written does not change, so it is not sent. Ship shields and hull and
 * each crew's bridge entity (helm settings, target, alert, scan) at 10 Hz; each crew's systems
 * entity and its ship's drive output at 5 Hz; bases at 2 Hz. (Tubes are written by the commands
 * and the loading that change them: on change. Positions move every tick and are sent as key
 * frames along their velocity by the interest tiers, at each tier's rate.)
 */
import { SYSTEMS } from '../shared/constants.js';
import { output } from './engineering.js';
import type { BridgeRoom, Combatant, CrewShip } from './state.js';

/** Whether this tick is one of `hz` a second. */
const every = (room: BridgeRoom, hz: number): boolean => room.tick % Math.max(1, Math.round(room.tickRate / hz)) === 0;

function defences(c: Combatant): void {
  const s = c.body.shields;
  s.fore = Math.round(c.fore);
  s.aft = Math.round(c.aft);
  s.up = c.shieldsUp;
  c.body.hull.hp = Math.ceil(c.hull);
}

function orders(crew: CrewShip): void {
  const o = crew.bridge.orders;
  o.impulse = crew.controls.impulse;
  o.rudder = crew.controls.rudder;
  o.warp = crew.controls.warp;
  o.target = crew.target;
  o.alert = crew.redAlert;
  o.docked = crew.docked;
  crew.bridge.scan.target = crew.scan.target;
  crew.bridge.scan.progress = Math.floor(crew.scan.progress);
}

function systems(crew: CrewShip): void {
  const eng = crew.engineering;
  const e = crew.systems;
  e.reactor.energy = Math.round(eng.energy);
  for (const s of SYSTEMS) {
    e.power[s] = eng.power[s];
    e.coolant[s] = eng.coolant[s];
    e.heat[s] = Math.round(eng.heat[s]);
    e.damage[s] = Math.round(eng.damage[s]);
  }
  crew.ship.drive.impulse = Math.round(Math.min(200, output(crew, 'impulse')));
  crew.ship.drive.warp = Math.round(Math.min(200, output(crew, 'warp')));
}

export function publish(room: BridgeRoom): void {
  const s = room.state;
  if (every(room, 10)) {
    for (const crew of s.crews) {
      if (crew.respawnAt === 0) defences(crew);
      orders(crew);
    }
    for (const npc of s.npcs.values()) defences(npc);
  }
  if (every(room, 5)) for (const crew of s.crews) systems(crew);
  if (every(room, 2)) for (const base of s.bases.values()) defences(base);
}
