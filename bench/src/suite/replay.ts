/**
 * What tickwire's clients received and sent during a run, and how the raw server plays it
 * back. A recording is per client: down frames as flat [ms, bytes, snapshot 0/1] triples and
 * up frames as flat [ms, bytes] pairs, ms counted from the start of the measured window. The
 * raw server and raw clients loop it with the window's length as the period.
 */

export interface ClientRecording {
  /** [ms, payload bytes, 1 if a snapshot else 0] per frame received. */
  down: number[];
  /** [ms, payload bytes] per frame sent. */
  up: number[];
}

export interface Recording {
  periodMs: number;
  clients: ClientRecording[];
}

/** One frame of the raw server's merged timeline. */
export interface TimelineFrame {
  ms: number;
  client: number;
  bytes: number;
  snapshot: boolean;
}

/** Every client's down frames in one list ordered by time (the raw server walks it). */
export function downTimeline(rec: Recording): TimelineFrame[] {
  const out: TimelineFrame[] = [];
  rec.clients.forEach((c, client) => {
    for (let i = 0; i + 2 < c.down.length; i += 3) {
      if (c.down[i]! >= rec.periodMs) continue;
      out.push({ ms: c.down[i]!, client, bytes: c.down[i + 1]!, snapshot: c.down[i + 2] === 1 });
    }
  });
  return out.sort((a, b) => a.ms - b.ms);
}

/**
 * Walks a looped timeline of period `periodMs`: `due(elapsedMs)` yields the items whose time
 * (plus the loops done) has come since the last call. Used for the raw server's down frames and
 * each raw client's up frames.
 */
export class LoopCursor<T extends { ms: number }> {
  private index = 0;
  private base = 0;

  constructor(
    private readonly items: readonly T[],
    private readonly periodMs: number,
  ) {}

  *due(elapsedMs: number): IterableIterator<T> {
    if (this.items.length === 0 || this.periodMs <= 0) return;
    for (;;) {
      if (this.index >= this.items.length) {
        this.index = 0;
        this.base += this.periodMs;
      }
      const item = this.items[this.index]!;
      if (this.base + item.ms > elapsedMs) return;
      this.index++;
      yield item;
    }
  }
}

/** A client's up frames as items for a LoopCursor. */
export function upItems(c: ClientRecording, periodMs: number): { ms: number; bytes: number }[] {
  const out: { ms: number; bytes: number }[] = [];
  for (let i = 0; i + 1 < c.up.length; i += 2) if (c.up[i]! < periodMs) out.push({ ms: c.up[i]!, bytes: c.up[i + 1]! });
  return out;
}
