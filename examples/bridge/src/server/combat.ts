/**
 * Combat, all on the server: beams that fire by themselves at a ship's target in range, torpedoes
 * that fly (homing ones turn towards their target) and burst on the first hostile they reach,
 * shields that take a hit on the side it came from, hulls, and what a destruction does to a
 * player ship (it comes back at its home base), an NPC or a base (gone for the round).
 */
import { BEAM_RANGE, SECTOR, TORPEDO_LIFE_S, TORPEDO_SPEED, type Ordnance } from '../shared/constants.js';
import { crewOf, onShip } from './crew.js';
import { dist2, type BridgeRoom, type Combatant, type CrewShip } from './state.js';

const TURN = Math.PI * 2;
/** Damage per hit, and how far a torpedo's burst reaches. */
const BEAM_DAMAGE = 6;
const BEAM_COOLDOWN_S = 1.5;
const WARHEAD: Record<Ordnance, { damage: number; radius: number }> = { homing: { damage: 30, radius: 250 }, nuke: { damage: 70, radius: 1_500 } };
/** Radians per second a homing torpedo turns. */
const HOMING_TURN = 1.5;
const RESPAWN_S = 10;

/** Which way a combatant faces (bases: 0). */
const facing = (c: Combatant): number => (c.body.type === 'ship' ? c.body.heading.angle : 0);

/** Lists every combatant in play for this tick: player ships (not while destroyed), NPCs, bases. */
export function refreshCombatants(room: BridgeRoom): void {
  const s = room.state;
  const list = s.combatants;
  list.length = 0;
  for (const c of s.crews) if (c.respawnAt === 0) list.push(c);
  for (const c of s.npcs.values()) list.push(c);
  for (const c of s.bases.values()) list.push(c);
}


export function combatantById(room: BridgeRoom, id: number): Combatant | undefined {
  const s = room.state;
  const other = s.npcs.get(id) ?? s.bases.get(id);
  if (other) return other;
  for (const c of s.crews) if (c.id === id && c.respawnAt === 0) return c;
  return undefined;
}

export const hostile = (a: Combatant, b: Combatant): boolean => a.side !== 'neutral' && b.side !== 'neutral' && a.side !== b.side;

/** Damage from `by` arriving from (fromX, fromY): shields on that side first (if up), then the hull. */
export function damage(room: BridgeRoom, target: Combatant, amount: number, by: Combatant | undefined, fromX: number, fromY: number): void {
  if (amount <= 0) return;
  const at = target.body.position;
  const bearing = Math.atan2(fromY - at.y, fromX - at.x);
  const off = Math.abs(((bearing - facing(target) + Math.PI * 3) % TURN) - Math.PI);
  const fore = off < Math.PI / 2;
  let rest = amount;
  if (target.shieldsUp) {
    const shield = fore ? target.fore : target.aft;
    const absorbed = Math.min(shield, rest);
    if (fore) target.fore -= absorbed;
    else target.aft -= absorbed;
    rest -= absorbed;
  }
  target.hull = Math.max(0, target.hull - rest);
  if (by?.stats) by.stats.damageDealt += amount;
  if (target.stats) target.stats.damageTaken += amount;
  const crew = crewOf(room, target.id);
  if (crew) {
    hurtSystems(room, crew, rest);
    room.emit('hit', { target: target.id, damage: Math.min(100, Math.round(amount)), fore }, onShip(crew.index));
  }
  if (target.hull <= 0) destroy(room, target, by);
}

/** What gets through the shields also damages a random system of a player ship. */
function hurtSystems(room: BridgeRoom, crew: CrewShip, amount: number): void {
  if (amount <= 0) return;
  const systems = Object.keys(crew.engineering.damage) as (keyof CrewShip['engineering']['damage'])[];
  const hit = systems[Math.floor(room.state.random() * systems.length)]!;
  crew.engineering.damage[hit] = Math.min(100, crew.engineering.damage[hit] + amount * 0.8);
}

function destroy(room: BridgeRoom, target: Combatant, by: Combatant | undefined): void {
  const at = { x: target.body.position.x, y: target.body.position.y };
  room.emit('blast', { x: at.x, y: at.y, size: 3 }, (p) => near(room, p.data.post?.ship, at, 20_000));
  room.emit('destroyed', { id: target.id, by: by?.id ?? 0 });
  if (by?.stats) by.stats.kills++;
  const s = room.state;
  const crew = crewOf(room, target.id);
  if (crew) {
    crew.stats.losses++;
    crew.respawnAt = room.tick + RESPAWN_S * room.tickRate;
    crew.ship.motion.speed = 0;
    crew.ship.hull.hp = 0;
    return;
  }
  if (s.npcs.delete(target.id)) {
    if (target.side === 'enemy') s.mission.enemiesDestroyed++;
  } else if (s.bases.delete(target.id)) s.mission.basesLost++;
  room.entities.remove(target.id);
  for (const c of room.state.combatants) if (c.target === target.id) c.target = 0;
}

/** Whether player ship `ship` (index) is within `range` of a point; false for no ship. */
export function near(room: BridgeRoom, ship: number | undefined, at: { x: number; y: number }, range: number): boolean {
  const crew = ship === undefined ? undefined : room.state.crews[ship];
  return crew !== undefined && dist2(crew.ship.position, at) < range * range;
}

