/**
 * Who a client is: the one place that decides how a token becomes an identity, for the game
 * WebSocket (HELLO's token) and for HTTP (the `Authorization: Bearer` header) alike.
 *
 * Three modes, picked when the runtime is created:
 * - **custom**: the `authenticate` hook (your own scheme);
 * - **jwt**: `auth.jwt`, or else the TICKWIRE_JWT_SECRET / TICKWIRE_JWKS_URL environment
 *   variables (with TICKWIRE_JWT_ISSUER and TICKWIRE_JWT_AUDIENCE);
 * - **anonymous** when none is configured: identities the server issues and signs, for local
 *   development. With NODE_ENV=production it refuses to start unless allowed on purpose
 *   (`auth.allowAnonymous`, or TICKWIRE_ALLOW_ANONYMOUS=1): a forgotten setting must not put a
 *   game online where anyone is whoever they say.
 */
import type { Clock, HelloBody } from '@tickwire/protocol';
import type { Logger } from 'pino';
import { AnonymousIdentities } from './anonymous.js';
import { IdentityError } from './auth-error.js';
import { JwtVerifier, type JwtOptions } from './jwt-auth.js';
import type { Identity } from './room-client.js';

/** The runtime's `auth` option. */
export interface AuthOptions {
  /** Validate JWTs (see {@link JwtOptions}). Takes precedence over the TICKWIRE_JWT_* variables. */
  jwt?: JwtOptions;
  /**
   * Allow anonymous mode (no auth configured) with NODE_ENV=production, for casual games that
   * want guests on purpose. Same as TICKWIRE_ALLOW_ANONYMOUS=1.
   */
  allowAnonymous?: boolean;
}

/** The environment variables the runtime reads. */
export type Env = Readonly<Record<string, string | undefined>>;

export type IdentityMode = 'custom' | 'jwt' | 'anonymous';

export interface IdentitySetup {
  mode: IdentityMode;
  /** HELLO -> identity (the WebSocket path). */
  hello: (hello: HelloBody) => Promise<Identity> | Identity;
  /** A bearer token -> identity (the HTTP path): no guests, a token is always required. */
  token: (token: string) => Promise<Identity>;
  /** Anonymous mode's identities, or null. */
  anonymous: AnonymousIdentities | null;
  /** The JWT verifier, in jwt mode. */
  jwt: JwtVerifier | null;
}

interface SetupInput {
  auth?: AuthOptions | undefined;
  authenticate?: ((hello: HelloBody) => Promise<Identity> | Identity) | undefined;
  /** The server's secret: signs anonymous identities. */
  secret: string | Uint8Array;
  env: Env;
  clock: Clock;
  logger: Logger;
}

/** Picks the identity mode from the options and the environment; throws when it may not start. */
export function setupIdentity(input: SetupInput): IdentitySetup {
  const { auth, authenticate, env } = input;
  if (authenticate && auth?.jwt) throw new RangeError('give createServer one of authenticate (your own scheme) and auth.jwt, not both');
  if (authenticate) {
    const hook = authenticate;
    return {
      mode: 'custom',
      hello: hook,
      // Over HTTP the hook sees a HELLO with only the token: there is no room or name there.
      token: async (token) => hook({ token, room: '', name: '', create: false, protocolHash: 0, options: new Uint8Array(0), resumeToken: undefined }),
      anonymous: null,
      jwt: null,
    };
  }
  const jwtOptions = auth?.jwt ?? jwtFromEnv(env);
  if (jwtOptions) {
    const jwt = new JwtVerifier(jwtOptions, { clock: input.clock, logger: input.logger });
    if (jwt.jwks && (jwtOptions.issuer === undefined || jwtOptions.audience === undefined)) {
      input.logger.warn('JWTs from a JWKS URL are checked without an issuer or an audience: any token that provider signs, for any application, is accepted. Set TICKWIRE_JWT_ISSUER and TICKWIRE_JWT_AUDIENCE.');
    }
    return { mode: 'jwt', hello: (hello) => jwt.verify(hello.token), token: (token) => jwt.verify(token), anonymous: null, jwt };
  }
  if (env.NODE_ENV === 'production' && !(auth?.allowAnonymous || flag(env, 'TICKWIRE_ALLOW_ANONYMOUS'))) {
    throw new Error(
      'NODE_ENV is production and no identity is configured, so anyone could join as a guest: ' +
        'set TICKWIRE_JWT_SECRET or TICKWIRE_JWKS_URL (or pass auth.jwt, or authenticate), ' +
        'or allow anonymous players on purpose with TICKWIRE_ALLOW_ANONYMOUS=1 (auth.allowAnonymous)',
    );
  }
  const anonymous = new AnonymousIdentities(input.secret);
  return {
    mode: 'anonymous',
    hello: (hello) => anonymous.authenticate(hello.token),
    token: async (token) => {
      const identity = anonymous.verify(token);
      if (!identity) throw new IdentityError('not issued here');
      return identity;
    },
    anonymous,
    jwt: null,
  };
}

/** JWT options from TICKWIRE_JWT_SECRET or TICKWIRE_JWKS_URL (+ ISSUER, AUDIENCE), or undefined. */
export function jwtFromEnv(env: Env): JwtOptions | undefined {
  const secret = env.TICKWIRE_JWT_SECRET || undefined;
  const jwksUrl = env.TICKWIRE_JWKS_URL || undefined;
  const issuer = list(env.TICKWIRE_JWT_ISSUER);
  const audience = list(env.TICKWIRE_JWT_AUDIENCE);
  if (secret && jwksUrl) throw new RangeError('TICKWIRE_JWT_SECRET and TICKWIRE_JWKS_URL are both set: keep the one your identity provider signs with');
  const claims = { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
  if (secret) return { secret, ...claims };
  if (jwksUrl) return { jwksUrl, ...claims };
  if (issuer || audience) throw new RangeError('TICKWIRE_JWT_ISSUER or TICKWIRE_JWT_AUDIENCE is set without TICKWIRE_JWT_SECRET or TICKWIRE_JWKS_URL: set the key too');
  return undefined;
}

/** A comma-separated list, trimmed; undefined when empty. */
function list(raw: string | undefined): string | string[] | undefined {
  const items = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length === 0 ? undefined : items.length === 1 ? items[0] : items;
}

function flag(env: Env, name: string): boolean {
  const v = (env[name] ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new RangeError(`${name} must be 1 or 0, got "${v.slice(0, 20)}"`);
}

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

/**
 * The token of a request's `Authorization: Bearer <token>` header. Rejects with IdentityError:
 * 'missing token' without the header, 'malformed' for another scheme, 'too long' past `maxBytes`.
 */
export function bearerToken(request: Request, maxBytes: number): string {
  const header = request.headers.get('authorization');
  if (header === null || header.trim() === '') throw new IdentityError('missing token');
  // Checked before the pattern runs, so an enormous header costs nothing to refuse.
  if (header.length > maxBytes + 16) throw new IdentityError('too long');
  const m = BEARER.exec(header);
  if (!m) throw new IdentityError('malformed');
  return m[1]!;
}
