/** The tickwire CLI as a library: run the bots from code (tests, benchmarks). */
export { runBots, type BotsOptions, type BotsReport } from './bots.js';
export { main, normalizeUrl } from './main.js';
