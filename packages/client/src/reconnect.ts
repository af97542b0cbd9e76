/**
 * When the SDK reconnects by itself, and how long it waits: the policy as pure functions of
 * close codes, error codes, attempt numbers and elapsed time, and the small loop that runs the
 * attempts on the room's clock. The room (client-room.ts) only adopts what the loop joins;
 * keeping the decisions here lets them be tested without a connection.
 *
 * A connection that ends without the player asking is either a *drop* (the network, a server
 * restart, a stalled tab: come back with the resume token) or a *refusal* (kicked, replaced by
 * a newer connection of the same player, the room closed, bad credentials: coming back would be
 * refused again, or would take the membership from where the player now is).
 */
import { CloseCode, ErrorCode, TickwireError, type Clock, type TimerHandle } from '@tickwire/protocol';

/** How the SDK reconnects after a drop. Every field has a default; see {@link DEFAULT_RECONNECT}. */
export interface ReconnectOptions {
  /** Attempts before giving up (default 20). */
  attempts: number;
  /** Delay before the first attempt, in ms (default 250); each later attempt waits twice as long. */
  initialDelayMs: number;
  /** The longest delay between attempts, in ms (default 5000). */
  maxDelayMs: number;
  /**
   * Share of each delay that is random (default 0.5: a delay of d waits between d/2 and d), so
   * the clients of a restarted server do not all come back in the same millisecond.
   */
  jitter: number;
  /**
   * Give up once this long has passed since the drop, in ms (default 60 000: the server's
   * default reconnect window, after which the membership is gone).
   */
  windowMs: number;
  /** One attempt (opening the socket and joining) gives up after this long, in ms (default 5000). */
  attemptTimeoutMs: number;
  /**
   * When the server no longer holds the membership (RESUME_FAILED: the window passed, or the server
   * restarted), join the room again as a new member (default true). The `reconnected` event then
   * says `resumed: false`, and the client id and controlled entity may differ.
   */
  rejoin: boolean;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = {
  attempts: 20,
  initialDelayMs: 250,
  maxDelayMs: 5000,
  jitter: 0.5,
  windowMs: 60_000,
  attemptTimeoutMs: 5000,
  rejoin: true,
};

/**
 * The policy in force for `connect({ reconnect })`: `false` turns reconnection off (null), an
 * object overrides some defaults. Out-of-range numbers are clamped rather than refused, since a
 * policy that cannot run would only surface at the first drop.
 */
export function resolveReconnect(option: Partial<ReconnectOptions> | boolean | undefined): ReconnectOptions | null {
  if (option === false) return null;
  const o = { ...DEFAULT_RECONNECT, ...(typeof option === 'object' ? option : {}) };
  const nonNegative = (v: number, fallback: number) => (Number.isFinite(v) && v >= 0 ? v : fallback);
  return {
    attempts: Math.floor(nonNegative(o.attempts, DEFAULT_RECONNECT.attempts)),
    initialDelayMs: nonNegative(o.initialDelayMs, DEFAULT_RECONNECT.initialDelayMs),
    maxDelayMs: nonNegative(o.maxDelayMs, DEFAULT_RECONNECT.maxDelayMs),
    jitter: Math.min(1, nonNegative(o.jitter, DEFAULT_RECONNECT.jitter)),
    windowMs: nonNegative(o.windowMs, DEFAULT_RECONNECT.windowMs),
    attemptTimeoutMs: Math.max(1, nonNegative(o.attemptTimeoutMs, DEFAULT_RECONNECT.attemptTimeoutMs)),
    rejoin: o.rejoin !== false,
  };
}

/** The delay before attempt `attempt` (1-based): exponential, capped, with its random share taken off. */
export function backoffDelay(attempt: number, o: ReconnectOptions, random: () => number): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - o.jitter * random()));
}

/**
 * The delay before attempt `attempt`, or null to give up: too many attempts already, or the
 * attempt would start after the window since the drop (`elapsedMs` ago) has closed.
 */
