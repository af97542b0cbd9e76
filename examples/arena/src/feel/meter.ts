/**
 * The feel meter: what a player would notice, measured frame by frame against the server's truth.
 *
 * - Local corrections: how many, how big, and how long until the picture has caught up. An
 *   episode starts with a correction when nothing was being blended, and ends when the last
 *   correction of it is blended out (blending is linear over `blendMs` from the latest correction,
 *   so the end is exact, not rounded to frames); a correction that comes while an earlier one is
 *   still being blended is a repeat. Snaps (at or beyond the snap distance: respawns) are counted
 *   apart, and a respawn is clean when it brings exactly one correction.
 * - Remote ships: the distance of each drawn ship from the truth at the client's render time;
 *   stalls (a ship drawn in the same place two frames running while it really moves); the largest
 *   per-frame jump (drawn motion minus true motion, on the timeline the render time should follow).
 * - The render time: any frame where it went backwards.
 * - Ghosts: entities still drawn well after the server removed them.
 */
import type { Truth } from './truth.js';

export interface MeterOptions {
  blendMs: number;
  frameMs: number;
  tickMs: number;
  /** Time an entity may still be shown after its removal (latency, jitter, a few lost snapshots). */
  lingerMs: number;
}

export interface Remote {
  id: number;
  x: number;
  y: number;
}

function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export class FeelMeter {
  private readonly sizes: number[] = [];
  private readonly times: number[] = [];
  private readonly blendTimes: number[] = [];
  private episode: { start: number; end: number } | undefined;
  private repeats = 0;
  private snaps = 0;
  private localStep = 0;
  private readonly errors: number[] = [];
  private remoteJump = 0;
  private readonly last = new Map<number, { x: number; y: number; still: number }>();
  private stalls = 0;
  private longestStill = 0;
  private lastRenderTick: number | undefined;
  private lastIdealTick: number | undefined;
  private backSteps = 0;
  private backMax = 0;
  private readonly ghosts = new Set<number>();
  private lingerMax = 0;

  constructor(
    private readonly options: MeterOptions,
    private readonly truth: Truth,
  ) {}

  /**
   * A reconciliation: `size` 0 when the server agreed. `left` is the largest correction still
   * being blended out right after it (the predictor's residual): blended linearly over blendMs,
   * it moves the picture by left × frameMs / blendMs each frame.
   */
  correction(size: number, snapped: boolean, at: number, left: number): void {
    if (size === 0) return;
    this.times.push(at);
    if (snapped) {
      this.snaps++;
      if (this.episode) this.close(Math.min(at, this.episode.end));
      return;
    }
    this.sizes.push(size);
    this.localStep = Math.max(this.localStep, (left * this.options.frameMs) / this.options.blendMs);
    if (this.episode && at < this.episode.end) {
      this.repeats++;
      this.episode.end = at + this.options.blendMs;
      return;
    }
    if (this.episode) this.close(this.episode.end);
    this.episode = { start: at, end: at + this.options.blendMs };
  }

  private close(end: number): void {
    this.blendTimes.push(end - this.episode!.start);
    this.episode = undefined;
  }

  /**
   * One frame. `renderTick` is the client's render time, `idealTick` where an exact clock would
   * put it (the same delay, the true server time): how far that moved since the last frame is
   * how far the render time should have moved.
   */
  frame(now: number, renderTick: number, idealTick: number, remotes: readonly Remote[], shown: Iterable<number>): void {
    const { tickMs, frameMs } = this.options;
    const span = this.lastRenderTick !== undefined && this.lastIdealTick !== undefined ? { from: this.lastRenderTick, to: this.lastRenderTick + idealTick - this.lastIdealTick } : undefined;
    if (this.lastRenderTick !== undefined && renderTick < this.lastRenderTick) {
      this.backSteps++;
      this.backMax = Math.max(this.backMax, (this.lastRenderTick - renderTick) * tickMs);
    }
    this.lastRenderTick = renderTick;
    for (const r of remotes) {
      const seen = this.truth.at(r.id, renderTick);
      if (seen) this.errors.push(Math.hypot(seen[0] - r.x, seen[1] - r.y));
      const before = this.truth.at(r.id, renderTick - frameMs / tickMs);
      const prev = this.last.get(r.id);
      const moving = seen !== undefined && before !== undefined && Math.hypot(seen[0] - before[0], seen[1] - before[1]) > 0.5;
      let still = 0;
      if (prev && moving && prev.x === r.x && prev.y === r.y) {
        still = prev.still + 1;
        if (still === 2) this.stalls++;
        this.longestStill = Math.max(this.longestStill, still);
      }
      // The motion the ship should show this frame: the truth from the time drawn last frame,
      // carried forward as far as real time went. A render time that steps or an interpolation
      // that bends shows as the difference; a render time constantly off by a little does not.
      if (prev && span) {
        const from = this.truth.at(r.id, span.from);
        const to = this.truth.at(r.id, span.to);
        // A ship that really jumped (it was killed and respawned) is drawn jumping: no glitch.
        const lo = Math.min(span.from, span.to, renderTick);
        const hi = Math.max(span.from, span.to, renderTick);
        if (from && to && !this.truth.teleportedWithin(r.id, lo, hi)) {
          this.remoteJump = Math.max(this.remoteJump, Math.hypot(r.x - prev.x - (to[0] - from[0]), r.y - prev.y - (to[1] - from[1])));
        }
      }
      this.last.set(r.id, { x: r.x, y: r.y, still });
    }
    this.lastIdealTick = idealTick;
    for (const id of shown) {
      const removed = this.truth.removedAt.get(id);
      if (removed === undefined || this.truth.isAlive(id)) continue;
      this.lingerMax = Math.max(this.lingerMax, now - removed);
      if (now - removed > this.options.lingerMs) this.ghosts.add(id);
    }
  }

  /**
   * Respawns of the local ship (server times) that did not bring exactly one correction between
   * the earliest it could be seen (`fromMs` later) and `toMs` later.
   */
  uncleanRespawns(respawns: readonly number[], fromMs: number, toMs: number): number {
    let unclean = 0;
    for (const t of respawns) {
      const n = this.times.filter((at) => at >= t + fromMs && at < t + toMs).length;
      if (n !== 1) unclean++;
    }
    return unclean;
  }

  /** The figures, rounded for the report. */
  summary(durationS: number) {
    if (this.episode) this.close(this.episode.end);
    return {
      corrections: this.sizes.length,
      corrections_per_s: round(this.sizes.length / durationS),
      correction_mean: round(mean(this.sizes), 3),
      correction_p99: round(percentile(this.sizes, 0.99), 3),
      repeat_corrections: this.repeats,
      blend_ms_p50: round(percentile(this.blendTimes, 0.5), 1),
      blend_ms_p99: round(percentile(this.blendTimes, 0.99), 1),
      snaps: this.snaps,
      local_jump_max: round(this.localStep, 3),
      remote_jump_max: round(this.remoteJump, 3),
      remote_stalls: this.stalls,
      longest_stall_ms: round(this.longestStill * this.options.frameMs, 1),
      remote_error_mean: round(mean(this.errors), 3),
      remote_error_p99: round(percentile(this.errors, 0.99), 3),
      remote_error_max: round(percentile(this.errors, 1), 3),
      render_back_steps: this.backSteps,
      render_back_ms_max: round(this.backMax, 2),
      ghosts: this.ghosts.size,
      removal_shown_ms_max: round(this.lingerMax, 1),
    };
  }
}
