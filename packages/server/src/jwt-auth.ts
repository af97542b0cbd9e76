/**
 * JWT validation with jose: a shared secret (HS256) or an identity provider's JWKS URL (RS256,
 * ES256), with the issuer, audience, expiry and clock skew checked. The subject is the user id;
 * every claim goes to `Identity.claims`.
 *
 * The algorithms a verifier accepts follow from its key: a secret accepts only HMAC, a JWKS URL
 * only public-key signatures, so a token cannot switch the server from one to the other (the
 * "alg confusion" attack), and `alg: none` is never accepted. A refusal is an IdentityError
 * whose reason is picked from a closed list: the token and the keys are never echoed.
 */
import { errors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { systemClock, type Clock } from '@tickwire/protocol';
import { pino, type Logger } from 'pino';
import { IdentityError, type AuthFailure } from './auth-error.js';
import { JwksKeys, type JwksOptions } from './jwks-keys.js';
import type { Identity } from './room-client.js';

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
export type PublicKeyAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

interface ClaimChecks {
  /** The `iss` a token must carry (one of them, for a list). Strongly advised with a JWKS URL. */
  issuer?: string | readonly string[];
  /** The `aud` a token must carry (one of them, for a list). Strongly advised with a JWKS URL. */
  audience?: string | readonly string[];
  /** Seconds of disagreement allowed between the issuer's clock and ours, for exp and nbf (default 30). */
  clockToleranceSec?: number;
  /** Refuse tokens with no `exp` (default true). */
  requireExpiry?: boolean;
  /** Refuse tokens longer than this many characters before parsing them (default 4096, the HELLO's limit). */
  maxTokenBytes?: number;
  /** Wall-clock time in ms since the epoch, what exp and nbf are compared with (default Date.now). Tests pass their own. */
  now?: () => number;
}

/** Tokens signed with a secret shared with the issuer (your own backend). */
export interface JwtSecretOptions extends ClaimChecks {
  /** The shared secret, at least 32 bytes (a string is used as its UTF-8 bytes). */
  secret: string | Uint8Array;
  jwksUrl?: never;
  /** Default ['HS256']. */
  algorithms?: readonly HmacAlgorithm[];
}

/** Tokens signed by an identity provider that publishes its public keys at a JWKS URL. */
export interface JwtJwksOptions extends ClaimChecks {
  /** The provider's JWKS URL (`https://issuer/.well-known/jwks.json`). */
  jwksUrl: string | URL;
  secret?: never;
  /** Default ['RS256', 'ES256']. */
  algorithms?: readonly PublicKeyAlgorithm[];
  /** When the key set is fetched again (see JwksOptions). */
  jwks?: JwksOptions;
}

/**
 * How the runtime validates JWTs: `{ secret }` or `{ jwksUrl }`, plus the claims to check.
 *
 * @example
 * createServer({ rooms, auth: { jwt: { jwksUrl: 'https://example.eu.auth0.com/.well-known/jwks.json', issuer: 'https://example.eu.auth0.com/', audience: 'my-game' } } });
 */
export type JwtOptions = JwtSecretOptions | JwtJwksOptions;

/** What a verifier needs from its host. */
export interface JwtDeps {
  /** The clock the key cache runs on (default the system clock). */
  clock?: Clock;
  logger?: Logger;
  /** The fetch used for the JWKS URL (default globalThis.fetch). */
  fetch?: typeof fetch;
}

const HMAC = new Set<string>(['HS256', 'HS384', 'HS512']);
const MAX_SUBJECT = 256;

/**
 * Verifies JWTs into identities.
 *
 * @example
 * const jwt = new JwtVerifier({ secret: process.env.TICKWIRE_JWT_SECRET!, issuer: 'my-backend' });
 * const identity = await jwt.verify(token); // { userId: sub, claims }, or throws IdentityError
 */
export class JwtVerifier {
  private readonly key: Uint8Array | JwksKeys['resolve'];
  /** The JWKS cache, when the keys come from a URL. */
  readonly jwks: JwksKeys | undefined;
  private readonly checks: JWTVerifyOptions;
  private readonly maxTokenBytes: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(options: JwtOptions, deps: JwtDeps = {}) {
    this.logger = deps.logger ?? pino({ level: 'silent' });
    this.now = options.now ?? Date.now;
    const tolerance = options.clockToleranceSec ?? 30;
    if (!(Number.isFinite(tolerance) && tolerance >= 0 && tolerance <= 3600)) throw new RangeError(`clockToleranceSec must be 0-3600 seconds, got ${tolerance}`);
    this.maxTokenBytes = options.maxTokenBytes ?? 4096;
    if (!(Number.isInteger(this.maxTokenBytes) && this.maxTokenBytes >= 64)) throw new RangeError(`maxTokenBytes must be an integer of at least 64, got ${this.maxTokenBytes}`);
    let algorithms: readonly string[];
    if (options.secret !== undefined && options.jwksUrl !== undefined) {
      throw new RangeError('give the JWT verifier a secret or a JWKS URL, not both');
    } else if (options.secret !== undefined) {
      const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
      if (key.length < 32) throw new RangeError(`the JWT secret must be at least 32 bytes long, got ${key.length}: use 32 random bytes (openssl rand -base64 32)`);
      this.key = key;
      algorithms = options.algorithms ?? ['HS256'];
      if (algorithms.some((a) => !HMAC.has(a))) throw new RangeError(`a JWT secret verifies HS256, HS384 or HS512 only, got ${algorithms.join(', ')}`);
    } else if (options.jwksUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(String(options.jwksUrl));
      } catch {
        throw new RangeError(`the JWKS URL is not a URL: ${String(options.jwksUrl).slice(0, 200)}`);
      }
      this.jwks = new JwksKeys(url, deps.clock ?? systemClock, this.logger, options.jwks, deps.fetch);
      this.key = this.jwks.resolve;
      algorithms = options.algorithms ?? ['RS256', 'ES256'];
      if (algorithms.some((a) => HMAC.has(a))) throw new RangeError(`keys from a JWKS URL verify public-key signatures only, got ${algorithms.join(', ')}`);
    } else {
      throw new RangeError('the JWT verifier needs a secret or a JWKS URL');
    }
    if (algorithms.length === 0) throw new RangeError('the JWT verifier needs at least one algorithm');
    this.checks = {
      algorithms: [...algorithms],
      clockTolerance: tolerance,
      requiredClaims: options.requireExpiry === false ? ['sub'] : ['sub', 'exp'],
      ...(options.issuer !== undefined ? { issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer] } : {}),
      ...(options.audience !== undefined ? { audience: typeof options.audience === 'string' ? options.audience : [...options.audience] } : {}),
    };
  }

  /** The identity a token stands for; rejects with IdentityError (AUTH_FAILED, with a reason). */
  async verify(token: string): Promise<Identity> {
    if (token === '') throw new IdentityError('missing token');
    if (token.length > this.maxTokenBytes) throw new IdentityError('too long');
    let claims: Record<string, unknown>;
    try {
      const result = await jwtVerify(token, this.key, { ...this.checks, currentDate: new Date(this.now()) });
      claims = result.payload;
    } catch (err) {
      const reason = failure(err);
      this.logger.debug({ reason, joseCode: err instanceof errors.JOSEError ? err.code : undefined }, 'JWT refused');
      throw new IdentityError(reason);
    }
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT) throw new IdentityError('invalid subject');
    return { userId: sub, claims };
  }
}

/** The reason for a verification error from jose (or the key cache). */
function failure(err: unknown): AuthFailure {
  if (err instanceof IdentityError) return err.reason;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return err.claim === 'sub' ? 'missing subject' : err.claim === 'exp' ? 'missing expiry' : err.claim === 'iss' ? 'wrong issuer' : err.claim === 'aud' ? 'wrong audience' : 'invalid claims';
    if (err.claim === 'nbf' && err.reason === 'check_failed') return 'not yet valid';
    if (err.claim === 'iss') return 'wrong issuer';
    if (err.claim === 'aud') return 'wrong audience';
    return 'invalid claims';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'algorithm not allowed';
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'unknown key';
  // JWSInvalid, JWTInvalid, and whatever a hostile token makes the parser throw.
  return 'malformed';
}
