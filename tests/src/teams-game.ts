/**
 * A small session game for the session scenarios: teams of two roles (attack, defend) push a
 * flag; the round starts with a flag per team, a command ends it with results, and the room
 * keeps what the session told it.
 */
import { defineProtocol, t } from '@tickwire/protocol';
import { defineRoom, type RoomDefinition, type SeatChange } from '@tickwire/server';

export const teams = defineProtocol({
  name: 'teams',
  components: { flag: { x: t.float({ min: 0, max: 100, precision: 0.5 }), team: t.uint({ max: 3 }) } },
  entities: { flag: ['flag'] },
  input: { push: t.int({ min: -1, max: 1 }) },
  commands: { round: { finish: { winner: t.uint({ max: 3 }) } } },
  session: {
    roles: ['attack', 'defend'],
    maxGroups: 4,
    options: { teams: t.int({ min: 2, max: 4 }), goal: t.uint({ max: 100 }) },
    results: { session: { winner: t.uint({ max: 3 }) }, group: { score: t.uint({ max: 1000 }) }, member: { pushes: t.uint({ max: 10_000 }) } },
  },
});
export type Teams = typeof teams;

/** What the game keeps: each member's pushes, and what the session told it. */
export interface TeamsState {
  pushes: Map<number, number>;
  seats: SeatChange<Teams, unknown>[];
}

export function teamsRoom(overrides: Partial<RoomDefinition<Teams, TeamsState>> = {}): RoomDefinition<Teams, TeamsState> {
  return defineRoom({
    protocol: teams,
    setup: (): TeamsState => ({ pushes: new Map(), seats: [] }),
    session: {
      groups: (o) => ['Red', 'Blue', 'Green', 'Gold'].slice(0, o.teams),
      options: { teams: 2, goal: 50 },
      onStart(room, session) {
        session.groups.forEach((_, team) => room.entities.create('flag', { flag: { x: 50, team } }));
      },
      onLobby(room) {
        for (const flag of [...room.entities.ofType('flag')]) room.entities.remove(flag);
        room.state.pushes.clear();
      },
      onSeat: (room, change) => void room.state.seats.push(change),
    },
    onInput(room, player, input) {
      const seat = room.session?.seatOf(player);
      if (seat?.role !== 'attack') return;
      for (const flag of room.entities.ofType('flag')) if (flag.flag.team === seat.group) flag.flag.x += input.push;
      room.state.pushes.set(player.id, (room.state.pushes.get(player.id) ?? 0) + 1);
    },
    commands: {
      round: {
        finish(room, _player, { winner }) {
          const session = room.session!;
          session.end({
            session: { winner },
            groups: session.groups.map((_, team) => ({ score: team === winner ? 1 : 0 })),
            members: [...room.clients.values()].map((player) => ({ player, stats: { pushes: room.state.pushes.get(player.id) ?? 0 } })),
          });
        },
      },
    },
    ...overrides,
  });
}
