/**
 * The game module `tickwire serve` runs: a JavaScript module whose `rooms` export (or default
 * export) is what `createServer({ rooms })` takes: room types by name (`{ arena: arenaRoom() }`),
 * one room definition, or a resolver. It comes from `--rooms <file>` or from the
 * `"tickwire": { "rooms": "<file>" }` field of the nearest package.json that has one, the way the
 * bot module of `tickwire bots` is found.
 */
import type { RoomsOption } from '@tickwire/server';
import { described, importModule, locateModule, type ModuleKind, type ModuleLocation } from './module-file.js';

/** A game module that could not be found or loaded; the message says how to fix it. */
export class GameModuleError extends Error {
  override readonly name = 'GameModuleError';
}

const GAME: ModuleKind = {
  what: 'game module',
  flag: '--rooms',
  field: 'rooms',
  howTo: 'pass --rooms <file.js> (a module that exports `rooms`: { name: defineRoom(...) }), or add "tickwire": { "rooms": "dist/rooms.js" } to your package.json',
  error: (message) => new GameModuleError(message),
};

/** Finds the game module: `--rooms` against `cwd`, else `tickwire.rooms` of the nearest package.json that has it. */
export function locateGameModule(flag: string | undefined, cwd: string): ModuleLocation {
  return locateModule(GAME, flag, cwd);
}

/** What `createServer({ rooms })` can take, as far as can be told before the server checks each definition. */
function isRoomsOption(value: unknown): value is RoomsOption {
  return typeof value === 'function' || (typeof value === 'object' && value !== null && !Array.isArray(value));
}

/**
 * Imports the game module and answers its rooms (the server checks every definition when it is
 * created, with messages that name the room type).
 *
 * @example
 * const rooms = await loadGameModule(locateGameModule('dist/rooms.js', process.cwd()));
 */
export async function loadGameModule(where: ModuleLocation): Promise<RoomsOption> {
  const exports = await importModule(GAME, where);
  const candidate = 'rooms' in exports ? exports.rooms : 'default' in exports ? exports.default : undefined;
  if (!isRoomsOption(candidate)) {
    throw new GameModuleError(`${where.path} (${described(GAME, where)}) does not export its rooms: add \`export const rooms = { arena: arenaRoom() }\` (room types by name)`);
  }
  return candidate;
}
