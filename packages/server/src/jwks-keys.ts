/**
 * An identity provider's public keys, fetched from its JWKS URL, cached, and refreshed on the
 * runtime's clock. jose picks the key for a token (by `kid`, `alg`, `use`); this module owns
 * when to fetch, because that is a policy with a clock in it: tests step it instead of waiting.
 *
 * - The set is fetched on first use and again once it is `maxAgeMs` old.
 * - A token naming a key the set does not have (the provider rotated its keys) fetches again,
 *   at most once per `cooldownMs`, so a flood of made-up key ids cannot make us hammer the
 *   provider: the cooldown counts from the last attempt, failed or not.
 * - When a refresh fails, the keys we have go on being used (a provider outage does not lock
 *   everyone out); with no keys at all the token is refused with 'keys unavailable'.
 */
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JWSHeaderParameters, type CryptoKey } from 'jose';
import type { Clock } from '@tickwire/protocol';
import type { Logger } from 'pino';
import { IdentityError } from './auth-error.js';

export interface JwksOptions {
  /** Refetch the set once it is this old (default 600 000 ms: 10 minutes). */
  maxAgeMs?: number;
  /** At most one fetch per this long for keys the set does not have, or after a failure (default 30 000 ms). */
  cooldownMs?: number;
  /** Give up on a fetch after this long (default 5 000 ms). */
  timeoutMs?: number;
  /** The largest key set accepted, in bytes (default 256 KiB). */
  maxBytes?: number;
}

interface KeySet {
  select: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

export class JwksKeys {
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private current: KeySet | undefined;
  private loading: Promise<KeySet> | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** Fetches started (successful or not), for tests and logs. */
  fetches = 0;

  constructor(
    readonly url: URL,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: JwksOptions = {},
    private readonly doFetch: typeof fetch = globalThis.fetch,
  ) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError(`the JWKS URL must be http(s)://, got ${url.protocol}`);
    this.maxAgeMs = positive('jwks.maxAgeMs', options.maxAgeMs ?? 600_000);
    this.cooldownMs = positive('jwks.cooldownMs', options.cooldownMs ?? 30_000, true);
    this.timeoutMs = positive('jwks.timeoutMs', options.timeoutMs ?? 5_000);
    this.maxBytes = positive('jwks.maxBytes', options.maxBytes ?? 256 * 1024);
  }

  /**
   * The key resolver jose's `jwtVerify` calls with the token's header. Rejects with jose's
   * JWKSNoMatchingKey for a key the provider does not publish, or IdentityError('keys unavailable').
   */
  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    let set = this.current;
    if (!set || this.clock.now() - set.fetchedAt >= this.maxAgeMs) set = await this.refresh();
    try {
      return await set.select(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !this.mayFetch()) throw err;
      set = await this.refresh();
      return set.select(header, token);
    }
  };

  private mayFetch(): boolean {
    return this.clock.now() - this.lastAttemptAt >= this.cooldownMs;
  }

  /** The newest set we can have now: fetched if allowed, else the one we hold. */
  private refresh(): Promise<KeySet> {
    const held = this.current;
    if (!this.loading && !this.mayFetch()) {
      if (held) return Promise.resolve(held);
      return Promise.reject(new IdentityError('keys unavailable'));
    }
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading.catch((err: unknown) => {
      this.logger.warn({ err, jwks: this.url.href, keptOldKeys: held !== undefined }, 'could not fetch the JWKS');
      if (held) return held;
      throw new IdentityError('keys unavailable');
    });
  }

  private async load(): Promise<KeySet> {
    this.lastAttemptAt = this.clock.now();
    this.fetches++;
    const abort = new AbortController();
    const timer = this.clock.setTimeout(() => abort.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      // Redirects are not followed: the URL the operator configured is the one trusted.
      const res = await this.doFetch(this.url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: abort.signal });
      if (res.status !== 200) throw new Error(`the JWKS URL answered ${res.status}`);
      const declared = Number(res.headers.get('content-length') ?? 0);
      if (declared > this.maxBytes) throw new Error(`the key set is ${declared} bytes, more than ${this.maxBytes}`);
      const text = await res.text();
      if (text.length > this.maxBytes) throw new Error(`the key set is more than ${this.maxBytes} bytes`);
      const select = createLocalJWKSet(JSON.parse(text));
      const set = { select, fetchedAt: this.clock.now() };
      this.current = set;
      return set;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}

function positive(name: string, v: number, zeroAllowed = false): number {
  if (!(Number.isFinite(v) && (v > 0 || (zeroAllowed && v === 0)))) throw new RangeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of ms, got ${v}`);
  return v;
}
