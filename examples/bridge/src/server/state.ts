/**
 * What the bridge room keeps besides its entities: the player ships with their crew-only
 * entities and the engineering state behind them, the NPCs' minds, the bases, the torpedoes in
 * flight, the mission and its numbers. Replicated fields are written from here at the rates
 * seed 004 §3.2 gives each kind of state; what is here at full precision stays on the server.
 */
import type { Entity, Player, Room } from '@tickwire/server';
import { MAX_SHIPS, type Console, type Ordnance, type Scenario, type Side, type SystemName } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';

export type Ship = Entity<Bridge, 'ship'>;
export type Base = Entity<Bridge, 'base'>;
export type Torpedo = Entity<Bridge, 'torpedo'>;

/** The helm's controls: what flies a ship (the protocol's input). */
export interface Controls {
  impulse: number;
  rudder: number;
  warp: number;
}

/** A ship's engineering at full precision, published at 5 Hz into its `systems` entity. */
export interface Engineering {
  energy: number;
  power: Record<SystemName, number>;
  coolant: Record<SystemName, number>;
  heat: Record<SystemName, number>;
  damage: Record<SystemName, number>;
}

/** What a crew did in a round: its ship's line on the results screen. */
export interface ShipStats {
  damageDealt: number;
  damageTaken: number;
  torpedoesFired: number;
  kills: number;
  losses: number;
  scans: number;
}

/** Anything that can shoot and be shot: a player ship, an NPC or a base. */
export interface Combatant {
  readonly id: number;
  /** Its entity: where it is (ships also face a heading). */
  readonly body: Ship | Base;
  side: Side;
  /** Shields take hits first while up (NPCs and bases keep theirs up). */
  shieldsUp: boolean;
  /** Hull and shields at full precision (the entities carry them rounded). */
  hull: number;
  fore: number;
  aft: number;
  /** Target of beams and homing torpedoes (entity id, 0 = none). */
  target: number;
  /** Tick before which the beams cannot fire again. */
  beamReadyAt: number;
  /** The player ship's stats that this combatant's hits count towards (NPCs and bases: none). */
  stats: ShipStats | undefined;
}

/** A player ship: its public entity, the crew's three channel entities, and the state behind them. */
export interface CrewShip extends Combatant {
  readonly index: number;
  readonly channel: string;
  readonly ship: Ship;
  readonly bridge: Entity<Bridge, 'bridge'>;
  readonly systems: Entity<Bridge, 'systems'>;
  readonly tubes: Entity<Bridge, 'tubes'>;
  readonly home: { x: number; y: number };
  /** Who is at the helm (undefined: nobody, and the autopilot flies). */
  helm: BridgePlayer | undefined;
  /** The helm's controls as last applied: what flies the ship while no helm input arrives. */
  controls: Controls;
  /** What flies it when no input does (the autopilot's, or the helm's held straight): reused each tick. */
  readonly unmanned: Controls;
  /** The tick the ship last moved (it moves once a tick, by the helm's input or without one). */
  steppedAt: number;
  /** The tick of the helm's last input. */
  helmInputAt: number;
  engineering: Engineering;
  redAlert: boolean;
  scan: { target: number; progress: number };
  /** The tick the ship comes back at its home base after being destroyed (0: it is in play). */
  respawnAt: number;
  docked: boolean;
  stats: ShipStats;
}

export type NpcMode = 'patrol' | 'attack' | 'flee' | 'trade' | 'surrendered';

/** An NPC ship and its mind. */
export interface Npc extends Combatant {
  readonly ship: Ship;
  mode: NpcMode;
  waypoint: { x: number; y: number };
  /** Next tick it reconsiders what to do; next tick it may fire a torpedo. */
  thinkAt: number;
  torpedoAt: number;
  controls: Controls;
}

export interface BaseState extends Combatant {
  readonly base: Base;
}

export interface TorpedoState {
  readonly entity: Torpedo;
  readonly kind: Ordnance;
  readonly side: Side;
  /** The combatant that fired it (hits count for its ship). */
  readonly owner: number;
  readonly target: number;
  /** The tick it burns out at. */
  readonly endsAt: number;
}

export interface Mission {
  scenario: Scenario;
  difficulty: number;
  /** The tick the round started. */
  startTick: number;
  /** Enemies still to come (patrol: later waves; siege: reinforcements). */
  reserve: number;
  wave: number;
  enemiesDestroyed: number;
  basesLost: number;
  over: boolean;
}

export interface BridgeState {
  random: () => number;
  /** Everything that can shoot or be shot this tick (refreshed at its start; a destroyed one has hull 0). */
  combatants: Combatant[];
  crews: CrewShip[];
  npcs: Map<number, Npc>;
  bases: Map<number, BaseState>;
  torpedoes: Map<number, TorpedoState>;
  mission: Mission;
  /** Joins so far, for seating players in join order when the room is not a session. */
  joined: number;
  /** A room that is not a session: the tick its next round starts (-1: none scheduled). */
  nextRoundAt: number;
}

/** What the room keeps for each player: their seat and the crew channel it lets them see. */
export interface Crewman {
  post: { ship: number; console: Console } | undefined;
  /** The channels this player is a member of (its ship's crew channel, or none). */
  channels: string[];
  /** Where the player looks from: its ship's position (none without a seat). */
  view: { readonly x: number; readonly y: number } | undefined;
  /** Commands accepted in this round (the member line of the results). */
  actions: number;
}

export type BridgeRoom = Room<Bridge, BridgeState, Crewman>;
export type BridgePlayer = Player<Bridge, Crewman>;

export const emptyStats = (): ShipStats => ({ damageDealt: 0, damageTaken: 0, torpedoesFired: 0, kills: 0, losses: 0, scans: 0 });

const CHANNELS = Array.from({ length: MAX_SHIPS }, (_, i) => `crew-${i}`);

/** The crew channel of player ship `index` (the same string every time: interest compares them per snapshot). */
export const crewChannel = (index: number): string => CHANNELS[index] ?? `crew-${index}`;

/** Squared distance between two points. */
export const dist2 = (a: { x: number; y: number }, b: { x: number; y: number }): number => (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
