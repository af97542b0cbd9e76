/**
 * The gateway's view of the cluster over time: every `intervalMs` it reads the process registry
 * and keeps, per process, a ring of load samples (clients, rooms, tick time p99, bytes out per
 * second), which the admin page draws as small charts. A process keeps its ring while it is
 * live; a ring is dropped once its process has been gone for a whole ring's worth of samples.
 *
 * Time comes from the clock passed in: tests step it by hand, and each tick's read is awaited
 * before the next is scheduled, so a slow registry never piles reads up.
 */
import type { Clock, TimerHandle } from '@tickwire/protocol';
import type { ProcessRecord, ProcessRegistry } from '@tickwire/server';
import type { Logger } from 'pino';

/** One sample of one process. */
export interface LoadSample {
  /** Wall-clock ms when it was taken. */
  at: number;
  clients: number;
  rooms: number;
  tickMsP99: number;
  bytesOutPerSec: number;
}

export interface MonitorOptions {
  /** How often to sample (default 2000 ms, a process's default heartbeat). */
  intervalMs?: number;
  /** Samples kept per process (default 150: five minutes at the default interval). */
  samples?: number;
  /** Wall-clock ms for the samples' `at` (default Date.now). */
  wallClock?: () => number;
}

interface Ring {
  samples: LoadSample[];
  /** Samples taken since the process was last seen live. */
  missing: number;
}

export class Monitor {
  private readonly rings = new Map<string, Ring>();
  private timer: TimerHandle | null = null;
  private stopped = true;
  private readonly intervalMs: number;
  private readonly size: number;
  private readonly wallClock: () => number;
  /** Called with the live process ids after every read. */
  onRead: ((live: ReadonlySet<string>) => void) | null = null;

  constructor(
    private readonly processes: ProcessRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: MonitorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.size = options.samples ?? 150;
    if (!(this.intervalMs >= 10)) throw new RangeError(`the sample interval must be at least 10 ms, got ${this.intervalMs}`);
    if (!(Number.isSafeInteger(this.size) && this.size >= 2 && this.size <= 10_000)) throw new RangeError(`samples per process must be 2-10000, got ${this.size}`);
    this.wallClock = options.wallClock ?? Date.now;
  }

  /** Starts sampling (the first sample at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    this.timer = null;
    try {
      this.record(await this.processes.list());
    } catch (err) {
      this.logger.warn({ err }, 'could not read the process registry for load samples');
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.tick(), this.intervalMs);
  }

  /** Adds one sample per live process; counts a missed sample for every process not live. */
  record(live: readonly ProcessRecord[]): void {
    const at = this.wallClock();
    const seen = new Set<string>();
    for (const p of live) {
      seen.add(p.id);
      let ring = this.rings.get(p.id);
      if (!ring) this.rings.set(p.id, (ring = { samples: [], missing: 0 }));
      ring.missing = 0;
      ring.samples.push({ at, clients: p.load.clients, rooms: p.load.rooms, tickMsP99: p.load.tickMsP99, bytesOutPerSec: p.load.bytesOutPerSec });
      if (ring.samples.length > this.size) ring.samples.shift();
    }
    for (const [id, ring] of this.rings) {
      if (seen.has(id)) continue;
      if (++ring.missing >= this.size) this.rings.delete(id);
    }
    this.onRead?.(seen);
  }

  /** A process's samples, oldest first (empty for one never seen). */
  samples(id: string): readonly LoadSample[] {
    return this.rings.get(id)?.samples ?? [];
  }

  /** Processes with samples that are not live now (recently gone), for the admin page. */
  gone(live: ReadonlySet<string>): string[] {
    return [...this.rings.keys()].filter((id) => !live.has(id));
  }
}
