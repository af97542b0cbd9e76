import { LIMITS } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { nameProblem, randomPilotName } from './name.js';

describe('pilot names', () => {
  it('accepts ordinary names, up to the HELLO limit in UTF-8 bytes', () => {
    expect(nameProblem('ada')).toBeUndefined();
    expect(nameProblem('Zoë Ångström')).toBeUndefined();
    expect(nameProblem('x'.repeat(LIMITS.nameBytes))).toBeUndefined();
    expect(nameProblem(randomPilotName(() => 0.5))).toBeUndefined();
  });

  it('refuses a name past the limit, counting bytes rather than characters', () => {
    expect(nameProblem('x'.repeat(LIMITS.nameBytes + 1))).toMatch(`the most is ${LIMITS.nameBytes}`);
    // 11 three-byte characters: 11 characters, 33 bytes.
    expect(nameProblem('漢'.repeat(11))).toMatch(/33 bytes/);
  });

  it('refuses empty, control, text-direction and invisible characters', () => {
    expect(nameProblem('   ')).toMatch(/visible character/);
    expect(nameProblem('ada\u0000')).toMatch(/U\+0000/);
    expect(nameProblem('\u001b[31mred')).toMatch(/U\+001B/);
    expect(nameProblem('evil\u202Egnp.exe')).toMatch(/U\+202E/);
    expect(nameProblem('a\u200Bda')).toMatch(/U\+200B/);
    expect(nameProblem('\u3164')).toMatch(/U\+3164/);
  });
});
