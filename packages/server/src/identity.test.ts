/**
 * How the runtime picks its identity mode (options, then environment, then anonymous), the
 * production guard, and the HTTP side: `authenticateRequest` and `GET /api/identity` answering
 * 401 with a reason, through the runtime's Web-standard fetch.
 */
import { ErrorCode, TickwireError } from '@tickwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { gameRoom, silent } from './harness.test-support.js';
import { NOW_MS, NOW_SEC, SECRET, claimsFor, secretKey, sign } from './jwt.test-support.js';
import { TickwireRuntime, type RuntimeOptions } from './runtime.js';

const runtimes: TickwireRuntime[] = [];
afterEach(async () => {
  while (runtimes.length) await runtimes.pop()!.shutdown();
});

function runtime(options: Partial<RuntimeOptions> = {}): TickwireRuntime {
  const r = new TickwireRuntime({ rooms: gameRoom(), logger: silent, processMetrics: false, env: {}, ...options });
  runtimes.push(r);
  return r;
}

function get(r: TickwireRuntime, path: string, authorization?: string): Promise<Response> {
  return r.fetch(new Request(`http://game${path}`, { headers: authorization === undefined ? {} : { authorization } }));
}

async function body(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('identity mode', () => {
  it('is anonymous with nothing configured, jwt with TICKWIRE_JWT_SECRET, custom with a hook', () => {
    expect(runtime().identityMode).toBe('anonymous');
    const jwt = runtime({ env: { TICKWIRE_JWT_SECRET: SECRET, TICKWIRE_JWT_ISSUER: 'me' } });
    expect(jwt.identityMode).toBe('jwt');
    expect(jwt.anonymous).toBeNull();
    expect(runtime({ auth: { jwt: { secret: SECRET } } }).identityMode).toBe('jwt');
    // A hook is your own scheme: the JWT variables are not read.
    expect(runtime({ authenticate: () => ({ userId: 'u' }), env: { TICKWIRE_JWT_SECRET: SECRET } }).identityMode).toBe('custom');
  });

  it('refuses configurations that cannot mean what they say', () => {
    expect(() => runtime({ authenticate: () => ({ userId: 'u' }), auth: { jwt: { secret: SECRET } } })).toThrow(/not both/);
    expect(() => runtime({ env: { TICKWIRE_JWT_SECRET: SECRET, TICKWIRE_JWKS_URL: 'https://idp.test/jwks' } })).toThrow(/both set/);
    expect(() => runtime({ env: { TICKWIRE_JWT_AUDIENCE: 'game' } })).toThrow(/without TICKWIRE_JWT_SECRET or TICKWIRE_JWKS_URL/);
    expect(() => runtime({ env: { TICKWIRE_JWT_SECRET: 'too short' } })).toThrow(/at least 32 bytes/);
  });

  it('with NODE_ENV=production and no auth, refuses to start unless anonymous players are allowed on purpose', () => {
    expect(() => runtime({ env: { NODE_ENV: 'production' } })).toThrow(/TICKWIRE_ALLOW_ANONYMOUS=1/);
    expect(() => runtime({ env: { NODE_ENV: 'production', TICKWIRE_ALLOW_ANONYMOUS: '0' } })).toThrow(/TICKWIRE_ALLOW_ANONYMOUS=1/);
    expect(() => runtime({ env: { NODE_ENV: 'production', TICKWIRE_ALLOW_ANONYMOUS: 'yes' } })).toThrow(/must be 1 or 0/);
    expect(runtime({ env: { NODE_ENV: 'production', TICKWIRE_ALLOW_ANONYMOUS: '1' } }).identityMode).toBe('anonymous');
    expect(runtime({ env: { NODE_ENV: 'production' }, auth: { allowAnonymous: true } }).identityMode).toBe('anonymous');
    expect(runtime({ env: { NODE_ENV: 'production', TICKWIRE_JWT_SECRET: SECRET } }).identityMode).toBe('jwt');
    expect(runtime({ env: { NODE_ENV: 'production' }, authenticate: () => ({ userId: 'u' }) }).identityMode).toBe('custom');
  });
});

describe('HTTP: Authorization: Bearer', () => {
  it('accepts a valid JWT and refuses the rest with 401 and a reason, never echoing the token', async () => {
    const r = runtime({ auth: { jwt: { secret: SECRET, now: () => NOW_MS } } });
    const good = await sign(secretKey, claimsFor('alice'));
    const ok = await get(r, '/api/identity', `Bearer ${good}`);
    expect([ok.status, await body(ok)]).toEqual([200, { userId: 'alice' }]);
    expect((await r.authenticateRequest(new Request('http://game/', { headers: { authorization: `bearer  ${good}` } }))).userId).toBe('alice');

    const expired = await sign(secretKey, claimsFor('alice', { exp: NOW_SEC - 3600, iss: undefined, aud: undefined }));
    const cases: [string | undefined, string][] = [
      [undefined, 'missing token'],
      ['', 'missing token'],
      [`Bearer ${expired}`, 'expired'],
      [`Basic ${Buffer.from('alice:pw').toString('base64')}`, 'malformed'],
      ['Bearer', 'malformed'],
      [`Bearer ${good} extra`, 'malformed'],
      [`Bearer ${'x'.repeat(10_000)}`, 'too long'],
    ];
    for (const [authorization, reason] of cases) {
      const res = await get(r, '/api/identity', authorization);
      const text = await res.text();
      expect(res.status, reason).toBe(401);
      expect(JSON.parse(text)).toMatchObject({ error: 'AUTH_FAILED', reason });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(text).not.toContain(expired);
      expect(text).not.toContain(SECRET);
    }
    // No anonymous identities where JWTs are required.
    expect((await r.fetch(new Request('http://game/api/anonymous', { method: 'POST' }))).status).toBe(404);
  });

  it('in anonymous mode takes the tokens POST /api/anonymous issued, and only those', async () => {
    const r = runtime();
    const issued = await body(await r.fetch(new Request('http://game/api/anonymous', { method: 'POST' })));
    const res = await get(r, '/api/identity', `Bearer ${String(issued.token)}`);
    expect(await body(res)).toEqual({ userId: issued.userId });
    // Naming someone's id is not being them: the MAC is the server's.
    const forged = `anon.${String(issued.userId).slice(5)}.${'A'.repeat(22)}`;
    const refused = await get(r, '/api/identity', `Bearer ${forged}`);
    expect([refused.status, (await body(refused)).reason]).toEqual([401, 'not issued here']);
    // Over HTTP there are no guests: a state change needs a token that names someone.
    expect((await get(r, '/api/identity')).status).toBe(401);
  });

  it('in custom mode asks the hook with the token, and its AUTH_FAILED is a 401', async () => {
    const r = runtime({
      authenticate: ({ token }) => {
        if (token !== 'open-sesame') throw new TickwireError(ErrorCode.AUTH_FAILED, 'wrong password');
        return { userId: 'ali' };
      },
    });
    expect(await body(await get(r, '/api/identity', 'Bearer open-sesame'))).toEqual({ userId: 'ali' });
    const refused = await get(r, '/api/identity', 'Bearer nope');
    expect([refused.status, await body(refused)]).toEqual([401, { error: 'AUTH_FAILED', message: 'wrong password' }]);
  });

  it('lets a route handler require a token by letting the refusal escape', async () => {
    const made: string[] = [];
    const r: TickwireRuntime = runtime({
      auth: { jwt: { secret: SECRET, now: () => NOW_MS } },
      routes: [
        {
          method: 'POST',
          path: '/api/things',
          handler: async ({ request }) => {
            const { userId } = await r.authenticateRequest(request);
            made.push(userId);
            return { ok: true };
          },
        },
      ],
    });
    const post = (authorization?: string) => r.fetch(new Request('http://game/api/things', { method: 'POST', headers: authorization ? { authorization } : {} }));
    expect((await post()).status).toBe(401);
    expect((await post('Bearer not.a.jwt')).status).toBe(401);
    expect(made).toEqual([]);
    const token = await sign(secretKey, claimsFor('bob'));
    expect((await post(`Bearer ${token}`)).status).toBe(200);
    expect(made).toEqual(['bob']);
  });
});
