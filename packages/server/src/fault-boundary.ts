/**
 * A room's fault boundary: the one place every call into game code passes through.
 *
 * Game code has bugs. An exception from a system, a handler or an interest callback must cost
 * at most its own room: it is logged with the room code and the hook, counted, and the room goes
 * on. A room that keeps failing (more than `maxFaults` in `windowMs`) trips the boundary, and
 * the room's owner checkpoints it and closes it for its clients; nothing else in the process
 * notices. The boundary is an instance per room with its clock passed in, so the policy is
 * testable on a stepped clock (Erlang supervisors' restart intensity, in miniature).
 */
import type { Clock } from '@tickwire/protocol';
import type { Logger } from 'pino';

export interface FaultPolicy {
  /** Faults tolerated within `windowMs`; one more trips the boundary (default 10). */
  maxFaults: number;
  /** The window the faults are counted in (default 10 000 ms). */
  windowMs: number;
}

export const defaultFaultPolicy: Readonly<FaultPolicy> = Object.freeze({ maxFaults: 10, windowMs: 10_000 });

export interface FaultStats {
  /** A game-code exception in a hook ('system', 'onInput', 'interest.position'...). */
  gameFault(hook: string): void;
}

export class FaultBoundary {
  private readonly times: number[] = [];
  private tripped = false;
  /** Faults recorded over the room's life. */
  count = 0;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly stats: FaultStats,
    private readonly policy: FaultPolicy,
    /** Called once, when the boundary trips. */
    private readonly onTrip: (hook: string, err: unknown) => void,
  ) {
    if (!(policy.maxFaults >= 0) || !(policy.windowMs > 0)) {
      throw new RangeError(`fault policy needs maxFaults >= 0 and windowMs > 0, got ${JSON.stringify(policy)}`);
    }
  }

  get isTripped(): boolean {
    return this.tripped;
  }

  /**
   * Runs game code; if it throws, records the fault and returns `fallback`.
   *
   * @example
   * const p = boundary.run('interest.position', () => def.position(entity), undefined);
   */
  run<T>(hook: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.record(hook, err);
      return fallback;
    }
  }

  /** Records a fault caught elsewhere (an async handler's rejection, say). */
  record(hook: string, err: unknown): void {
    this.count++;
    this.stats.gameFault(hook);
    this.logger.error({ err, hook }, `game code threw in ${hook}`);
    if (this.tripped) return;
    const now = this.clock.now();
    const times = this.times;
    times.push(now);
    while (times.length > 0 && now - times[0]! > this.policy.windowMs) times.shift();
    if (times.length > this.policy.maxFaults) {
      this.tripped = true;
      this.logger.error({ hook, faults: times.length, windowMs: this.policy.windowMs }, 'room keeps failing: closing it');
      this.onTrip(hook, err);
    }
  }
}
