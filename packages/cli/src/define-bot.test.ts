import { defineProtocol, t } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { defineBot, isBotDefinition } from './define-bot.js';

const game = defineProtocol({
  name: 'bot-test',
  components: { position: { x: t.float({ min: 0, max: 100, precision: 0.5 }) } },
  entities: { ship: ['position'] },
  input: { dx: t.int({ min: -1, max: 1 }) },
  commands: { combat: { fire: { angle: t.angle({ bits: 8 }) } } },
});

describe('defineBot', () => {
  it('returns a definition the loader recognises', () => {
    const bot = defineBot({ protocol: game, room: 'r1', spawn: () => () => undefined });
    expect(isBotDefinition(bot)).toBe(true);
    expect(bot.room).toBe('r1');
  });

  it('refuses a definition without spawn or protocol, with what to pass', () => {
    // A bot module written in JavaScript gets no type errors: these checks are what it meets
    // instead, so the definitions come from JSON, untyped.
    expect(() => defineBot(JSON.parse('{"protocol": {}}'))).toThrow(/defineBot needs spawn\(bot, now\)/);
    expect(() => defineBot({ ...JSON.parse('{"protocol": {"name": "x"}}'), spawn: () => () => undefined })).toThrow(/needs the game's protocol/);
    expect(isBotDefinition({ spawn: () => undefined })).toBe(false);
    expect(isBotDefinition(null)).toBe(false);
  });

  it("types inputs and commands by the game's protocol", () => {
    // Type-level: tsc fails this file if a line marked @ts-expect-error ever compiles.
    const definition = defineBot({
      protocol: game,
      spawn: (bot) => () => {
        bot.sendInput({ dx: 1 });
        bot.sendCommand('combat', 'fire', { angle: 1 });
        // @ts-expect-error: not an input of this game
        bot.sendInput({ jump: true });
        // @ts-expect-error: not a command of this game
        bot.sendCommand('combat', 'reload', {});
        // @ts-expect-error: the payload is { angle }
        bot.sendCommand('combat', 'fire', { power: 3 });
      },
    });
    expect(isBotDefinition(definition)).toBe(true);
  });
});
