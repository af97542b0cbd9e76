import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotModuleError, loadBotModule, locateBotModule } from './bot-module.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickwire-bot-module-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('locateBotModule', () => {
  it('takes --bot relative to the working directory', () => {
    expect(locateBotModule('dist/bot.js', dir)).toEqual({ path: join(dir, 'dist', 'bot.js'), source: '--bot' });
  });

  it('takes "tickwire.bot" from the nearest package.json that has it, relative to that file', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'game', tickwire: { bot: 'dist/bot.js' } }));
    mkdirSync(join(dir, 'packages', 'web', 'src'), { recursive: true });
    writeFileSync(join(dir, 'packages', 'web', 'package.json'), JSON.stringify({ name: 'web' }));
    expect(locateBotModule(undefined, join(dir, 'packages', 'web', 'src'))).toEqual({ path: join(dir, 'dist', 'bot.js'), source: join(dir, 'package.json') });
    // --bot wins over the field.
    expect(locateBotModule('other.js', dir).path).toBe(join(dir, 'other.js'));
  });

  it('says how to provide one when nothing names a bot', () => {
    expect(() => locateBotModule(undefined, dir)).toThrow(BotModuleError);
    expect(() => locateBotModule(undefined, dir)).toThrow(/no bot module: pass --bot <file\.js>/);
  });

  it('refuses a package.json it cannot read or a field that is not a path', () => {
    writeFileSync(join(dir, 'package.json'), '{ "tickwire": ');
    expect(() => locateBotModule(undefined, dir)).toThrow(/package\.json is not valid JSON .*fix it, or pass --bot/);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ tickwire: { bot: 3 } }));
    expect(() => locateBotModule(undefined, dir)).toThrow(/"tickwire\.bot" in .* must be the path of a JavaScript module/);
  });
});

describe('loadBotModule', () => {
  it('names the file and what pointed at it when it does not exist', async () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ tickwire: { bot: 'dist/bot.js' } }));
    await expect(loadBotModule(locateBotModule(undefined, dir))).rejects.toThrow(
      `the bot module ${join(dir, 'dist', 'bot.js')} (named by "tickwire.bot" in ${join(dir, 'package.json')}) does not exist (is it built?`,
    );
  });

  it('tells a TypeScript path to build first', async () => {
    await expect(loadBotModule({ path: join(dir, 'bot.ts'), source: '--bot' })).rejects.toThrow(/does not exist: build it to JavaScript \(tsc\) and point at the \.js file/);
  });

  it('refuses a module that exports no bot, and one that fails to load', async () => {
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    await expect(loadBotModule({ path: join(dir, 'empty.mjs'), source: '--bot' })).rejects.toThrow(/does not export a bot/);
    writeFileSync(join(dir, 'throws.mjs'), "throw new Error('half-written');\n");
    await expect(loadBotModule({ path: join(dir, 'throws.mjs'), source: '--bot' })).rejects.toThrow(/failed to load: half-written/);
  });
});
