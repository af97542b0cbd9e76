/**
 * The load generator's clock for inputs: every bot steps once per round (50 ms at 20 Hz), the
 * bots spread over a few slots of the round so the sends are not one burst, as real players
 * are not in step. Each slot knows when it was due; a slot that starts more than half a round
 * late, or is skipped to catch up, counts as a late round: the generator fell behind.
 */
import type { Bot } from './bot.js';
import { RATE_HZ } from './rules.js';

export const ROUND_MS = 1000 / RATE_HZ;
const SLOTS = 5;
const SLOT_MS = ROUND_MS / SLOTS;
/** A round later than this was not sent on time. */
export const LATE_MS = ROUND_MS / 2;

export interface PacerStats {
  /** Slot rounds due (each bot is in one slot per round). */
  rounds: number;
  lateRounds: number;
  maxLateMs: number;
}

export class Pacer {
  private timer: NodeJS.Timeout | null = null;
  private slot = 0;
  private due = 0;
  private stats: PacerStats = { rounds: 0, lateRounds: 0, maxLateMs: 0 };

  constructor(
    private readonly bots: readonly Bot[],
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.due = this.now() + SLOT_MS;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The stats since the last reset, and a fresh start. */
  takeStats(): PacerStats {
    const s = this.stats;
    this.stats = { rounds: 0, lateRounds: 0, maxLateMs: 0 };
    return s;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.due - this.now()));
  }

  private fire(): void {
    let now = this.now();
    // More than a whole round behind: skip to the present, counting what was skipped as late.
    while (now - this.due > ROUND_MS) {
      this.stats.rounds++;
      this.stats.lateRounds++;
      this.due += SLOT_MS;
      this.slot++;
    }
    while (this.due <= now) {
      const late = now - this.due;
      this.stats.rounds++;
      if (late > LATE_MS) this.stats.lateRounds++;
      if (late > this.stats.maxLateMs) this.stats.maxLateMs = late;
      const phase = this.slot % SLOTS;
      for (let i = phase; i < this.bots.length; i += SLOTS) this.bots[i]!.step(now);
      this.slot++;
      this.due += SLOT_MS;
      now = this.now();
    }
    this.schedule();
  }
}
