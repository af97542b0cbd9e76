/** Types the feel scenario shares: the arena's room definition and the room its systems see. */
import type { arenaRoom } from '../server/room.js';

export type ArenaDefinition = ReturnType<typeof arenaRoom>;
export type ArenaSystem = NonNullable<ArenaDefinition['systems']>[number];
/** The arena room as a system sees it (state and player data typed). */
export type ArenaRoom = Parameters<ArenaSystem>[0];
