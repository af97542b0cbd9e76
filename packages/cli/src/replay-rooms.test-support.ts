/**
 * A game module for `tickwire replay` tests: a room whose ships move by input from where the
 * room's random placed them, as type 'duel'; and 'drifting', the same game with a change that
 * shows from tick 30 on.
 */
import { defineProtocol, t } from '@tickwire/protocol';
import { defineRoom, type RoomDefinition } from '@tickwire/server';

export const duel = defineProtocol({
  name: 'duel',
  components: { pos: { x: t.float({ min: 0, max: 1000, precision: 0.5 }) } },
  entities: { ship: ['pos'] },
  input: { dx: t.int({ min: -1, max: 1 }) },
});

export const duelRoom: RoomDefinition<typeof duel> = defineRoom({
  protocol: duel,
  createOnJoin: true,
  reconnectWindowMs: 0,
  onJoin: (room) => room.entities.create('ship', { pos: { x: Math.round(room.random() * 900) } }),
  onInput: (_room, player, input) => {
    if (player.entity) player.entity.pos.x = Math.min(1000, Math.max(0, player.entity.pos.x + input.dx * 5));
  },
});

export const rooms = {
  duel: duelRoom,
  drifting: defineRoom({
    ...duelRoom,
    systems: [
      (room) => {
        if (room.tick === 30) for (const ship of room.entities.all()) ship.pos.x = 0;
      },
    ],
  }),
};
