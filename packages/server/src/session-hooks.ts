/**
 * How a session sits between the room and the game: the room calls the definition's hooks, and
 * for a session's room those hooks first keep the session up to date (who joined, dropped, came
 * back or left, who may join at all), then call the game's. Systems and inputs reach the game
 * only while a round runs (the room refuses commands outside it, room.ts); a plain CHAT line
 * becomes a session chat line, kept in its history.
 *
 * The game's own hooks are kept in `session.base` and called from here; the room never sees
 * them directly, so there is one place that decides the order.
 */
import { Rejection, type RoomDefinition } from './room-definition.js';
import type { Session } from './session.js';
import type { GameProtocol } from '@tickwire/protocol';
import type { RoomClient } from './room-client.js';
import type { Player } from './game-api.js';

/** The player as the runtime holds it (every Player a room passes its hooks is one of its RoomClients). */
function member<P extends GameProtocol, D>(player: Player<P, D>): RoomClient<P, D> {
  return player as RoomClient<P, D>;
}

/** The room definition a session's room runs: the game's, with the session's hooks in front. */
export function sessionRoomDefinition<P extends GameProtocol, S, D>(session: Session<P, S, D>): RoomDefinition<P, S, D> {
  const def = session.base;
  const running = () => session.state === 'running';
  return {
    ...def,
    onAuth(options, identity, room) {
      const refused = session.refusal(identity.userId);
      if (refused) throw new Rejection(refused.message, refused.code);
      return def.onAuth?.(options, identity, room);
    },
    onJoin(room, player, options) {
      const entity = def.onJoin?.(room, player, options);
      session.joined(member(player));
      return entity;
    },
    onLeave(room, player, reason) {
      session.left(member(player), reason);
      def.onLeave?.(room, player, reason);
    },
    onDisconnect(room, player) {
      session.connection(member(player), false);
      def.onDisconnect?.(room, player);
    },
    onReconnect(room, player) {
      def.onReconnect?.(room, player);
    },
    onInput(room, player, input, meta) {
      if (running()) def.onInput?.(room, player, input, meta);
    },
    systems: def.systems?.map((system) => (room: Parameters<typeof system>[0], dt: number) => {
      if (running()) system(room, dt);
    }),
    onChat(_room, player, text) {
      session.chatLine(member(player), text);
      return false;
    },
    async onDispose(room) {
      await session.dispose();
      await def.onDispose?.(room);
    },
  };
}
