/**
 * How far behind the server clock the client renders: the interpolation (playout) delay. It
 * adapts to the link: the age snapshots already have when they arrive (one-way latency), plus a
 * buffer that covers the arrival jitter and the snapshots the link loses, grown after a
 * starvation and let back down slowly, and changed gradually so nothing on screen jumps. Apart
 * from the room because it is a controller with its own state and no say in the connection.
 *
 * Loss is measured from the gaps in the snapshot ticks that arrive. A run of n lost snapshots
 * leaves a gap of n + 1 intervals; entities with linear fields go on along their last key frame
 * for one interval past the newest snapshot, so a buffer of n intervals rides such a run out
 * without stopping anything. The buffer covers the longest run the measured loss makes likely
 * more often than once in ten minutes (two at 3% loss at 20 Hz, four at 10%), and never fewer
 * than two intervals.
 */
export class PlayoutDelay {
  /** The delay in use now (ms). */
  delayMs: number;
  /** The delay the controller is moving towards (ms). */
  targetMs: number;
  /** How old snapshots are when they arrive (smoothed, ms). */
  snapshotAgeMs = 0;
  /** Snapshot arrival jitter (mean absolute deviation of that age, ms). */
  arrivalJitterMs = 0;
  /** The buffer kept on top of the snapshot age (ms). */
  bufferTargetMs: number;
  /** Times the render time ran past the newest snapshot (nothing new to show). */
  starvations = 0;
  /** Share of snapshots lost on the way, measured over about the last ten seconds. */
  lossRate = 0;
  /** Snapshots found missing (gaps in the ticks that arrived). */
  lost = 0;
  /** False with a fixed delay: the measurements still run, the delay stays put. */
  readonly adaptive: boolean;
  private arrivals = 0;
  private lastFrameAt = 0;
  private starving = false;
  // Decaying counts behind lossRate, starting from a second without loss: one loss among the
  // first few snapshots is no sign of a link that loses half of them.
  private receivedWeight: number;
  private lostWeight = 0;

  /**
   * @example
   * const delay = new PlayoutDelay(20); // adaptive, 20 snapshots a second
   * delay.arrived(35);                  // a snapshot 35 ms after its tick
   * delay.frame(performance.now());     // each frame: move towards the target
   */
  constructor(
    private readonly snapshotRate: number,
    fixedMs?: number,
  ) {
    this.adaptive = fixedMs === undefined;
    this.receivedWeight = snapshotRate;
    this.delayMs = fixedMs ?? 2000 / snapshotRate;
    this.targetMs = this.delayMs;
    this.bufferTargetMs = 2000 / snapshotRate;
  }

  /**
   * A snapshot arrived `ageMs` after the server time of its tick, `lost` snapshots after the one
   * before it: update the age, jitter, loss and target.
   */
  arrived(ageMs: number, lost = 0): void {
    if (this.arrivals++ === 0) this.snapshotAgeMs = ageMs;
    this.arrivalJitterMs += (Math.abs(ageMs - this.snapshotAgeMs) - this.arrivalJitterMs) / 16;
    this.snapshotAgeMs += (ageMs - this.snapshotAgeMs) / 16;
    this.measureLoss(Math.max(0, lost));
    if (!this.adaptive) return;
    const interval = 1000 / this.snapshotRate;
    const wanted = Math.min(500, Math.max(interval, this.lossIntervals() * interval + 2 * this.arrivalJitterMs));
    // A starvation grew the buffer; let it come back down slowly as the link calms.
    this.bufferTargetMs = wanted >= this.bufferTargetMs ? wanted : this.bufferTargetMs - (this.bufferTargetMs - wanted) / 256;
    this.targetMs = Math.max(0, this.snapshotAgeMs) + this.bufferTargetMs;
    // Until the first few snapshots have been shown there is nothing to keep smooth: start at the target.
    if (this.arrivals <= 3) this.delayMs = this.targetMs;
  }

  private measureLoss(lost: number): void {
    const window = 10 * this.snapshotRate;
    const keep = (1 - 1 / window) ** (lost + 1);
    this.receivedWeight = this.receivedWeight * keep + 1;
    this.lostWeight = this.lostWeight * keep + lost;
    this.lost += lost;
    this.lossRate = this.lostWeight / (this.lostWeight + this.receivedWeight);
  }

  /**
   * Snapshot intervals the buffer holds: enough for the longest run of losses expected more
   * often than once in ten minutes at the measured loss rate, and at least two.
   */
  private lossIntervals(): number {
    const p = this.lossRate;
    if (p <= 0) return 2;
    // A run of n + 1 losses in a row comes p^(n+1) * snapshots-per-ten-minutes times.
    const run = Math.ceil(Math.log(1 / (600 * this.snapshotRate)) / Math.log(p));
    return Math.max(2, Math.min(8, run - 1));
  }

  /** A frame is drawn at `now`: move towards the target by at most 5% of the time elapsed. */
  frame(now: number): void {
    if (this.adaptive) {
      // The timeline stretches, it never jumps.
      const elapsed = this.lastFrameAt > 0 ? Math.min(100, now - this.lastFrameAt) : 0;
      const step = elapsed * 0.05;
      const diff = this.targetMs - this.delayMs;
      this.delayMs += Math.max(-step, Math.min(step, diff));
    }
    this.lastFrameAt = now;
  }

  /** Whether this frame's render time is past the newest snapshot; a new starvation grows the buffer. */
  observe(starving: boolean): void {
    if (starving && !this.starving) {
      this.starvations++;
      if (this.adaptive) this.bufferTargetMs = Math.min(500, this.bufferTargetMs + 1000 / this.snapshotRate / 2);
    }
    this.starving = starving;
  }

  /**
   * Another server clock, a first real clock sync, or another membership: what was measured no
   * longer holds, and the next snapshots set the delay afresh instead of easing to it.
   */
  restart(): void {
    this.arrivals = 0;
    this.arrivalJitterMs = 0;
    if (this.adaptive) this.bufferTargetMs = 2000 / this.snapshotRate;
  }
}