/** A player ship back at its home base, repaired, after being destroyed. */
export function respawn(room: BridgeRoom, crew: CrewShip): void {
  crew.respawnAt = 0;
  crew.hull = 100;
  crew.fore = crew.aft = 50;
  crew.ship.position.x = crew.home.x;
  crew.ship.position.y = crew.home.y;
  crew.ship.heading.angle = 0;
  crew.ship.motion.speed = 0;
  crew.ship.hull.hp = 100;
}

/** Beams: every armed combatant with a hostile target in range fires, then waits for its cooldown. */
export function fireBeams(room: BridgeRoom): void {
  for (const c of room.state.combatants) {
    if (c.hull <= 0 || c.target === 0 || room.tick < c.beamReadyAt) continue;
    const target = combatantById(room, c.target);
    const from = c.body.position;
    if (!target || !hostile(c, target) || dist2(from, target.body.position) > BEAM_RANGE * BEAM_RANGE) continue;
    const crew = crewOf(room, c.id);
    // A player ship's beams draw energy and hit harder with more power.
    let strength = 1;
    if (crew) {
      const eng = crew.engineering;
      if (eng.energy < 5) continue;
      eng.energy -= 5;
      strength = (eng.power.beams / 100) * (1 - eng.damage.beams / 100);
    }
    c.beamReadyAt = room.tick + Math.round(BEAM_COOLDOWN_S * room.tickRate);
    room.emit('beam', { from: c.id, to: target.id }, (p) => near(room, p.data.post?.ship, from, 10_000));
    damage(room, target, BEAM_DAMAGE * strength, c, from.x, from.y);
  }
}

/** Launches a torpedo from a combatant, towards its target if it has one (homing), else dead ahead. */
export function launch(room: BridgeRoom, from: Combatant, kind: Ordnance): void {
  const at = from.body.position;
  const target = from.target !== 0 ? combatantById(room, from.target) : undefined;
  const to = target?.body.position;
  const angle = to ? (Math.atan2(to.y - at.y, to.x - at.x) + TURN) % TURN : facing(from);
  const entity = room.entities.create('torpedo', {
    position: { x: at.x + Math.cos(angle) * 200, y: at.y + Math.sin(angle) * 200 },
    heading: { angle },
    warhead: { kind, side: from.side },
  });
  room.state.torpedoes.set(entity.id, { entity, kind, side: from.side, owner: from.id, target: target?.id ?? 0, endsAt: room.tick + TORPEDO_LIFE_S * room.tickRate });
  if (from.stats) from.stats.torpedoesFired++;
}

/** Torpedoes fly, turn towards their target if homing, and burst on the first hostile within reach. */
export function flyTorpedoes(room: BridgeRoom, dt: number): void {
  for (const [id, t] of room.state.torpedoes) {
    const e = t.entity;
    const target = t.kind === 'homing' && t.target !== 0 ? combatantById(room, t.target) : undefined;
    const to = target?.body.position;
    if (to) {
      let d = Math.atan2(to.y - e.position.y, to.x - e.position.x) - e.heading.angle;
      d = ((d + Math.PI * 3) % TURN) - Math.PI;
      const turn = Math.max(-HOMING_TURN * dt, Math.min(HOMING_TURN * dt, d));
      e.heading.angle = (e.heading.angle + turn + TURN) % TURN;
    }
    const x = e.position.x + Math.cos(e.heading.angle) * TORPEDO_SPEED * dt;
    const y = e.position.y + Math.sin(e.heading.angle) * TORPEDO_SPEED * dt;
    const owner = combatantById(room, t.owner);
    const struck = victimAt(room, t.side, t.owner, x, y);
    if (struck || room.tick >= t.endsAt || x <= 0 || y <= 0 || x >= SECTOR || y >= SECTOR) {
      room.state.torpedoes.delete(id);
      room.entities.remove(id);
      if (struck) burst(room, t.kind, x, y, owner, t.side);
      continue;
    }
    e.position.x = x;
    e.position.y = y;
  }
}

/** The first combatant hostile to `side` (not the launcher) close enough to set a warhead off. */
function victimAt(room: BridgeRoom, side: Combatant['side'], owner: number, x: number, y: number): Combatant | undefined {
  for (const c of room.state.combatants) {
    if (c.hull <= 0 || c.id === owner || c.side === side || c.side === 'neutral') continue;
    const at = c.body.position;
    if ((at.x - x) ** 2 + (at.y - y) ** 2 < 200 * 200) return c;
  }
  return undefined;
}

/** A warhead bursts: everything hostile within its radius takes damage, falling off with distance. */
function burst(room: BridgeRoom, kind: Ordnance, x: number, y: number, owner: Combatant | undefined, side: Combatant['side']): void {
  const { damage: full, radius } = WARHEAD[kind];
  room.emit('blast', { x, y, size: kind === 'nuke' ? 2 : 1 }, (p) => near(room, p.data.post?.ship, { x, y }, 20_000));
  for (const c of room.state.combatants) {
    if (c.hull <= 0 || c.side === side || c.side === 'neutral') continue;
    const at = c.body.position;
    const d = Math.sqrt((at.x - x) ** 2 + (at.y - y) ** 2);
    if (d < radius) damage(room, c, full * (1 - (0.5 * d) / radius), owner, x, y);
  }
}
