/**
 * Lag compensation: a short history of where entities were, so a hit can be checked against
 * what the shooter saw (Source engine style: server time - latency - interpolation delay).
 *
 * The client stamps each command with the server time it was displaying; `rewindTick` turns
 * that into a past tick, never further back than the cap, and `at` answers where an entity was
 * then. Recording is one small array per entity per tick, kept for `windowMs`.
 */

export interface LagCompensationOptions {
  /** Ms per tick of the room. */
  tickMs: number;
  /** How much history to keep (default 1000 ms). */
  windowMs?: number;
  /** Furthest a check may rewind (default 500 ms): a player with more lag than that is not favoured further. */
  maxRewindMs?: number;
}

/**
 * @example
 * const history = new LagHistory({ tickMs: room.tickMs });
 * // every tick: history.record(room.tick, ships, (s) => [s.position.x, s.position.y]);
 * // on fire:   const t = history.rewindTick(meta.time, room.tick, room.epoch);
 * //            const [x, y] = history.at(target.id, t) ?? [target.position.x, target.position.y];
 */
export class LagHistory<E extends { readonly id: number }> {
  private readonly ticks: number[] = [];
  private readonly frames = new Map<number, Map<number, readonly number[]>>();
  private readonly window: number;
  readonly maxRewindTicks: number;

  constructor(private readonly options: LagCompensationOptions) {
    this.window = Math.max(1, Math.ceil((options.windowMs ?? 1000) / options.tickMs));
    this.maxRewindTicks = Math.max(0, Math.floor((options.maxRewindMs ?? 500) / options.tickMs));
  }

  /** Records where each entity is at `tick`. */
  record(tick: number, entities: Iterable<E>, read: (e: E) => readonly number[]): void {
    const frame = new Map<number, readonly number[]>();
    for (const e of entities) frame.set(e.id, read(e));
    this.frames.set(tick, frame);
    this.ticks.push(tick);
    while (this.ticks.length > this.window) this.frames.delete(this.ticks.shift()!);
  }

  /**
   * The tick a command made at `viewTime` (server-clock ms the client was displaying) refers
   * to, clamped to [now - maxRewind, now] and to the history kept.
   */
  rewindTick(viewTime: number, now: number, epoch: number): number {
    const seen = (viewTime - epoch) / this.options.tickMs;
    const oldest = Math.max(now - this.maxRewindTicks, this.ticks[0] ?? now);
    return Math.min(now, Math.max(oldest, seen));
  }

  /** Where an entity was at a (fractional) tick, interpolated between recorded ticks. */
  at(id: number, tick: number): readonly number[] | undefined {
    const t0 = Math.floor(tick);
    const a = this.frames.get(t0)?.get(id);
    const b = this.frames.get(t0 + 1)?.get(id);
    if (!a) return b;
    if (!b || tick === t0) return a;
    const f = tick - t0;
    return a.map((v, i) => v + (b[i]! - v) * f);
  }

  get oldestTick(): number | undefined {
    return this.ticks[0];
  }
}
