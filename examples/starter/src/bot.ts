/**
 * The bot module `tickwire bots` drives (package.json's "tickwire.bot" points at its build):
 * each bot steers left and right and fires now and then, through the same protocol as a player.
 *
 *   npm start   # in one terminal
 *   npm run bots
 */
import { defineBot } from 'tickwire';
import { game } from './shared/protocol.js';

export default defineBot({
  protocol: game,
  room: 'abc',
  spawn(bot, now) {
    let dx = bot.random() < 0.5 ? -1 : 1;
    let turnAt = now + 500 + bot.random() * 1000;
    return (now) => {
      if (now >= turnAt) {
        dx = -dx;
        turnAt = now + 500 + bot.random() * 1000;
        bot.sendCommand('combat', 'fire', { angle: bot.random() * Math.PI * 2 });
      }
      bot.sendInput({ dx, dy: 0 });
    };
  },
});
