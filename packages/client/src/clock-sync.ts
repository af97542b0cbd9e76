/**
 * Round-trip time and server clock offset from PING/PONG. The offset estimate comes from the
 * sample with the smallest round trip among the recent ones (the least queued, so the least
 * skewed); RTT is smoothed for display and for the interpolation delay.
 *
 * The server clock the client runs on (`serverNow`) follows that estimate slewed, not stepped:
 * when a better sample comes in, or the best one leaves the window, the estimate can move by
 * tens of milliseconds on a jittery link, and a render time stepped back with it would draw
 * every remote entity jumping back for a frame. The clock in use moves towards the estimate by
 * at most `slew` (5%) of the time elapsed, so it runs between 0.95 and 1.05 times real time and
 * never goes backwards. It is set outright only by the first pong (the welcome's time is a guess
 * that ignores the latency) and when the estimate is more than a second away (another clock).
 */
export class ClockSync {
  private readonly samples: { rtt: number; offset: number }[] = [];
  /** Latest round trip in ms. */
  rtt = 0;
  /** Exponentially smoothed round trip in ms. */
  smoothedRtt = 0;
  /** Round-trip jitter (mean absolute deviation) in ms. */
  jitter = 0;
  /** The estimate of serverTime - localTime (ms), from the best recent sample. */
  offset = 0;
  /** serverTime - localTime (ms) as `serverNow` uses it: `offset`, approached gradually. */
  slewedOffset = 0;
  private synced = false;
  private slewedAt: number | undefined;

  constructor(
    private readonly window = 8,
    /** Largest rate (ms per ms) at which the clock in use is pulled towards the estimate. */
    private readonly slew = 0.05,
    /** An estimate further away than this (ms) is taken at once: it is another clock, not noise. */
    private readonly stepAboveMs = 1000,
  ) {}

  /** A rough offset before the first pong (no RTT correction). */
  seed(serverTime: number, localNow: number): void {
    if (this.synced) return;
    this.offset = this.slewedOffset = serverTime - localNow;
    this.slewedAt = localNow;
  }

  /** Records a pong: the ping left at `sentAt`, the server stamped `serverTime`, it came back at `now`. */
  pong(sentAt: number, serverTime: number, now: number): void {
    const rtt = Math.max(0, now - sentAt);
    const offset = serverTime + rtt / 2 - now;
    this.samples.push({ rtt, offset });
    if (this.samples.length > this.window) this.samples.shift();
    let best = this.samples[0]!;
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    this.advance(now);
    this.offset = best.offset;
    if (!this.synced || Math.abs(this.offset - this.slewedOffset) > this.stepAboveMs) {
      this.slewedOffset = this.offset;
      this.slewedAt = now;
    }
    if (!this.synced) {
      this.smoothedRtt = rtt;
      this.synced = true;
    } else {
      this.jitter += (Math.abs(rtt - this.smoothedRtt) - this.jitter) / 8;
      this.smoothedRtt += (rtt - this.smoothedRtt) / 8;
    }
    this.rtt = rtt;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Moves the clock in use towards the estimate for the time elapsed since the last call. */
  private advance(localNow: number): void {
    const elapsed = this.slewedAt === undefined ? 0 : localNow - this.slewedAt;
    if (this.slewedAt !== undefined && elapsed <= 0) return;
    this.slewedAt = localNow;
    const most = elapsed * this.slew;
    this.slewedOffset += Math.max(-most, Math.min(most, this.offset - this.slewedOffset));
  }

  /** The server clock at local time `localNow` (monotonic as `localNow` is). */
  serverNow(localNow: number): number {
    this.advance(localNow);
    return localNow + this.slewedOffset;
  }
}
