/**
 * The bridge as a game module, for running it as processes of a cluster:
 *
 *   TICKWIRE_SECRET=... DATABASE_URL=postgres://... npx tickwire serve --rooms examples/bridge/src/server/rooms.ts
 *
 * (from source: node --conditions=source --import tsx packages/cli/bin/tickwire.js serve ...;
 * see docs/scaling.md).
 */
import { bridgeRoom } from './room.js';

export const rooms = { bridge: bridgeRoom() };
