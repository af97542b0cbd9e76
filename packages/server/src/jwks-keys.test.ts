/**
 * The JWKS cache against a real JWKS server on 127.0.0.1:0, on a manual clock: keys fetched
 * once and reused, a rotation picked up (after the cooldown), the old key dropped, an outage
 * survived with the keys we hold, and an unreachable or silent provider refused with a reason.
 */
import { ErrorCode, ManualClock } from '@tickwire/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IdentityError, type AuthFailure } from './auth-error.js';
import { JwtVerifier } from './jwt-auth.js';
import { AUDIENCE, ISSUER, NOW_MS, claimsFor, signWith, startJwksServer, testKey, unreachableUrl, type JwksServer, type TestKey } from './jwt.test-support.js';

let k1: TestKey;
let k2: TestKey;
const servers: JwksServer[] = [];
beforeAll(async () => {
  k1 = await testKey('k1', 'ES256');
  k2 = await testKey('k2', 'ES256');
});
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function serve(keys: TestKey[]): Promise<JwksServer> {
  const s = await startJwksServer(keys.map((k) => k.publicJwk));
  servers.push(s);
  return s;
}

function verifierFor(url: URL, clock: ManualClock, jwks = {}): JwtVerifier {
  return new JwtVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, jwks }, { clock });
}

/** A JWKS server publishing k1, a manual clock, and a verifier on both. */
async function fixture(jwksOptions = {}) {
  const jwks = await serve([k1]);
  const clock = new ManualClock();
  return { jwks, clock, v: verifierFor(jwks.url, clock, jwksOptions) };
}

async function reasonOf(p: Promise<unknown>): Promise<AuthFailure | string> {
  return p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof IdentityError ? e.reason : `not an IdentityError: ${String(e)}`),
  );
}

describe('JWKS keys', () => {
  it('fetches once and reuses the keys until they are maxAgeMs old', async () => {
    const { jwks, clock, v } = await fixture();
    const token = await signWith(k1, claimsFor('alice'));
    for (let i = 0; i < 5; i++) expect((await v.verify(token)).userId).toBe('alice');
    expect(jwks.requests).toBe(1);
    clock.advance(599_999);
    await v.verify(token);
    expect(jwks.requests).toBe(1);
    clock.advance(1);
    await v.verify(token);
    expect(jwks.requests).toBe(2);
  });

  it('picks up a rotated key once the cooldown has passed, and drops the retired one', async () => {
    const { jwks, clock, v } = await fixture();
    const old = await signWith(k1, claimsFor('alice'));
    const rotated = await signWith(k2, claimsFor('bob'));
    expect((await v.verify(old)).userId).toBe('alice');

    // The provider publishes k2 and retires k1.
    jwks.keys = [k2.publicJwk];
    // Within the cooldown an unknown key id does not fetch: made-up key ids cannot hammer the provider.
    expect(await reasonOf(v.verify(rotated))).toBe('unknown key');
    expect(jwks.requests).toBe(1);

    clock.advance(30_000);
    expect((await v.verify(rotated)).userId).toBe('bob');
    expect(jwks.requests).toBe(2);
    // k1 is gone from the set we hold; asking again within the cooldown fetches nothing.
    expect(await reasonOf(v.verify(old))).toBe('unknown key');
    expect(jwks.requests).toBe(2);
    // Many tokens with unknown key ids at once: still at most one fetch per cooldown.
    clock.advance(30_000);
    const strangers = await Promise.all([1, 2, 3, 4].map(async (i) => signWith(await testKey(`x${i}`, 'ES256'), claimsFor('eve'))));
    expect(await Promise.all(strangers.map((t) => reasonOf(v.verify(t))))).toEqual(['unknown key', 'unknown key', 'unknown key', 'unknown key']);
    expect(jwks.requests).toBe(3);
  });

  it('keeps using the keys it holds while the provider is down', async () => {
    const { jwks, clock, v } = await fixture();
    const token = await signWith(k1, claimsFor('alice'));
    await v.verify(token);
    jwks.behaviour = 'fail';
    clock.advance(600_000);
    expect((await v.verify(token)).userId).toBe('alice');
    expect(jwks.requests).toBe(2);
    // The failed attempt starts a cooldown: no fetch on every join during an outage.
    await v.verify(token);
    expect(jwks.requests).toBe(2);
    jwks.behaviour = 'serve';
    clock.advance(30_000);
    await v.verify(token);
    expect(jwks.requests).toBe(3);
  });

  it('refuses with keys unavailable (INTERNAL, so clients retry) when the JWKS URL is unreachable', async () => {
    const clock = new ManualClock();
    const v = verifierFor(await unreachableUrl(), clock);
    const token = await signWith(k1, claimsFor('alice'));
    const err = await v.verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).reason).toBe('keys unavailable');
    expect((err as IdentityError).code).toBe(ErrorCode.INTERNAL);
    expect((err as IdentityError).status).toBe(503);
    // Within the cooldown a second join is refused at once, without another attempt.
    expect(await reasonOf(v.verify(token))).toBe('keys unavailable');
    expect(v.jwks!.fetches).toBe(1);
  });

  it('gives up on a provider that does not answer after timeoutMs', async () => {
    const { jwks, clock, v } = await fixture({ timeoutMs: 2_000 });
    jwks.behaviour = 'hang';
    const pending = reasonOf(v.verify(await signWith(k1, claimsFor('alice'))));
    while (jwks.requests === 0) await new Promise((r) => setTimeout(r, 5));
    clock.advance(1_999);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await pending).toBe('keys unavailable');
  });

  it('refuses a provider answering garbage, or more than maxBytes', async () => {
    const { jwks, clock } = await fixture();
    jwks.behaviour = 'garbage';
    const token = await signWith(k1, claimsFor('alice'));
    expect(await reasonOf(verifierFor(jwks.url, clock).verify(token))).toBe('keys unavailable');
    jwks.behaviour = 'serve';
    expect(await reasonOf(verifierFor(jwks.url, clock, { maxBytes: 64 }).verify(token))).toBe('keys unavailable');
    expect(await reasonOf(verifierFor(jwks.url, clock).verify(token))).toBe('accepted');
  });
});
