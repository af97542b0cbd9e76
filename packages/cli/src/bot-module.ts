/**
 * Finding and loading the bot module a run drives. The CLI depends on no game: the module comes
 * from `--bot <file>` or, failing that, from the `"tickwire": { "bot": "<file>" }` field of the
 * nearest package.json that has one (this repository's root points it at the arena's bot, a
 * user's project at its own). Every way this can go wrong ends in an error that says what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GameProtocol } from '@tickwire/protocol';
import { isBotDefinition, type BotDefinition } from './define-bot.js';

/** A bot module that could not be found or loaded; the message says how to fix it. */
export class BotModuleError extends Error {
  override readonly name = 'BotModuleError';
}

/** Where the bot module is, and what said so (for error messages). */
export interface BotModuleLocation {
  path: string;
  /** `--bot`, or the package.json whose `tickwire.bot` field named it. */
  source: string;
}

const HOW_TO_PROVIDE =
  "pass --bot <file.js> (a module whose default export is defineBot({ protocol, spawn }) from 'tickwire'), " +
  'or add "tickwire": { "bot": "dist/bot.js" } to your package.json';

/**
 * Finds the bot module: `--bot` resolved against `cwd`, else the `tickwire.bot` field of the
 * package.json in `cwd` or its nearest ancestor that has the field.
 *
 * @example
 * locateBotModule(undefined, process.cwd()); // { path: '/game/dist/bot.js', source: '/game/package.json' }
 */
export function locateBotModule(flag: string | undefined, cwd: string): BotModuleLocation {
  if (flag !== undefined) return { path: resolve(cwd, flag), source: '--bot' };
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const bot = botField(file);
      if (bot !== undefined) return { path: resolve(dir, bot), source: file };
    }
    if (dirname(dir) === dir) break;
  }
  throw new BotModuleError(`no bot module: ${HOW_TO_PROVIDE}`);
}

function botField(file: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BotModuleError(`${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}): fix it, or pass --bot <file.js>`);
  }
  if (typeof json !== 'object' || json === null || !('tickwire' in json)) return undefined;
  const section = json.tickwire;
  if (typeof section !== 'object' || section === null || !('bot' in section)) return undefined;
  if (typeof section.bot !== 'string' || section.bot === '') {
    throw new BotModuleError(`"tickwire.bot" in ${file} must be the path of a JavaScript module, relative to that file, e.g. "dist/bot.js"`);
  }
  return section.bot;
}

/**
 * Imports the bot module and returns its bot: the default export, or an export named `bot`.
 *
 * @example
 * const bot = await loadBotModule(locateBotModule('dist/bot.js', process.cwd()));
 */
export async function loadBotModule(where: BotModuleLocation): Promise<BotDefinition<GameProtocol>> {
  const from = where.source === '--bot' ? 'given by --bot' : `named by "tickwire.bot" in ${where.source}`;
  const typescript = ['.ts', '.mts', '.cts'].includes(extname(where.path));
  const build = typescript ? ': build it to JavaScript (tsc) and point at the .js file' : ' (is it built? run your build, e.g. npm run build)';
  if (!existsSync(where.path)) throw new BotModuleError(`the bot module ${where.path} (${from}) does not exist${build}; or ${HOW_TO_PROVIDE}`);
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(where.path).href);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') throw new BotModuleError(`Node cannot load ${where.path} (${from})${build}`);
    throw new BotModuleError(`the bot module ${where.path} (${from}) failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exports = typeof loaded === 'object' && loaded !== null ? loaded : {};
  const candidate = 'default' in exports ? exports.default : 'bot' in exports ? exports.bot : undefined;
  if (!isBotDefinition(candidate)) {
    throw new BotModuleError(
      `${where.path} (${from}) does not export a bot: its default export must be defineBot({ protocol, spawn(bot, now) { ... } }) from 'tickwire'`,
    );
  }
  return candidate;
}
