/**
 * Round-trip time and server clock offset from PING/PONG. The offset comes from the sample
 * with the smallest round trip among the recent ones (the least queued, so the least skewed);
 * RTT is smoothed for display and for the interpolation delay.
 */
export class ClockSync {
  private readonly samples: { rtt: number; offset: number }[] = [];
  /** Latest round trip in ms. */
  rtt = 0;
  /** Exponentially smoothed round trip in ms. */
  smoothedRtt = 0;
  /** Round-trip jitter (mean absolute deviation) in ms. */
  jitter = 0;
  /** serverTime - localTime, in ms. */
  offset = 0;
  private synced = false;

  constructor(private readonly window = 8) {}

  /** A rough offset before the first pong (no RTT correction). */
  seed(serverTime: number, localNow: number): void {
    if (!this.synced) this.offset = serverTime - localNow;
  }

  /** Records a pong: the ping left at `sentAt`, the server stamped `serverTime`, it came back at `now`. */
  pong(sentAt: number, serverTime: number, now: number): void {
    const rtt = Math.max(0, now - sentAt);
    const offset = serverTime + rtt / 2 - now;
    this.samples.push({ rtt, offset });
    if (this.samples.length > this.window) this.samples.shift();
    let best = this.samples[0]!;
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    this.offset = best.offset;
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

  serverNow(localNow: number): number {
    return localNow + this.offset;
  }
}
