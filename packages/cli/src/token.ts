/**
 * `tickwire token`: a signed JWT for local testing, with the secret a server started with
 * TICKWIRE_JWT_SECRET checks. It reads the same environment variables as the server
 * (TICKWIRE_JWT_SECRET, TICKWIRE_JWT_ISSUER, TICKWIRE_JWT_AUDIENCE), so a token made in the
 * shell that started the server is one that server accepts. Production tokens come from your
 * identity provider, not from here.
 *
 *   TOKEN=$(npx tickwire token --sub alice)
 */
import { SignJWT } from 'jose';
import { UsageError, describeFlags, numberFlag, parseArgs, type FlagSpec } from './args.js';
import type { Output } from './main.js';

export const TOKEN_FLAGS: readonly FlagSpec[] = [
  { name: 'sub', value: 'ID', help: 'the user id (the subject); required' },
  { name: 'ttl', value: 'S', help: 'seconds until the token expires (default 3600)' },
  { name: 'iss', value: 'ISSUER', help: 'the issuer (default TICKWIRE_JWT_ISSUER, else none)' },
  { name: 'aud', value: 'AUDIENCE', help: 'the audience (default TICKWIRE_JWT_AUDIENCE, else none)' },
  { name: 'claims', value: 'JSON', help: 'more claims, as a JSON object (e.g. \'{"name":"Alice"}\')' },
  { name: 'json', help: 'print { token, sub, exp } as one JSON object instead of the bare token' },
  { name: 'help', help: 'print this help' },
];

export const TOKEN_HELP = `usage: tickwire token --sub ID [options]

Prints an HS256 JWT signed with TICKWIRE_JWT_SECRET (at least 32 bytes), for a server started
with the same variable. For local testing: in production your identity provider issues tokens.

${describeFlags(TOKEN_FLAGS)}
`;

export interface TokenOptions {
  /** The shared secret, at least 32 bytes (a string is used as its UTF-8 bytes). */
  secret: string | Uint8Array;
  /** The user id. */
  sub: string;
  /** Seconds until it expires (default 3600). */
  ttlSec?: number;
  issuer?: string;
  audience?: string;
  /** More claims; the registered ones above win. */
  claims?: Record<string, unknown>;
  /** Wall-clock time in ms since the epoch (default Date.now()). */
  now?: number;
}

/**
 * Signs an HS256 JWT: the token format `createServer({ auth: { jwt: { secret } } })` checks.
 *
 * @example
 * const token = await issueToken({ secret: process.env.TICKWIRE_JWT_SECRET!, sub: 'alice', ttlSec: 600 });
 */
export async function issueToken(options: TokenOptions): Promise<string> {
  const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (key.length < 32) throw new UsageError(`the secret must be at least 32 bytes long, got ${key.length}: make one with openssl rand -base64 32`);
  const nowSec = Math.floor((options.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + (options.ttlSec ?? 3600));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(key);
}

/** Runs `tickwire token` (argv without the command word); resolves with the exit code. */
export async function tokenCommand(argv: readonly string[], out: Output, err: Output, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  try {
    const args = parseArgs(argv, TOKEN_FLAGS);
    if (args.switches.has('help')) {
      out.write(TOKEN_HELP);
      return 0;
    }
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}": flags start with --`);
    const sub = args.values.get('sub');
    if (!sub) throw new UsageError('--sub is required: the user id the token stands for');
    const secret = env.TICKWIRE_JWT_SECRET;
    if (!secret) throw new UsageError('TICKWIRE_JWT_SECRET is not set: export the secret the server was started with (openssl rand -base64 32 makes one)');
    let claims: Record<string, unknown> | undefined;
    const raw = args.values.get('claims');
    if (raw !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new UsageError('--claims must be a JSON object, e.g. \'{"name":"Alice"}\'');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--claims must be a JSON object');
      claims = parsed as Record<string, unknown>;
    }
    const ttlSec = Math.floor(numberFlag(args, 'ttl', 3600, 1));
    const now = Date.now();
    const token = await issueToken({
      secret,
      sub,
      ttlSec,
      issuer: args.values.get('iss') ?? first(env.TICKWIRE_JWT_ISSUER),
      audience: args.values.get('aud') ?? first(env.TICKWIRE_JWT_AUDIENCE),
      claims,
      now,
    });
    out.write(args.switches.has('json') ? `${JSON.stringify({ token, sub, exp: Math.floor(now / 1000) + ttlSec })}\n` : `${token}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`${e.message}\n\n${TOKEN_HELP}`);
    return 2;
  }
}

/**
 * Tokens for `tickwire bots` against a server that validates JWTs: bot i is user `bot-<i>`,
 * signed with TICKWIRE_JWT_SECRET (and the issuer and audience variables). Undefined without
 * the secret: the bots join as guests.
 */
export function botTokens(env: Readonly<Record<string, string | undefined>>): ((index: number) => Promise<string>) | undefined {
  const secret = env.TICKWIRE_JWT_SECRET;
  if (!secret) return undefined;
  const issuer = first(env.TICKWIRE_JWT_ISSUER);
  const audience = first(env.TICKWIRE_JWT_AUDIENCE);
  return (i) => issueToken({ secret, sub: `bot-${i}`, ttlSec: 24 * 3600, issuer, audience });
}

/** The first of a comma-separated list (the server accepts any of them), or undefined. */
function first(list: string | undefined): string | undefined {
  return list?.split(',').map((s) => s.trim()).find((s) => s !== '');
}
