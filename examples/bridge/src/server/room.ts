/**
 * The bridge's authoritative room (seed 004): 20 Hz ticks, 10 Hz snapshots (§6.1), the helm's
 * input flying its ship through the shared step (one input a tick, so the helm can predict it),
 * the other consoles' commands checked against their seats, NPCs, combat, engineering and the
 * mission run as systems, and each kind of state replicated at its own rate to whom it concerns
 * (interest.ts and publish.ts).
 *
 * By default a room is a session (session.ts): a lobby where players take seats, a round built
 * from its options, results. A room that is not a session (`session: false`: tests, load runs
 * without a lobby) builds its sector when the first player joins and seats players in join
 * order; between rounds it rebuilds after a pause.
 */
import { defineRoom, reject } from '@tickwire/server';
import { SECTOR } from '../shared/constants.js';
import { bridge } from '../shared/protocol.js';
import { fireBeams, flyTorpedoes, refreshCombatants } from './combat.js';
import { captain, comms, engineering, runConsoles, science, weapons } from './consoles.js';
import { postInJoinOrder, reseatAll, seat } from './crew.js';
import { runEngineering } from './engineering.js';
import { fly, steer } from './flight.js';
import { bridgeInterest } from './interest.js';
import { finish, runMission, type RoundResults } from './mission.js';
import { npcMinds } from './npc.js';
import { publish } from './publish.js';
import { buildSector, clearSector, type SectorOptions } from './sector.js';
import { bridgeSession, endRound } from './session.js';
import type { BridgeRoom, BridgeState, Crewman } from './state.js';

export interface BridgeOptions {
  /** Random numbers for the sector and the NPCs (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /** How long a dropped player keeps their seat (default 60 s). */
  reconnectWindowMs?: number;
  /**
   * Snapshots a second (default 10, seed 004 §6.1). The tier rates are absolute, so at 20 the
   * ships still go at 10, 2 and 1 Hz and only torpedoes (every snapshot) and the helm's own
   * state come at 20 Hz.
   */
  snapshotRate?: number;
  maxClients?: number;
  /** Whether rooms are sessions, with a lobby (default true). */
  session?: boolean;
  /** A room that is not a session: the sector it plays (default: patrol, difficulty 3, two ships). */
  sector?: SectorOptions;
  /** A room that is not a session: seconds between the end of a round and the next (default 10). */
  pauseS?: number;
  /** Called with each room as it is set up: tests and tools read its state through it. */
  observe?: (room: BridgeRoom) => void;
}

const DEFAULT_SECTOR: SectorOptions = { scenario: 'patrol', difficulty: 3, ships: 2 };

function emptyState(random: () => number): BridgeState {
  return {
    random,
    combatants: [],
    crews: [],
    npcs: new Map(),
    bases: new Map(),
    torpedoes: new Map(),
    mission: { scenario: 'patrol', difficulty: 1, startTick: 0, reserve: 0, wave: 0, enemiesDestroyed: 0, basesLost: 0, over: true },
    joined: 0,
    nextRoundAt: -1,
  };
}

/** One tick of the round, in order: minds, flight, engineering, weapons, consoles, what gets written, the mission. */
function playRound(room: BridgeRoom, dt: number): RoundResults | undefined {
  if (room.state.mission.over) return undefined;
  refreshCombatants(room);
  npcMinds(room);
  fly(room);
  runEngineering(room, dt);
  fireBeams(room);
  flyTorpedoes(room, dt);
  runConsoles(room, dt);
  publish(room);
  return runMission(room);
}

export function bridgeRoom(o: BridgeOptions = {}) {
  const sector = o.sector ?? DEFAULT_SECTOR;
  const pauseTicks = (o.pauseS ?? 10) * 20;
  /** A room that is not a session: a new round, everyone seated as before. */
  const newRound = (room: BridgeRoom) => {
    clearSector(room);
    buildSector(room, sector);
    reseatAll(room);
    room.state.nextRoundAt = -1;
  };
  const ended = (room: BridgeRoom, results: RoundResults) => {
    if (room.session) endRound(room, results);
    else room.state.nextRoundAt = room.tick + pauseTicks;
  };

  return defineRoom({
    protocol: bridge,
    createOnJoin: true,
    tickRate: 20,
    snapshotRate: o.snapshotRate ?? 10,
    maxInputsPerTick: 1,
    sendOwnState: true,
    maxClients: o.maxClients ?? 64,
    reconnectWindowMs: o.reconnectWindowMs ?? 60_000,
    data: (): Crewman => ({ post: undefined, channels: [], view: undefined, actions: 0 }),
    setup(room) {
      o.observe?.(room);
      return emptyState(o.random ?? Math.random);
    },

    session: o.session === false ? undefined : bridgeSession,

    onJoin(room, player) {
      // In a session, players take seats in the lobby (session.ts).
      if (room.session) return;
      if (room.state.crews.length === 0) buildSector(room, sector);
      seat(room, player, postInJoinOrder(room));
    },
    onLeave(room, player) {
      seat(room, player, undefined);
    },
    onInput(room, player, input) {
      // Only the helm flies; a stale input from a console the player just left is dropped.
      const post = player.data.post;
      const crew = post?.console === 'helm' ? room.state.crews[post.ship] : undefined;
      if (crew) steer(room, crew, input);
    },

    commands: {
      weapons,
      engineering,
      science,
      comms,
      captain,
      mission: {
        end(room, player) {
          if (room.session ? room.session.host !== player : player.data.post?.console !== 'captain') {
            reject(room.session ? 'only the host can call the mission off' : 'only a captain can call the mission off');
          }
          if (room.state.mission.over) reject('the mission is already over');
          ended(room, finish(room, false));
        },
      },
    },
    systems: [
      (room, dt) => {
        if (room.state.nextRoundAt >= 0 && room.tick >= room.state.nextRoundAt) newRound(room);
        const results = playRound(room, dt);
        if (results) ended(room, results);
      },
    ],
    interest: bridgeInterest(),
    metadata: () => ({ sector: SECTOR }),
  });
}
