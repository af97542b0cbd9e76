/**
 * Finding and loading the bot module a run drives. The CLI depends on no game: the module comes
 * from `--bot <file>` or, failing that, from the `"tickwire": { "bot": "<file>" }` field of the
 * nearest package.json that has one (this repository's root points it at the arena's bot, a
 * user's project at its own). Every way this can go wrong ends in an error that says what to do.
 */
import type { GameProtocol } from '@tickwire/protocol';
import { isBotDefinition, type BotDefinition } from './define-bot.js';
import { described, importModule, locateModule, type ModuleKind, type ModuleLocation } from './module-file.js';

/** A bot module that could not be found or loaded; the message says how to fix it. */
export class BotModuleError extends Error {
  override readonly name = 'BotModuleError';
}

/** Where the bot module is, and what said so (for error messages). */
export type BotModuleLocation = ModuleLocation;

const BOT: ModuleKind = {
  what: 'bot module',
  flag: '--bot',
  field: 'bot',
  howTo:
    "pass --bot <file.js> (a module whose default export is defineBot({ protocol, spawn }) from 'tickwire'), " +
    'or add "tickwire": { "bot": "dist/bot.js" } to your package.json',
  error: (message) => new BotModuleError(message),
};

/**
 * Finds the bot module: `--bot` resolved against `cwd`, else the `tickwire.bot` field of the
 * package.json in `cwd` or its nearest ancestor that has the field.
 *
 * @example
 * locateBotModule(undefined, process.cwd()); // { path: '/game/dist/bot.js', source: '/game/package.json' }
 */
export function locateBotModule(flag: string | undefined, cwd: string): BotModuleLocation {
  return locateModule(BOT, flag, cwd);
}

/**
 * Imports the bot module and returns its bot: the default export, or an export named `bot`.
 *
 * @example
 * const bot = await loadBotModule(locateBotModule('dist/bot.js', process.cwd()));
 */
export async function loadBotModule(where: BotModuleLocation): Promise<BotDefinition<GameProtocol>> {
  const exports = await importModule(BOT, where);
  const candidate = 'default' in exports ? exports.default : 'bot' in exports ? exports.bot : undefined;
  if (!isBotDefinition(candidate)) {
    throw new BotModuleError(
      `${where.path} (${described(BOT, where)}) does not export a bot: its default export must be defineBot({ protocol, spawn(bot, now) { ... } }) from 'tickwire'`,
    );
  }
  return candidate;
}
