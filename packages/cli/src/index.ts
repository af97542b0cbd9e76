/**
 * tickwire, the command line, as a library: `defineBot` for a game's bot module, and the bots
 * runner for code that drives them itself (tests, benchmarks).
 */
export { defineBot, isBotDefinition, type Bot, type BotDefinition, type Think } from './define-bot.js';
export { runBots, JoinError, BotFault, type BotsOptions, type BotsReport } from './bots.js';
export { locateBotModule, loadBotModule, BotModuleError, type BotModuleLocation } from './bot-module.js';
export { main, normalizeUrl, type Output } from './main.js';
export { issueToken, type TokenOptions } from './token.js';
