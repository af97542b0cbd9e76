/**
 * The token matrix: every case a JWT verifier must accept or refuse, with the reason it gives.
 * Keys are real (HMAC secrets, RSA and EC key pairs from jose), public keys come from a real
 * JWKS server on 127.0.0.1:0, and time is a fixed instant passed in.
 */
import { ErrorCode } from '@tickwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityError, type AuthFailure } from './auth-error.js';
import { JwtVerifier, type JwtOptions } from './jwt-auth.js';
import {
  AUDIENCE,
  ISSUER,
  NOW_MS,
  NOW_SEC,
  SECRET,
  claimsFor,
  secretKey,
  sign,
  signWith,
  startJwksServer,
  testKey,
  unsigned,
  type JwksServer,
  type TestKey,
} from './jwt.test-support.js';

const checks = { issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 30, now: () => NOW_MS };
const hs = new JwtVerifier({ secret: SECRET, ...checks });

async function refusal(verifier: JwtVerifier, token: string): Promise<IdentityError> {
  const err = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof IdentityError)) throw new Error(`expected an IdentityError, got ${String(err)}`);
  // Whatever the reason, the answer never carries the token or the secret.
  if (token.length >= 8) expect(err.message).not.toContain(token);
  expect(err.message).not.toContain(SECRET);
  return err;
}

async function expectRefused(verifier: JwtVerifier, token: string, reason: AuthFailure): Promise<void> {
  const err = await refusal(verifier, token);
  expect(err.reason).toBe(reason);
  expect(err.code).toBe(ErrorCode.AUTH_FAILED);
  expect(err.message.startsWith(`${reason}: `)).toBe(true);
}

