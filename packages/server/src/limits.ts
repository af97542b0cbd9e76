/**
 * Abuse limits: every one an option with a safe default, so a hostile or broken client costs
 * the server a bounded amount of memory and CPU and never harms the other players.
 */

export interface Limits {
  /** Largest client frame in bytes: `ws` closes the connection with 1009 above it; other transports get FRAME_TOO_LARGE. */
  maxFrameBytes: number;
  /** Sustained client messages per second (token bucket rate). */
  messagesPerSecond: number;
  /** Messages a client may send in a burst above the rate (token bucket size). */
  messageBurst: number;
  /**
   * Messages over the rate tolerated before the connection is closed for flooding. The
   * tolerance refills at a tenth of the message rate.
   */
  floodTolerance: number;
  /** Malformed frames tolerated before the connection is closed. */
  maxProtocolErrors: number;
  /** Inputs applied per client per tick; the rest wait for later ticks. */
  maxInputsPerTick: number;
  /** Inputs a client may have waiting; newer ones beyond that are dropped with TOO_MANY_INPUTS. */
  maxBufferedInputs: number;
  /** Commands a client may have waiting for the next tick. */
  maxPendingCommands: number;
  /** Time to send HELLO after connecting. */
  joinTimeoutMs: number;
  /**
   * A connection that sends nothing for this long is dropped (its peer vanished without closing:
   * a half-open socket). The SDK pings every second, so 30 s is many missed pings. 0 = never.
   */
  idleTimeoutMs: number;
  /** Skip a client's snapshot while its socket has more than this many bytes queued. */
  snapshotSkipBytes: number;
  /** Close a client whose socket has more than this many bytes queued (it is not reading). */
  maxBufferedBytes: number;
  /** Events waiting for a client's next snapshot before it is closed as too slow. */
  maxPendingEvents: number;
  /** Close a client whose snapshots have all been skipped (backed-up socket) for this long. */
  maxStallMs: number;
  /** Rooms open in this process; a join that would create one more is refused (TOO_MANY_ROOMS). */
  maxRooms: number;
  /** Rooms one address may create per minute (a token bucket); a refused join creates nothing. */
  roomCreationsPerMinutePerAddress: number;
  /** Open connections from one address (IPv6: one /64); more are refused (TOO_MANY_CONNECTIONS). */
  maxConnectionsPerAddress: number;
  /**
   * Members of one address kept waiting for a reconnect, all rooms; a further drop releases its
   * membership at once. (A member that never acknowledged a snapshot is released at once anyway.)
   * The name is older than the word "member" and stays, as configuration people already use.
   */
  maxDetachedSeatsPerAddress: number;
  /** After a connection is closed for flooding, its address is refused for this long. */
  floodPenaltyMs: number;
  /**
   * Messages per second of all the connections of one address together (burst: twice that).
   * It survives reconnects, unlike the per-connection rate. Size it for your biggest load test
   * from one machine (bots send about 21 a second each).
   */
  messagesPerSecondPerAddress: number;
  /** Chat lines per second of all the connections of one address together (burst: twice that). */
  chatPerSecondPerAddress: number;
  /** Chat lines a client may send per second (token bucket rate); more are dropped with RATE_LIMITED. */
  chatPerSecond: number;
  /** Chat lines a client may send in a burst. */
  chatBurst: number;
  /** Longest chat line in characters (the wire carries at most 256 bytes). */
  maxChatChars: number;
  /** Largest HTTP request body in bytes, read whole before a route sees it; larger ones get 413. */
  maxRequestBodyBytes: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxFrameBytes: 16 * 1024,
  messagesPerSecond: 120,
  messageBurst: 240,
  floodTolerance: 120,
  maxProtocolErrors: 10,
  maxInputsPerTick: 4,
  maxBufferedInputs: 64,
  maxPendingCommands: 32,
  joinTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  snapshotSkipBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxPendingEvents: 1024,
  maxStallMs: 15_000,
  maxRooms: 1000,
  roomCreationsPerMinutePerAddress: 30,
  maxConnectionsPerAddress: 1000,
  maxDetachedSeatsPerAddress: 32,
  floodPenaltyMs: 10_000,
  messagesPerSecondPerAddress: 30_000,
  chatPerSecondPerAddress: 20,
  chatPerSecond: 2,
  chatBurst: 5,
  maxChatChars: 200,
  maxRequestBodyBytes: 64 * 1024,
});

export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  const out = { ...defaultLimits, ...partial };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`limit ${k} must be a non-negative number, got ${String(v)}`);
  }
  return out;
}

/** A token bucket on an injected clock: `rate` tokens per second, at most `burst` stored. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