export function planAttempt(attempt: number, elapsedMs: number, o: ReconnectOptions, random: () => number): number | null {
  if (attempt > o.attempts) return null;
  const delay = backoffDelay(attempt, o, random);
  return elapsedMs + delay > o.windowMs ? null : delay;
}

// Close codes after which coming back is pointless or wrong. 1000 from the server is a
// deliberate close; 1002/1003/1007/1008/1009/1010 say our frames were refused.
const REFUSAL_CLOSES = new Set<number>([1000, 1002, 1003, 1007, 1008, 1009, 1010]);

// Fatal errors that end a connection without refusing the player: a server going away that may
// come back, a link or a tab that stalled.
const DROP_ERRORS = new Set<number>([ErrorCode.SHUTTING_DOWN, ErrorCode.TOO_SLOW, ErrorCode.JOIN_TIMEOUT]);

/**
 * Whether a connection that closed with `code` (after a fatal ERROR `fatalError`, if one came)
 * was dropped, so the client should reconnect. The fatal ERROR says it best when there is one
 * (a server may abort a socket, which arrives as 1006, right after saying REPLACED). Otherwise
 * the 4xxx range is the server's own refusals (flood, auth, replaced, room closed, a game's
 * kick) except TOO_SLOW and JOIN_TIMEOUT, which say the link or the tab stalled.
 *
 * @example
 * isDrop(1006);                                  // true: the network
 * isDrop(CloseCode.REPLACED);                    // false: another tab took the membership
 * isDrop(1006, ErrorCode.REPLACED);              // false: told first, then cut
 */
export function isDrop(code: number, fatalError?: number): boolean {
  if (fatalError !== undefined) return DROP_ERRORS.has(fatalError);
  if (code === CloseCode.TOO_SLOW || code === CloseCode.JOIN_TIMEOUT) return true;
  if (code >= 4000 && code <= 4999) return false;
  return !REFUSAL_CLOSES.has(code);
}

// Join refusals that may pass if the client waits: the server is busy, restarting or
// rate-limiting, or the room is moving to another process of a cluster (ROOM_ELSEWHERE: after a
// failover the gateway names its new process once it is open there). Everything else with a
// code is an answer that waiting does not change.
const TRANSIENT_ERRORS = new Set<number>([
  ErrorCode.TIMEOUT,
  ErrorCode.DISCONNECTED,
  ErrorCode.SHUTTING_DOWN,
  ErrorCode.JOIN_TIMEOUT,
  ErrorCode.INTERNAL,
  ErrorCode.ROOM_ELSEWHERE,
]);

/**
 * Whether a failed reconnect attempt is worth another: a socket that would not open, a join
 * that timed out or a server shutting down are; AUTH_FAILED, ROOM_FULL, JOIN_REFUSED are not.
 * Limits (3xxx) are, after the backoff, except the ones that close a misbehaving client.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof TickwireError)) return true;
  if (TRANSIENT_ERRORS.has(err.code)) return true;
  return err.code >= 3000 && err.code < 4000 && err.code !== ErrorCode.FLOOD && err.code !== ErrorCode.TOO_MANY_ERRORS;
}

/** Why the room is reconnecting, and when it tries next. */
export interface ReconnectingInfo {
  /** The attempt about to be made (1, 2, ...). */
  attempt: number;
  /** How long until it is made, in ms. */
  delayMs: number;
  /** The close code and reason of the drop that started this. */
  code: number;
  reason: string;
  /** Why the previous attempt failed (undefined before the first). */
  error?: Error | undefined;
}

/** Opens a connection and joins again, with the resume token (the same membership) or without (a new one). */
export type Redial<J> = (resumeToken: Uint8Array | undefined, timeoutMs: number) => Promise<J>;