describe('JWT with a shared secret (HS256)', () => {
  it('accepts a valid token: the subject is the user id, every claim is kept', async () => {
    const token = await sign(secretKey, claimsFor('alice', { name: 'Alice' }));
    const identity = await hs.verify(token);
    expect(identity.userId).toBe('alice');
    expect(identity.claims).toMatchObject({ sub: 'alice', name: 'Alice', iss: ISSUER, aud: AUDIENCE });
    expect(identity.guest).toBeUndefined();
  });

  const cases: [string, () => Promise<string> | string, AuthFailure][] = [
    ['forged signature (another secret)', () => sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'), claimsFor('alice')), 'bad signature'],
    [
      'payload changed after signing',
      async () => {
        const [h, , s] = (await sign(secretKey, claimsFor('alice'))).split('.');
        return `${h}.${Buffer.from(JSON.stringify(claimsFor('admin'))).toString('base64url')}.${s}`;
      },
      'bad signature',
    ],
    ['alg none', () => unsigned({ alg: 'none', typ: 'JWT' }, claimsFor('alice')), 'algorithm not allowed'],
    ['alg "None" with a signature part', async () => `${unsigned({ alg: 'None' }, claimsFor('alice'))}AAAA`, 'algorithm not allowed'],
    ['HS512 where HS256 is configured', () => sign(secretKey, claimsFor('alice'), { alg: 'HS512' }), 'algorithm not allowed'],
    ['expired 31 s ago (30 s tolerance)', () => sign(secretKey, claimsFor('alice', { exp: NOW_SEC - 31 })), 'expired'],
    ['expired exactly the tolerance ago', () => sign(secretKey, claimsFor('alice', { exp: NOW_SEC - 30 })), 'expired'],
    ['valid from 31 s in the future', () => sign(secretKey, claimsFor('alice', { nbf: NOW_SEC + 31 })), 'not yet valid'],
    ['wrong issuer', () => sign(secretKey, claimsFor('alice', { iss: 'https://evil.test/' })), 'wrong issuer'],
    ['no issuer', () => sign(secretKey, claimsFor('alice', { iss: undefined })), 'wrong issuer'],
    ['wrong audience', () => sign(secretKey, claimsFor('alice', { aud: 'another-game' })), 'wrong audience'],
    ['no audience', () => sign(secretKey, claimsFor('alice', { aud: undefined })), 'wrong audience'],
    ['no subject', () => sign(secretKey, claimsFor('alice', { sub: undefined })), 'missing subject'],
    ['an empty subject', () => sign(secretKey, claimsFor('')), 'invalid subject'],
    ['a numeric subject', () => sign(secretKey, claimsFor('alice', { sub: 42 })), 'invalid subject'],
    ['a 257-character subject', () => sign(secretKey, claimsFor('x'.repeat(257))), 'invalid subject'],
    ['no expiry', () => sign(secretKey, claimsFor('alice', { exp: undefined })), 'missing expiry'],
    ['an expiry that is not a number', () => sign(secretKey, claimsFor('alice', { exp: 'tomorrow' })), 'invalid claims'],
    ['oversized (a 5 000-byte claim, validly signed)', () => sign(secretKey, claimsFor('alice', { pad: 'x'.repeat(5000) })), 'too long'],
    ['oversized garbage', () => 'a'.repeat(100_000), 'too long'],
    ['empty', () => '', 'missing token'],
    ['not a JWT', () => 'hello', 'malformed'],
    ['three parts of garbage', () => 'a.b.c', 'malformed'],
    ['a header that is not JSON', () => `${Buffer.from('{alg').toString('base64url')}.e30.AAAA`, 'malformed'],
    ['an anonymous token', () => `anon.${'0'.repeat(32)}.${'A'.repeat(22)}`, 'malformed'],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name}: ${reason}`, async () => expectRefused(hs, await make(), reason));
  }

  it('accepts at the skew edges: expired less than the tolerance ago, valid from less than the tolerance ahead', async () => {
    expect((await hs.verify(await sign(secretKey, claimsFor('alice', { exp: NOW_SEC - 29 })))).userId).toBe('alice');
    expect((await hs.verify(await sign(secretKey, claimsFor('alice', { nbf: NOW_SEC + 30 })))).userId).toBe('alice');
    const strict = new JwtVerifier({ secret: SECRET, ...checks, clockToleranceSec: 0 });
    await expectRefused(strict, await sign(secretKey, claimsFor('alice', { exp: NOW_SEC })), 'expired');
    expect((await strict.verify(await sign(secretKey, claimsFor('alice', { exp: NOW_SEC + 1 })))).userId).toBe('alice');
  });

  it('accepts one of several audiences, and tokens without exp only when told to', async () => {
    const v = new JwtVerifier({ secret: SECRET, ...checks, audience: ['other', AUDIENCE], requireExpiry: false });
    expect((await v.verify(await sign(secretKey, claimsFor('bob', { aud: [AUDIENCE, 'x'], exp: undefined })))).userId).toBe('bob');
    // No issuer or audience configured: those claims are not checked.
    const open = new JwtVerifier({ secret: SECRET, now: () => NOW_MS });
    expect((await open.verify(await sign(secretKey, claimsFor('carol', { iss: 'anyone', aud: 'anything' })))).userId).toBe('carol');
  });

  it('refuses to be built with a weak or mismatched configuration', () => {
    const bad: [unknown, RegExp][] = [
      [{ secret: 'short' }, /at least 32 bytes/],
      [{ secret: SECRET, algorithms: ['RS256'] }, /HS256, HS384 or HS512 only/],
      [{ jwksUrl: 'http://127.0.0.1:1/jwks', algorithms: ['HS256'] }, /public-key signatures only/],
      [{ jwksUrl: 'ftp://127.0.0.1/jwks' }, /http\(s\)/],
      [{ jwksUrl: 'not a url' }, /not a URL/],
      [{ secret: SECRET, jwksUrl: 'http://127.0.0.1:1/jwks' }, /not both/],
      [{}, /needs a secret or a JWKS URL/],
      [{ secret: SECRET, clockToleranceSec: -1 }, /clockToleranceSec/],
    ];
    for (const [options, message] of bad) expect(() => new JwtVerifier(options as JwtOptions)).toThrow(message);
  });
});

describe('JWT from a JWKS URL (RS256, ES256)', () => {
  let rsa: TestKey;
  let ec: TestKey;
  let jwks: JwksServer;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    rsa = await testKey('rsa-1', 'RS256');
    ec = await testKey('ec-1', 'ES256');
    jwks = await startJwksServer([rsa.publicJwk, ec.publicJwk]);
    verifier = new JwtVerifier({ jwksUrl: jwks.url, ...checks });
  });
  afterAll(() => jwks.close());

  it('accepts RS256 and ES256 tokens signed by published keys', async () => {
    expect((await verifier.verify(await signWith(rsa, claimsFor('alice')))).userId).toBe('alice');
    expect((await verifier.verify(await signWith(ec, claimsFor('bob')))).userId).toBe('bob');
  });

  it('refuses alg confusion: an HS256 token whose secret is the public key', async () => {
    // The classic attack: the public key is public, so an attacker HMACs with it and hopes the
    // server verifies HS256 with the same bytes. A JWKS verifier never accepts HMAC.
    const before = jwks.requests;
    for (const bytes of [JSON.stringify(rsa.publicJwk), rsa.publicJwk.n!]) {
      const token = await sign(new TextEncoder().encode(bytes), claimsFor('admin'), { alg: 'HS256', kid: rsa.kid });
      await expectRefused(verifier, token, 'algorithm not allowed');
    }
    await expectRefused(verifier, unsigned({ alg: 'none', kid: rsa.kid }, claimsFor('admin')), 'algorithm not allowed');
    // Refused before any key was looked up.
    expect(jwks.requests).toBe(before);
  });

  it('refuses alg confusion the other way: an RS256 token where a secret is configured', async () => {
    await expectRefused(hs, await signWith(rsa, claimsFor('alice')), 'algorithm not allowed');
  });

  it('refuses a token signed by a key the provider does not publish, or under another key id', async () => {
    const stranger = await testKey('rsa-1', 'RS256');
    await expectRefused(verifier, await signWith(stranger, claimsFor('alice')), 'bad signature');
    const unknown = await testKey('rsa-9', 'RS256');
    await expectRefused(verifier, await signWith(unknown, claimsFor('alice')), 'unknown key');
    // The EC key's id with an RSA algorithm: no published key matches both.
    await expectRefused(verifier, await sign(rsa.privateKey, claimsFor('alice'), { alg: 'RS256', kid: ec.kid }), 'unknown key');
  });

  it('checks expiry, issuer and audience on JWKS tokens too', async () => {
    await expectRefused(verifier, await signWith(ec, claimsFor('alice', { exp: NOW_SEC - 60 })), 'expired');
    await expectRefused(verifier, await signWith(ec, claimsFor('alice', { iss: 'https://evil.test/' })), 'wrong issuer');
    await expectRefused(verifier, await signWith(ec, claimsFor('alice', { aud: 'another-game' })), 'wrong audience');
  });
});
