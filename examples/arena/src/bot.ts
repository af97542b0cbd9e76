/**
 * The arena's bot module for `tickwire bots`: a headless pilot that wanders, aims where it goes
 * (give or take), fires now and then and sometimes builds a wall near itself. It is what this
 * repository's `npx tickwire bots` drives by default (the root package.json's "tickwire.bot"
 * points at its build), and the model for a bot module of your own game.
 */
import { valuesFromWire } from '@tickwire/protocol';
import { defineBot } from 'tickwire';
import { arena, BUILD_RANGE, CELL, GRID_H, GRID_W, type Arena } from './shared/protocol.js';

const TURN = Math.PI * 2;

export default defineBot({
  protocol: arena,
  room: 'arena-1',
  spawn(bot, now) {
    let dx = 0;
    let dy = 0;
    let aim = 0;
    let nextTurn = now;
    let nextFire = now + bot.random() * 1000;
    let nextBuild = now + 3000 + bot.random() * 10_000;

    return (now) => {
      if (now >= nextTurn) {
        dx = Math.floor(bot.random() * 3) - 1;
        dy = Math.floor(bot.random() * 3) - 1;
        nextTurn = now + 500 + bot.random() * 1000;
        // Like a player, aim where you go, give or take.
        if (dx !== 0 || dy !== 0) aim = (Math.atan2(dy, dx) + (bot.random() - 0.5) + TURN) % TURN;
      }
      bot.sendInput({ dx, dy, aim });
      if (now >= nextFire) {
        nextFire = now + 600 + bot.random() * 800;
        bot.sendCommand('combat', 'fire', { angle: aim });
      }
      if (now >= nextBuild) {
        nextBuild = now + 8000 + bot.random() * 8000;
        // The snapshot head carries our ship's exact state, decoded or not.
        const own = bot.room.ownState;
        if (!own) return;
        const me = valuesFromWire<Arena, 'ship'>(own.type, own.wire);
        const r = bot.random() * (BUILD_RANGE - CELL);
        const a = bot.random() * TURN;
        const cx = Math.min(GRID_W - 1, Math.max(0, Math.floor((me.position.x + Math.cos(a) * r) / CELL)));
        const cy = Math.min(GRID_H - 1, Math.max(0, Math.floor((me.position.y + Math.sin(a) * r) / CELL)));
        bot.sendCommand('build', 'wall', { cx, cy });
      }
    };
  },
});
