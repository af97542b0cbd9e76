/**
 * Building the sector for a round: bases in the four quarters, the player ships at their home
 * bases with their crew-only entities, NPCs for the scenario; and clearing it for the next round.
 * Every position is rounded to what the wire carries, so a helm predicting its ship from the
 * replicated value starts exactly where the server does.
 */
import { quantize } from '@tickwire/protocol';
import type { Scenario, ShipClass, Side, SystemName } from '../shared/constants.js';
import { COOLANT_UNITS, MAX_ENERGY, SECTOR, SHIP_NAMES, STOCK, SYSTEMS } from '../shared/constants.js';
import { crewChannel, emptyStats, type BridgeRoom, type CrewShip, type Engineering, type Npc, type NpcMode } from './state.js';

const BASE_NAMES = ['DS1', 'DS2', 'DS3', 'DS4'];
const ENEMY_NAMES = ['Kralien', 'Torgoth', 'Arvonian', 'Skaraan'];

/** The four bases, a quarter of the sector in from each corner. */
export const BASE_SPOTS: readonly { x: number; y: number }[] = [
  { x: SECTOR * 0.25, y: SECTOR * 0.25 },
  { x: SECTOR * 0.75, y: SECTOR * 0.25 },
  { x: SECTOR * 0.25, y: SECTOR * 0.75 },
  { x: SECTOR * 0.75, y: SECTOR * 0.75 },
];

export interface SectorOptions {
  scenario: Scenario;
  difficulty: number;
  ships: number;
  /** Names of the player ships (a crew may have renamed theirs in the lobby). */
  names?: readonly string[];
}

/** A point rounded to what the wire carries for a ship's position. */
function onGrid(room: BridgeRoom, x: number, y: number): { x: number; y: number } {
  const at = { position: { x: Math.min(SECTOR, Math.max(0, x)), y: Math.min(SECTOR, Math.max(0, y)) } };
  quantize(room.protocol.entityType('ship'), at, ['position']);
  return at.position;
}

const perSystem = (v: number): Record<SystemName, number> => ({ beams: v, tubes: v, sensors: v, impulse: v, warp: v, shields: v });

function engineering(): Engineering {
  const coolant = perSystem(0);
  coolant.impulse = COOLANT_UNITS / 2;
  coolant.warp = COOLANT_UNITS / 2;
  return { energy: MAX_ENERGY, power: perSystem(100), coolant, heat: perSystem(0), damage: perSystem(0) };
}

function addCrewShip(room: BridgeRoom, index: number, name: string): CrewShip {
  const spot = BASE_SPOTS[index % BASE_SPOTS.length]!;
  // Ships sharing a base line up beside it.
  const home = onGrid(room, spot.x + 1500 + Math.floor(index / BASE_SPOTS.length) * 1200, spot.y);
  const ship = room.entities.create('ship', {
    position: home,
    drive: { impulse: 100, warp: 100 },
    shields: { fore: 100, aft: 100, up: true },
    hull: { hp: 100 },
    tag: { name, side: 'crew', cls: 'cruiser', ship: index + 1 },
  });
  const eng = engineering();
  const crew = { ship: index };
  const bridge = room.entities.create('bridge', { crew });
  const systems = room.entities.create('systems', { crew, reactor: { energy: eng.energy }, power: eng.power, coolant: eng.coolant });
  const tubes = room.entities.create('tubes', { crew, stock: { ...STOCK } });
  return {
    id: ship.id,
    body: ship,
    index,
    channel: crewChannel(index),
    ship,
    bridge,
    systems,
    tubes,
    home,
    side: 'crew',
    hull: 100,
    fore: 100,
    aft: 100,
    target: 0,
    beamReadyAt: 0,
    helm: undefined,
    controls: { impulse: 0, rudder: 0, warp: 0 },
    unmanned: { impulse: 0, rudder: 0, warp: 0 },
    steppedAt: -1,
    helmInputAt: -1_000_000,
    engineering: eng,
    shieldsUp: true,
    redAlert: false,
    scan: { target: 0, progress: 0 },
    respawnAt: 0,
    docked: false,
    stats: emptyStats(),
  };
}

/** A point at least `clear` units from every player ship's home, at random. */
function awayFromCrews(room: BridgeRoom, clear: number): { x: number; y: number } {
  const { random, crews } = room.state;
  let best = { x: random() * SECTOR, y: random() * SECTOR };
  for (let i = 0; i < 20; i++) {
    const p = { x: random() * SECTOR, y: random() * SECTOR };
    if (crews.every((c) => (c.home.x - p.x) ** 2 + (c.home.y - p.y) ** 2 >= clear * clear)) return p;
    best = p;
  }
  return best;
}

