/**
 * What the consoles other than the helm can do (the helm flies by input, flight.ts). Each command
 * is checked against the sender's post (`at`), then against the ship's state; a refusal is a
 * sentence the console shows. Tubes and scans also run on each tick: loading completes, a scan
 * fills up and reports.
 */
import { reject } from '@tickwire/server';
import { COOLANT_UNITS, LOAD_S, SYSTEMS, TUBES, type Hail, type Ordnance, type SystemName } from '../shared/constants.js';
import { combatantById, launch } from './combat.js';
import { at, onShip } from './crew.js';
import { output } from './engineering.js';
import type { BridgePlayer, BridgeRoom, CrewShip } from './state.js';

type TubeEntity = CrewShip['tubes'];
type Tube = TubeEntity['tube0'];

const SCAN_S = 3;

const TUBE_KEYS = ['tube0', 'tube1', 'tube2', 'tube3'] as const;

function tubeOf(crew: CrewShip, index: number): Tube {
  const key = TUBE_KEYS[index];
  if (key === undefined) reject(`there are ${TUBES} tubes: 0 to ${TUBES - 1}`);
  return crew.tubes[key];
}

export const weapons = {
  target(room: BridgeRoom, player: BridgePlayer, { id }: { id: number }) {
    const crew = at(room, player, 'weapons');
    if (id !== 0 && !combatantById(room, id)) reject('no such contact');
    crew.target = id;
  },
  load(room: BridgeRoom, player: BridgePlayer, { tube, kind }: { tube: number; kind: Ordnance }) {
    const crew = at(room, player, 'weapons');
    const t = tubeOf(crew, tube);
    if (t.state !== 'empty') reject(`tube ${tube} is not empty`);
    if (crew.tubes.stock[kind] <= 0) reject(`no ${kind} torpedoes left: dock at a base to resupply`);
    crew.tubes.stock[kind]--;
    // Loading takes longer with less power to the tubes (and never forever).
    const speed = Math.max(0.1, output(crew, 'tubes') / 100);
    t.state = 'loading';
    t.kind = kind;
    t.from = room.tick;
    t.ready = room.tick + Math.round((LOAD_S / speed) * room.tickRate);
  },
  unload(room: BridgeRoom, player: BridgePlayer, { tube }: { tube: number }) {
    const crew = at(room, player, 'weapons');
    const t = tubeOf(crew, tube);
    if (t.state === 'empty') reject(`tube ${tube} is empty`);
    crew.tubes.stock[t.kind]++;
    t.state = 'empty';
  },
  fire(room: BridgeRoom, player: BridgePlayer, { tube }: { tube: number }) {
    const crew = at(room, player, 'weapons');
    const t = tubeOf(crew, tube);
    if (t.state !== 'loaded') reject(t.state === 'loading' ? `tube ${tube} is still loading` : `tube ${tube} is empty: load it first`);
    t.state = 'empty';
    launch(room, crew, t.kind);
  },
  shields(room: BridgeRoom, player: BridgePlayer, { up }: { up: boolean }) {
    at(room, player, 'weapons').shieldsUp = up;
  },
};

export const engineering = {
  power(room: BridgeRoom, player: BridgePlayer, { system, level }: { system: SystemName; level: number }) {
    at(room, player, 'engineering').engineering.power[system] = level;
  },
  coolant(room: BridgeRoom, player: BridgePlayer, { system, units }: { system: SystemName; units: number }) {
    const eng = at(room, player, 'engineering').engineering;
    const others = SYSTEMS.reduce((sum, s) => (s === system ? sum : sum + eng.coolant[s]), 0);
    if (others + units > COOLANT_UNITS) reject(`only ${COOLANT_UNITS - others} coolant units are free: take some from another system first`);
    eng.coolant[system] = units;
  },
};

export const science = {
  scan(room: BridgeRoom, player: BridgePlayer, { id }: { id: number }) {
    const crew = at(room, player, 'science');
    if (!combatantById(room, id)) reject('no such contact');
    crew.scan = { target: id, progress: 0 };
  },
};

/** Replies to a hail, by what was hailed and what was said. */
function reply(room: BridgeRoom, crew: CrewShip, id: number, message: Hail): { from: string; text: string } {
  const target = combatantById(room, id);
  if (!target) reject('no such contact');
  const body = target.body;
  const name = body.tag.name;
  const npc = room.state.npcs.get(id);
  if (body.type === 'base') {
    if (message === 'dock') return { from: name, text: `${crew.ship.tag.name}, you are cleared to dock: come to a stop within 1,200 units.` };
    return { from: name, text: `${name} here. Shields at ${Math.round(target.fore)} %, hull at ${Math.round(target.hull)} %.` };
  }
  if (!npc) return { from: name, text: 'Friendly channel open. Good hunting.' };
  if (message === 'identify') return { from: name, text: `This is the ${npc.side} ${body.tag.cls} ${name}.` };
  if (message === 'dock') return { from: name, text: 'We are not a base.' };
  if (npc.side !== 'enemy') return { from: name, text: 'We are just passing through.' };
  if (message === 'taunt') {
    npc.target = crew.id;
    npc.thinkAt = room.tick;
    return { from: name, text: `You will regret that, ${crew.ship.tag.name}!` };
  }
  // Surrender: only a badly damaged enemy gives up, and not always.
  if (npc.hull < 40 && room.state.random() < 0.6) {
    npc.mode = 'surrendered';
    npc.side = 'neutral';
    body.tag.side = 'neutral';
    room.state.mission.enemiesDestroyed++;
    return { from: name, text: 'We surrender! Hold your fire.' };
  }
  return { from: name, text: 'Never!' };
}

export const comms = {
  hail(room: BridgeRoom, player: BridgePlayer, { id, message }: { id: number; message: Hail }) {
    const crew = at(room, player, 'comms');
    room.emit('comms', reply(room, crew, id, message), onShip(crew.index));
  },
};

export const captain = {
  alert(room: BridgeRoom, player: BridgePlayer, { red }: { red: boolean }) {
    at(room, player, 'captain').redAlert = red;
  },
};

/** Loading tubes finish; scans fill up (faster with more power to the sensors) and report. */
export function runConsoles(room: BridgeRoom, dt: number): void {
  for (const crew of room.state.crews) {
    for (const key of TUBE_KEYS) {
      const t = crew.tubes[key];
      if (t.state === 'loading' && room.tick >= t.ready) t.state = 'loaded';
    }
    const scan = crew.scan;
    if (scan.target === 0 || crew.respawnAt !== 0) continue;
    const target = combatantById(room, scan.target);
    if (!target) {
      crew.scan = { target: 0, progress: 0 };
      continue;
    }
    scan.progress = Math.min(100, scan.progress + ((100 / SCAN_S) * output(crew, 'sensors') * dt) / 100);
    if (scan.progress < 100) continue;
    const b = target.body;
    room.emit(
      'scanned',
      { id: target.id, name: b.tag.name, side: b.tag.side, cls: b.tag.cls, hull: Math.round(target.hull), fore: Math.round(target.fore), aft: Math.round(target.aft) },
      onShip(crew.index),
    );
    crew.stats.scans++;
    crew.scan = { target: 0, progress: 0 };
  }
}
