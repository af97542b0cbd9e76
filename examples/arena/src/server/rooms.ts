/**
 * The arena as a game module, for running it as processes of a cluster:
 *
 *   TICKWIRE_SECRET=... DATABASE_URL=postgres://... npx tickwire serve --rooms examples/arena/src/server/rooms.ts
 *
 * (from source: node --conditions=source --import tsx packages/cli/bin/tickwire.js serve ...;
 * see docs/scaling.md).
 */
import { arenaRoom } from './room.js';

export const rooms = { arena: arenaRoom() };
