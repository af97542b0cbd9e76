import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESUME_TOKEN_TTL_MS, ResumeTokens } from './resume-tokens.js';

const secret = new TextEncoder().encode('a secret of at least sixteen bytes');

describe('resume tokens', () => {
  it('verify on another process with the same secret, for that room and user only', () => {
    let now = 1_800_000_000_000;
    const a = new ResumeTokens(secret, () => now);
    const b = new ResumeTokens(secret, () => now);
    const token = a.issue('arena-1', 'anon-1');
    expect(token).toHaveLength(16);
    expect(b.verify(token, 'arena-1', 'anon-1')).toBe(true);
    expect(b.verify(token, 'arena-2', 'anon-1')).toBe(false);
    expect(b.verify(token, 'arena-1', 'anon-2')).toBe(false);
    expect(new ResumeTokens(new TextEncoder().encode('another secret, also long enough')).verify(token, 'arena-1', 'anon-1')).toBe(false);
    now += RESUME_TOKEN_TTL_MS + 1000;
    expect(b.verify(token, 'arena-1', 'anon-1')).toBe(false);
  });

  it('refuses any tampered byte', () => {
    const t = new ResumeTokens(secret);
    const token = t.issue('r', 'u');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = token.slice();
        bad[i] = bad[i]! ^ x;
        return !t.verify(bad, 'r', 'u');
      }),
    );
  });
});
