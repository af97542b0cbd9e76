/**
 * The bridge's numbers, shared by the server, the browser and the bots: the sector, the crews'
 * consoles, the ships' engines and weapons, and the interest ranges of seed 004 (§3.3). Kept
 * apart from the protocol so that changing a speed does not read as a change of the wire format.
 */

/** The six consoles of a ship's bridge, in seat order: a seat is (ship, console). */
export const CONSOLES = ['helm', 'weapons', 'engineering', 'science', 'comms', 'captain'] as const;
export type Console = (typeof CONSOLES)[number];

/** Player ships in a game: 1 to 8 (the lobby sets how many). */
export const MAX_SHIPS = 8;
/** Default names of the player ships, by index; the first member of a crew may rename theirs. */
export const SHIP_NAMES = ['Artemis', 'Intrepid', 'Aegis', 'Horatio', 'Excalibur', 'Hera', 'Ceres', 'Diana'] as const;

/**
 * The square sector everything flies in, in world units (seed 004 §8.2's 200k map). At this size
 * the 50k range of a ship's sensors holds a few dozen contacts, as the seed reckons.
 */
export const SECTOR = 200_000;

/** Seed 004 §3.3: near (< 10k), mid (10k-20k), far (20k-50k); beyond is out of range. Torpedoes within 5k. */
export const NEAR = 10_000;
export const MID = 20_000;
export const FAR = 50_000;
export const TORPEDO_RANGE = 5_000;

/** Engines: speed at 100 % impulse and per warp factor, with drive output at 100 %. */
export const IMPULSE_SPEED = 800;
export const WARP_SPEED = 2_500;
export const MAX_WARP = 4;
/** Drive output is 0-200 % (power allocated by engineering, less damage). */
export const MAX_DRIVE = 200;
export const MAX_SPEED = WARP_SPEED * MAX_WARP * (MAX_DRIVE / 100);
export const IMPULSE_ACCEL = 400;
export const WARP_ACCEL = 5_000;
/** Radians per second at full rudder. */
export const TURN_RATE = 1.2;
/** The rudder's steps each side of centre. */
export const RUDDER_STEPS = 10;

/** Ship systems engineering powers and cools, in the order of the systems components. */
export const SYSTEMS = ['beams', 'tubes', 'sensors', 'impulse', 'warp', 'shields'] as const;
export type SystemName = (typeof SYSTEMS)[number];
/** Power per system, in %: 100 is nominal, up to 300 (it heats up past 100). */
export const MAX_POWER = 300;
/** Coolant units a ship has to spread over its systems, and the most one system takes. */
export const COOLANT_UNITS = 8;
export const MAX_COOLANT = 8;
/** Reactor energy a ship holds. */
export const MAX_ENERGY = 1_000;

/** Torpedo tubes per ship, what they are loaded with, and how a tube is doing. */
export const TUBES = 4;
export const ORDNANCE = ['homing', 'nuke'] as const;
export type Ordnance = (typeof ORDNANCE)[number];
export const TUBE_STATES = ['empty', 'loading', 'loaded'] as const;
export type TubeState = (typeof TUBE_STATES)[number];
/** Ordnance a ship starts with (and is resupplied to when docked). */
export const STOCK: Record<Ordnance, number> = { homing: 12, nuke: 3 };
export const TORPEDO_SPEED = 2_200;
export const TORPEDO_LIFE_S = 6;
/** Seconds to load a tube at nominal tube power. */
export const LOAD_S = 4;

/** Beams fire by themselves at the weapons officer's target within this range. */
export const BEAM_RANGE = 3_000;

/** Who a ship or base belongs to, and what it is. */
export const SIDES = ['crew', 'enemy', 'neutral'] as const;
export type Side = (typeof SIDES)[number];
export const CLASSES = ['cruiser', 'scout', 'raider', 'dreadnought', 'freighter', 'station'] as const;
export type ShipClass = (typeof CLASSES)[number];

/** What comms can say to a contact. */
export const HAILS = ['identify', 'surrender', 'taunt', 'dock'] as const;
export type Hail = (typeof HAILS)[number];

/** What the lobby offers: the mission and how hard it is. */
export const SCENARIOS = ['patrol', 'siege', 'training'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const MAX_DIFFICULTY = 11;
