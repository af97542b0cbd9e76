/**
 * The bot module API: what a game hands `tickwire bots` so that headless players send that
 * game's inputs and commands. The CLI knows no game; a game knows its own protocol and what a
 * plausible player does. The boundary is one typed object, `defineBot({ protocol, spawn })`,
 * exported by a module the CLI imports at run time (`--bot <file>` or the `tickwire.bot` field
 * of the nearest package.json).
 */
import type { ClientRoom } from '@tickwire/client';
import type { ActionName, CommandPayload, FeatureName, GameProtocol, InputOf } from '@tickwire/protocol';

/** One headless player, as its bot module sees it. */
export interface Bot<P extends GameProtocol> {
  /** This bot's number in the run, from 0; it joins as `bot-<index>`. */
  readonly index: number;
  /**
   * The joined room, to read from: `ownState` (this bot's entity, exact, in every snapshot),
   * `tick`, `rtt`, and `entities` when the run decodes snapshots (`decode: true` or `--decode`).
   * Send through {@link Bot.sendInput} and {@link Bot.sendCommand}, which the report measures.
   */
  readonly room: ClientRoom<P>;
  /** The run's seeded random numbers in [0, 1): the same `--seed` makes the same choices. */
  random(): number;
  /** Sends an input; the report measures the time until a snapshot acknowledges it. */
  sendInput(input: Partial<InputOf<P>>): void;
  /**
   * Sends a command; the report counts it under `"<feature>.<action>"` as acknowledged or
   * refused by the server.
   */
  sendCommand<F extends FeatureName<P>, A extends ActionName<P, F>>(feature: F, action: A, payload: CommandPayload<P, F, A>, options?: { entity?: number }): void;
}

/** What one bot does on every beat (`--rate` times a second while it is connected); `now` in ms. */
export type Think = (now: number) => void;

/** What a game tells `tickwire bots`: its protocol and what each bot does. */
export interface BotDefinition<P extends GameProtocol> {
  /** The game protocol (the same declaration the server room uses). */
  protocol: P;
  /** Room code the bots join when neither `--room` nor `--create` is given (default `bots`). */
  room?: string;
  /**
   * Room type to create instead, for games whose rooms a join does not open (no `createOnJoin`):
   * the first bot creates a room of this type and the others join the code it got. Used when
   * neither `--room` nor `--create` is given and `room` is not set.
   */
  create?: string;
  /**
   * Decode every snapshot into `bot.room.entities`, as a game client does (default false: bots
   * read only the snapshot head, which is cheaper; `--decode` turns it on for a run).
   */
  decode?: boolean;
  /**
   * Called once for each bot when it has joined, with the run's clock (`now`, in ms). Keep the
   * bot's own state in the closure, and return its {@link Think}: what it sends on each beat.
   */
  spawn(bot: Bot<P>, now: number): Think;
}

/**
 * Declares a bot module for `tickwire bots`. Export the result as the module's default export,
 * build the module to JavaScript, and point `--bot` (or `"tickwire": { "bot": ... }` in your
 * package.json) at the built file.
 *
 * @example
 * // src/bot.ts
 * import { defineBot } from 'tickwire';
 * import { game } from './shared/protocol.js';
 *
 * export default defineBot({
 *   protocol: game,
 *   room: 'lobby',
 *   spawn(bot, now) {
 *     let dx = 1;
 *     let turnAt = now + 1000;
 *     return (now) => {
 *       if (now >= turnAt) {
 *         dx = -dx;
 *         turnAt = now + 500 + bot.random() * 1000;
 *         bot.sendCommand('combat', 'fire', { angle: bot.random() * Math.PI * 2 });
 *       }
 *       bot.sendInput({ dx, dy: 0 });
 *     };
 *   },
 * });
 */
export function defineBot<P extends GameProtocol>(definition: BotDefinition<P>): BotDefinition<P> {
  if (typeof definition.spawn !== 'function') throw new TypeError('defineBot needs spawn(bot, now), returning the function that sends inputs and commands on each beat');
  if (!isProtocol(definition.protocol)) throw new TypeError("defineBot needs the game's protocol: the value defineProtocol() returned");
  if (definition.room !== undefined && typeof definition.room !== 'string') throw new TypeError('defineBot: room must be a room code (a string)');
  if (definition.create !== undefined && typeof definition.create !== 'string') throw new TypeError('defineBot: create must be a room type name (a string)');
  return definition;
}

function isProtocol(value: unknown): value is GameProtocol {
  return typeof value === 'object' && value !== null && 'name' in value && typeof value.name === 'string' && 'hash' in value && typeof value.hash === 'number' && 'input' in value && typeof value.input === 'object';
}

/**
 * Whether a module's export is a bot definition. Checked by shape, not by class: the module may
 * have been built against another copy of this package.
 */
export function isBotDefinition(value: unknown): value is BotDefinition<GameProtocol> {
  if (typeof value !== 'object' || value === null) return false;
  if (!('spawn' in value) || typeof value.spawn !== 'function') return false;
  return 'protocol' in value && isProtocol(value.protocol);
}
