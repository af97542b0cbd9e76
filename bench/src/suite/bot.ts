/**
 * What the load generator drives: one client of any system. The worker calls `step` once per
 * input round (20 Hz) and reads `traffic()` at the window's edges; each system's bot decides
 * what a round sends. Steering (the input choice) is shared so every system's bots make the
 * same choices from the same seeds.
 */
import { seededRandom } from '@tickwire/protocol';
import { holdMs, pickSteer } from './rules.js';
import type { Traffic } from './types.js';

export interface Bot {
  /** One input round; `now` is performance.now(). */
  step(now: number): void;
  /** Counters so far (the worker takes differences). */
  traffic(): Traffic;
  readonly open: boolean;
  close(): void;
}

/** The probe's view: how many entities it has now. */
export interface Probe {
  entities(): number;
}

/** A bot's input: re-picked about every second, from a seed per client index. */
export class Steering {
  dx = 0;
  dy = 0;
  private next = 0;
  private readonly random: () => number;

  constructor(index: number) {
    this.random = seededRandom(1000 + index);
  }

  update(now: number): void {
    if (now < this.next) return;
    const s = pickSteer(this.random);
    this.dx = s.dx;
    this.dy = s.dy;
    this.next = now + holdMs(this.random);
  }
}

/** WebSocket frame header bytes for a payload (RFC 6455), server to client; add 4 for a client's mask. */
export function wsHeader(payload: number): number {
  return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
}
