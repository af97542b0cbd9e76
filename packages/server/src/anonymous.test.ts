import { ErrorCode, TickwireError } from '@tickwire/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnonymousIdentities } from './anonymous.js';

const secret = 'a test secret that is long enough';

describe('anonymous identities', () => {
  it('issues unique tokens that verify to their user id, with the same secret in another process', () => {
    const a = new AnonymousIdentities(secret);
    const b = new AnonymousIdentities(secret);
    const one = a.issue();
    const two = a.issue();
    expect(one.userId).not.toBe(two.userId);
    expect(one.userId).toMatch(/^anon-[0-9a-f]{32}$/);
    expect(b.verify(one.token)).toEqual({ userId: one.userId });
  });

  it('refuses a token from another secret, a changed id, and the old unsigned form', () => {
    const a = new AnonymousIdentities(secret);
    const other = new AnonymousIdentities('another secret, also long enough');
    const { token } = a.issue();
    expect(other.verify(token)).toBeUndefined();
    const id = token.split('.')[1]!;
    const forged = token.replace(id, id.replace(/^./, (c) => (c === '0' ? '1' : '0')));
    expect(a.verify(forged)).toBeUndefined();
    expect(() => a.authenticate('anon:someone')).toThrow(/no longer accepted/);
    try {
      a.authenticate(forged);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TickwireError);
      expect((err as TickwireError).code).toBe(ErrorCode.AUTH_FAILED);
    }
  });

  it('gives a fresh guest for an empty token', () => {
    const a = new AnonymousIdentities(secret);
    expect(a.authenticate('').userId).not.toBe(a.authenticate('').userId);
    expect(a.authenticate('').guest).toBe(true);
    expect(a.authenticate(a.issue().token).guest).toBeUndefined();
  });

  it('never accepts a random string', () => {
    const a = new AnonymousIdentities(secret);
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => a.verify(s) === undefined));
  });

  it('refuses a short secret', () => {
    expect(() => new AnonymousIdentities('short')).toThrow(/16 bytes/);
  });
});
