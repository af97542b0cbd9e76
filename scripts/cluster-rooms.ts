/**
 * The game module of `npm run cluster`: every process serves both examples, so a room of
 * either can run on, and fail over to, any of them.
 */
import { arenaRoom } from '@tickwire/arena/room';
import { bridgeRoom } from '@tickwire/bridge/room';

export const rooms = { arena: arenaRoom(), bridge: bridgeRoom() };
