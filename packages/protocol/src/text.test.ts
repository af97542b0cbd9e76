import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charCount, textProblem } from './text.js';

describe('player text', () => {
  it('accepts ordinary names and chat in any script, emoji included', () => {
    for (const s of ['ada', 'Zoë', 'Łukasz', '李小龍', 'مرحبا', 'שלום', 'ship 🚀 one', '🇫🇷 flag']) {
      expect(textProblem(s, 'name')).toBeUndefined();
    }
  });

  it('refuses control, bidi-override and zero-width characters, naming the one it found', () => {
    const cases: [string, string][] = [
      ['a\u0000b', '0000'],
      ['red\u001b[31m', '001B'],
      ['two\nlines', '000A'],
      ['evil\u202Egnp.exe', '202E'],
      ['iso\u2067late', '2067'],
      ['zero\u200Bwidth', '200B'],
      ['joiner\u200D', '200D'],
      ['\uFEFFbom', 'FEFF'],
      ['c1\u0085', '0085'],
      ['tab\tin', '0009'],
      ['soft\u00ADhyphen', '00AD'],
      ['filler\u3164', '3164'],
    ];
    for (const [s, cp] of cases) expect(textProblem(s, 'name')).toContain(`U+${cp}`);
  });

  it('finds a forbidden character wherever it is in any string', () => {
    const bad = fc.constantFrom('\u0000', '\u0007', '\u001b', '\u202A', '\u202E', '\u2066', '\u200B', '\u200F', '\u2060', '\uFEFF');
    fc.assert(
      fc.property(fc.string(), bad, fc.string(), (a, b, c) => {
        expect(textProblem(a + b + c, 'chat')).toBeDefined();
      }),
    );
  });

  it('counts code points, not UTF-16 units', () => {
    expect(charCount('🚀🚀')).toBe(2);
    expect(charCount('abc')).toBe(3);
  });
});
