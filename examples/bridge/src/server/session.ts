/**
 * The bridge as a session (seed 004 §5): the lobby's options (scenario, difficulty 1-11, ships
 * 1-8) give the ships, named SHIP_NAMES unless a crew renames theirs; a seat is a ship and a
 * console. A round builds the sector from the options and the seats; a seat that changes hands
 * while it runs moves the player's post (and the helm's ship); a ship whose last crew member
 * leaves flies on under its autopilot. The round ends with each ship's stats.
 */
import type { SessionDefinition } from '@tickwire/server';
import { SHIP_NAMES } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';
import { reseatAll, seat } from './crew.js';
import type { RoundResults } from './mission.js';
import { buildSector, clearSector } from './sector.js';
import type { BridgeRoom, BridgeState, Crewman } from './state.js';

/** Ends the round for the session: the results every member sees. */
export function endRound(room: BridgeRoom, results: RoundResults): void {
  const session = room.session;
  if (!session || session.state !== 'running') return;
  session.end({
    session: results.session,
    groups: results.groups,
    members: [...room.clients.values()].map((player) => ({ player, stats: { actions: player.data.actions } })),
  });
}

export const bridgeSession: SessionDefinition<Bridge, BridgeState, Crewman> = {
  groups: (o) => SHIP_NAMES.slice(0, o.ships),
  options: { scenario: 'patrol', difficulty: 3, ships: 2 },
  onStart(room, session) {
    clearSector(room);
    buildSector(room, { ...session.options, names: session.groups });
    for (const player of room.clients.values()) {
      const s = session.seatOf(player);
      player.data.post = s && { ship: s.group, console: s.role };
      player.data.actions = 0;
    }
    reseatAll(room);
  },
  onSeat(room, change) {
    const to = change.to;
    seat(room, change.player, to && { ship: to.group, console: to.role });
  },
  onLobby(room) {
    clearSector(room);
  },
};
