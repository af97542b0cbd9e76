import { describe, expect, it } from 'vitest';
import { BOTS_FLAGS, UsageError, describeFlags, numberFlag, parseArgs } from './args.js';

describe('parseArgs', () => {
  it('reads values, = values, switches and -h', () => {
    const a = parseArgs(['bots', '--url', 'ws://h:1', '--clients=3', '--json', '-h', '--lag', '-5'], BOTS_FLAGS);
    expect(a.positional).toEqual(['bots']);
    expect([...a.values]).toEqual([
      ['url', 'ws://h:1'],
      ['clients', '3'],
      ['lag', '-5'],
    ]);
    expect([...a.switches]).toEqual(['json', 'help']);
  });

  it('does not let a switch swallow the word after it', () => {
    expect(parseArgs(['--json', 'bots'], BOTS_FLAGS).positional).toEqual(['bots']);
  });

  it('refuses unknown flags with the list of flags', () => {
    expect(() => parseArgs(['bots', '--clinets', '3'], BOTS_FLAGS)).toThrow(new UsageError(`unknown flag --clinets; the flags are ${BOTS_FLAGS.map((f) => `--${f.name}`).join(', ')}`));
    expect(() => parseArgs(['-x'], BOTS_FLAGS)).toThrow(/unknown flag -x;/);
    expect(() => parseArgs(['--nope=1'], BOTS_FLAGS)).toThrow(/unknown flag --nope;/);
  });

  it('refuses a missing value, a value on a switch, and a flag given twice', () => {
    expect(() => parseArgs(['--url'], BOTS_FLAGS)).toThrow('--url needs a value: --url URL');
    expect(() => parseArgs(['--url', '--json'], BOTS_FLAGS)).toThrow('--url needs a value');
    expect(() => parseArgs(['--url='], BOTS_FLAGS)).toThrow('--url needs a value');
    expect(() => parseArgs(['--json=1'], BOTS_FLAGS)).toThrow('--json takes no value');
    expect(() => parseArgs(['--rate', '1', '--rate', '2'], BOTS_FLAGS)).toThrow('--rate is given twice');
  });

  it('checks numbers against their minimum', () => {
    const a = parseArgs(['--clients', '0', '--rate', 'fast', '--duration', '2.5'], BOTS_FLAGS);
    expect(() => numberFlag(a, 'clients', 50, 1)).toThrow('--clients must be a number >= 1, got "0"');
    expect(() => numberFlag(a, 'rate', 20, 1)).toThrow('--rate must be a number >= 1, got "fast"');
    expect(numberFlag(a, 'duration', 30, 1)).toBe(2.5);
    expect(numberFlag(a, 'join-rate', 100, 1)).toBe(100);
  });

  it('documents every flag it accepts', () => {
    const help = describeFlags(BOTS_FLAGS);
    for (const f of BOTS_FLAGS) expect(help).toContain(`--${f.name}`);
    expect(help).toMatch(/--url URL +server WebSocket URL/);
  });
});
