/**
 * How far behind the server clock the client renders: the interpolation (playout) delay. It
 * adapts to the link: the age snapshots already have when they arrive (one-way latency), plus a
 * buffer of about two snapshot intervals and twice the arrival jitter, grown after a starvation
 * and let back down slowly, and changed gradually so nothing on screen jumps. Apart from the
 * room because it is a controller with its own state and no say in the connection.
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
  /** False with a fixed delay: the measurements still run, the delay stays put. */
  readonly adaptive: boolean;
  private arrivals = 0;
  private lastFrameAt = 0;
  private starving = false;

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
    this.delayMs = fixedMs ?? 2000 / snapshotRate;
    this.targetMs = this.delayMs;
    this.bufferTargetMs = 2000 / snapshotRate;
  }

  /** A snapshot arrived `ageMs` after the server time of its tick: update the age, jitter and target. */
  arrived(ageMs: number): void {
    if (this.arrivals++ === 0) this.snapshotAgeMs = ageMs;
    this.arrivalJitterMs += (Math.abs(ageMs - this.snapshotAgeMs) - this.arrivalJitterMs) / 16;
    this.snapshotAgeMs += (ageMs - this.snapshotAgeMs) / 16;
    if (!this.adaptive) return;
    const interval = 1000 / this.snapshotRate;
    const wanted = Math.min(500, Math.max(interval, 2 * interval + 2 * this.arrivalJitterMs));
    // A starvation grew the buffer; let it come back down slowly as the link calms.
    this.bufferTargetMs = wanted >= this.bufferTargetMs ? wanted : this.bufferTargetMs - (this.bufferTargetMs - wanted) / 256;
    this.targetMs = Math.max(0, this.snapshotAgeMs) + this.bufferTargetMs;
    // Until the first few snapshots have been shown there is nothing to keep smooth: start at the target.
    if (this.arrivals <= 3) this.delayMs = this.targetMs;
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

  /** Another server clock or membership: the next snapshots set the delay afresh instead of easing to it. */
  restart(): void {
    this.arrivals = 0;
  }
}
