import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { botTokens, issueToken } from './token.js';

const SECRET = 'cli-test-secret-of-at-least-32-bytes';
const key = new TextEncoder().encode(SECRET);

async function run(argv: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, process.cwd(), env);
  return { code, out, err };
}

describe('tickwire token', () => {
  it('prints only an HS256 token with the subject, expiry and the issuer and audience of the environment', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { code, out, err } = await run(['token', '--sub', 'alice', '--ttl', '600', '--claims', '{"name":"Alice"}'], {
      TICKWIRE_JWT_SECRET: SECRET,
      TICKWIRE_JWT_ISSUER: 'local-dev',
      TICKWIRE_JWT_AUDIENCE: 'arena, other',
    });
    expect([code, err]).toEqual([0, '']);
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload, protectedHeader } = await jwtVerify(out.trim(), key, { issuer: 'local-dev', audience: 'arena' });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: 'alice', name: 'Alice', iss: 'local-dev', aud: 'arena' });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(payload.iat!).toBeGreaterThanOrEqual(before);
  });

  it('--iss and --aud override the environment; --json prints one object', async () => {
    const { code, out } = await run(['token', '--sub', 'bob', '--iss', 'a', '--aud', 'b', '--json'], { TICKWIRE_JWT_SECRET: SECRET, TICKWIRE_JWT_ISSUER: 'x' });
    expect(code).toBe(0);
    const printed = JSON.parse(out) as { token: string; sub: string; exp: number };
    expect(printed.sub).toBe('bob');
    const { payload } = await jwtVerify(printed.token, key, { issuer: 'a', audience: 'b' });
    expect(payload.exp).toBe(printed.exp);
  });

  it('is refused with the fix when called wrong (exit 2)', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['token'], { TICKWIRE_JWT_SECRET: SECRET }, /--sub is required/],
      [['token', '--sub', 'a'], {}, /TICKWIRE_JWT_SECRET is not set/],
      [['token', '--sub', 'a'], { TICKWIRE_JWT_SECRET: 'short' }, /at least 32 bytes/],
      [['token', '--sub', 'a', '--claims', '[1]'], { TICKWIRE_JWT_SECRET: SECRET }, /--claims must be a JSON object/],
      [['token', '--sub', 'a', '--claims', '{oops'], { TICKWIRE_JWT_SECRET: SECRET }, /--claims must be a JSON object/],
      [['token', '--sub', 'a', '--ttl', '0'], { TICKWIRE_JWT_SECRET: SECRET }, /--ttl must be a number >= 1/],
      [['token', '--sub', 'a', '--url', 'ws://x'], { TICKWIRE_JWT_SECRET: SECRET }, /unknown flag --url/],
    ];
    for (const [argv, env, message] of cases) {
      const { code, out, err } = await run(argv, env);
      expect([code, out]).toEqual([2, '']);
      expect(err).toMatch(message);
      expect(err).not.toContain(SECRET);
    }
    expect((await run(['token', '--help'], {})).out).toMatch(/usage: tickwire token/);
  });
});

describe('tokens for bots', () => {
  it('signs bot-<i> when TICKWIRE_JWT_SECRET is set, and nothing without it', async () => {
    expect(botTokens({})).toBeUndefined();
    const tokens = botTokens({ TICKWIRE_JWT_SECRET: SECRET, TICKWIRE_JWT_AUDIENCE: 'arena' })!;
    const { payload } = await jwtVerify(await tokens(7), key, { audience: 'arena' });
    expect(payload.sub).toBe('bot-7');
  });

  it('issueToken refuses a short secret', async () => {
    await expect(issueToken({ secret: 'short', sub: 'a' })).rejects.toThrow(/at least 32 bytes/);
  });
});