export interface ReconnectorHooks<J> {
  /** The resume token of the membership to get back (it changes only with a new membership). */
  resumeToken(): Uint8Array;
  /** An attempt is scheduled. */
  scheduled(info: ReconnectingInfo): void;
  /** An attempt joined: `resumed` is false when it is a new membership (the old one was gone). */
  joined(joined: J, resumed: boolean, attempts: number): void;
  /** No more attempts: the window closed, or the server refused in a way waiting will not change. */
  failed(code: number, reason: string, error: TickwireError | undefined): void;
}

/**
 * Runs the attempts after one drop: waits the backoff, redials with the resume token, falls back
 * to a new membership when the server no longer has the old one (if the policy allows), and stops at
 * the first success, a refusal, or the end of the window. Time comes from the room's clock.
 */
export class Reconnector<J extends { transport: { close(code: number, reason: string): void } }> {
  private timer: TimerHandle | null = null;
  private attempt = 0;
  private droppedAt = 0;
  private drop = { code: 0, reason: '' };
  private memberLost = false;
  private active = false;

  constructor(
    private readonly policy: ReconnectOptions,
    private readonly redial: Redial<J>,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly hooks: ReconnectorHooks<J>,
  ) {}

  get running(): boolean {
    return this.active;
  }

  /** Starts reconnecting after a drop with this close code and reason. */
  start(code: number, reason: string): void {
    this.cancel();
    this.active = true;
    this.attempt = 0;
    this.memberLost = false;
    this.droppedAt = this.clock.now();
    this.drop = { code, reason };
    this.schedule(undefined);
  }

  /** Stops: no further attempt; one in flight is closed when it joins. */
  cancel(): void {
    this.active = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(error: Error | undefined): void {
    const attempt = ++this.attempt;
    const delayMs = planAttempt(attempt, this.clock.now() - this.droppedAt, this.policy, this.random);
    if (delayMs === null) {
      this.active = false;
      const why = error ? `: ${error.message}` : '';
      this.hooks.failed(this.drop.code, `could not reconnect after ${attempt - 1} attempt(s)${why}`, error instanceof TickwireError ? error : undefined);
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.try();
    }, delayMs);
    this.hooks.scheduled({ attempt, delayMs, code: this.drop.code, reason: this.drop.reason, error });
  }

  private try(): void {
    const token = this.memberLost ? undefined : this.hooks.resumeToken();
    const attempt = this.attempt;
    this.redial(token, this.policy.attemptTimeoutMs).then(
      (joined) => {
        if (!this.active || attempt !== this.attempt) {
          joined.transport.close(1000, 'reconnect cancelled');
          return;
        }
        this.active = false;
        this.hooks.joined(joined, token !== undefined, attempt);
      },
      (err: unknown) => {
        if (!this.active || attempt !== this.attempt) return;
        if (token && this.policy.rejoin && err instanceof TickwireError && err.code === ErrorCode.RESUME_FAILED) {
          // The membership is gone (window passed, server restarted): join as a new member, at once.
          this.memberLost = true;
          this.try();
          return;
        }
        const error = err instanceof Error ? err : new Error(String(err));
        if (isTransient(err)) {
          this.schedule(error);
          return;
        }
        this.active = false;
        const e = err as TickwireError;
        this.hooks.failed(refusalClose(e.code), `could not reconnect: ${e.message}`, e);
      },
    );
  }
}

/** The close code the server pairs with a join refusal (docs/protocol.md, close codes). */
function refusalClose(code: number): number {
  switch (code) {
    case ErrorCode.ROOM_FULL:
      return CloseCode.ROOM_FULL;
    case ErrorCode.AUTH_FAILED:
      return CloseCode.AUTH_FAILED;
    case ErrorCode.SCHEMA_MISMATCH:
      return CloseCode.SCHEMA_MISMATCH;
    case ErrorCode.ROOM_CLOSED:
      return CloseCode.ROOM_CLOSED;
    case ErrorCode.UNSUPPORTED_VERSION:
      return CloseCode.UNSUPPORTED_VERSION;
    default:
      return CloseCode.JOIN_REFUSED;
  }
}