/** Adds an NPC ship: an enemy (at `at`, or somewhere away from the crews) or a neutral freighter. */
export function spawnNpc(room: BridgeRoom, side: Side, at?: { x: number; y: number }): Npc {
  const { random } = room.state;
  const p = at ?? awayFromCrews(room, 15_000);
  const position = onGrid(room, p.x, p.y);
  const enemy = side === 'enemy';
  const classes: readonly ShipClass[] = enemy ? ['scout', 'raider', 'raider', 'dreadnought'] : ['freighter'];
  const cls = classes[Math.floor(random() * classes.length)]!;
  const name = enemy ? `${ENEMY_NAMES[Math.floor(random() * ENEMY_NAMES.length)]} ${100 + Math.floor(random() * 900)}` : `Freighter ${10 + Math.floor(random() * 90)}`;
  const hull = cls === 'dreadnought' ? 100 : cls === 'scout' ? 40 : 70;
  const ship = room.entities.create('ship', {
    position,
    heading: { angle: random() * Math.PI * 2 },
    drive: { impulse: cls === 'scout' ? 120 : cls === 'dreadnought' ? 70 : 100, warp: 0 },
    shields: { fore: enemy ? 80 : 20, aft: enemy ? 60 : 20, up: true },
    hull: { hp: hull },
    tag: { name, side, cls, ship: 0 },
  });
  const mode: NpcMode = enemy ? 'patrol' : 'trade';
  const npc: Npc = {
    id: ship.id,
    body: ship,
    ship,
    side,
    shieldsUp: true,
    hull,
    fore: ship.shields.fore,
    aft: ship.shields.aft,
    target: 0,
    beamReadyAt: 0,
    stats: undefined,
    mode,
    waypoint: { x: random() * SECTOR, y: random() * SECTOR },
    thinkAt: room.tick + Math.floor(random() * 10),
    torpedoAt: room.tick + 100 + Math.floor(random() * 100),
    controls: { impulse: 50, rudder: 0, warp: 0 },
  };
  room.state.npcs.set(ship.id, npc);
  return npc;
}

/** Freighters plying between the bases (none in training). */
const NEUTRALS = 12;

/**
 * Enemies a scenario starts with and keeps in reserve, by difficulty (1-11). A siege at 11 on
 * eight ships is seed 004's full load: 98 enemies, 12 freighters, 4 bases, 8 player ships with
 * their 24 crew entities, and the torpedoes in flight, about 150 entities.
 */
export function enemyCounts(scenario: Scenario, difficulty: number): { now: number; reserve: number } {
  if (scenario === 'training') return { now: 2 + difficulty, reserve: 0 };
  if (scenario === 'siege') return { now: 10 + 8 * difficulty, reserve: 1_000 };
  const total = 4 + 4 * difficulty;
  const now = Math.ceil(total / 3);
  return { now, reserve: total - now };
}

/** Fills an empty room with the round's sector: bases, player ships, NPCs. */
export function buildSector(room: BridgeRoom, o: SectorOptions): void {
  const state = room.state;
  BASE_SPOTS.forEach((spot, i) => {
    const base = room.entities.create('base', {
      position: onGrid(room, spot.x, spot.y),
      shields: { fore: 100, aft: 100, up: true },
      hull: { hp: 100 },
      tag: { name: BASE_NAMES[i]!, side: 'crew', cls: 'station', ship: 0 },
    });
    state.bases.set(base.id, { id: base.id, body: base, base, side: 'crew', shieldsUp: true, hull: 100, fore: 100, aft: 100, target: 0, beamReadyAt: 0, stats: undefined });
  });
  for (let i = 0; i < o.ships; i++) state.crews.push(addCrewShip(room, i, o.names?.[i] ?? SHIP_NAMES[i]!));
  const { now, reserve } = enemyCounts(o.scenario, o.difficulty);
  for (let i = 0; i < now; i++) {
    // Training: the enemies wait near the first base; otherwise anywhere away from the crews.
    const near = o.scenario === 'training' ? { x: BASE_SPOTS[0]!.x + 6_000 + i * 800, y: BASE_SPOTS[0]!.y + 4_000 } : undefined;
    spawnNpc(room, 'enemy', near);
  }
  for (let i = 0; i < (o.scenario === 'training' ? 0 : NEUTRALS); i++) spawnNpc(room, 'neutral');
  state.mission = { scenario: o.scenario, difficulty: o.difficulty, startTick: room.tick, reserve, wave: 1, enemiesDestroyed: 0, basesLost: 0, over: false };
}

/** Removes every entity of the round and forgets its state (back to the lobby). */
export function clearSector(room: BridgeRoom): void {
  for (const e of [...room.entities.all()]) room.entities.remove(e);
  const state = room.state;
  state.crews = [];
  state.npcs.clear();
  state.bases.clear();
  state.torpedoes.clear();
  state.mission = { ...state.mission, over: true };
}
