/**
 * Ordering of client actions within a tick, and the queue inputs wait in until then. Inputs and
 * commands wait in their client's queue until the next tick, which applies them across all
 * clients in (client time, client id, sequence) order (seed 004, strategy 1), at most
 * `maxInputsPerTick` inputs per client.
 *
 * Every client sends an input every tick, so the input queue is storage the decoder reads into
 * (an InputStore): its entries, their input objects and the actions the tick applies are made
 * once and reused, and a client's steady stream of inputs allocates nothing.
 */
import type { InputEntry, InputStore } from '@tickwire/protocol';
import type { PendingCommand, RoomClient } from './room-client.js';

export type Action<C> =
  | { kind: 'input'; client: C; entry: InputEntry<Record<string, unknown>>; order: number }
  | { kind: 'command'; client: C; command: PendingCommand; order: number };

type InputAction<C> = Extract<Action<C>, { kind: 'input' }>;

/** Spare entries a queue keeps beyond what waits (more, left by a burst, are let go). */
const SPARE = 8;

/** Client times are server-clock ms mod 2^32; keep them within a second behind `now`. */
function orderKey(time: number, now32: number): number {
  let age = (now32 - time) | 0;
  if (age < 0) age = 0;
  if (age > 1000) age = 1000;
  return -age;
}

/**
 * One client's inputs, oldest first, in reused slots: `[0, taken)` are what the current tick
 * took (left intact until the next take, as the tick's actions point at them), `[taken, end)`
 * wait, the rest are spares the decoder reads the next frame into. Entries become waiting only
 * when a whole frame decoded (`commit`).
 */
export class InputQueue<C> implements InputStore {
  private readonly slots: InputAction<C>[] = [];
  private taken = 0;
  private end = 0;
  /** Highest input seq queued: a frame's entries at or below it are repeats. */
  newestSeq = 0;

  constructor(
    private readonly client: C,
    /** Most inputs that may wait; newer ones beyond it are dropped (TOO_MANY_INPUTS). */
    readonly limit: number,
  ) {}

  /** Inputs waiting for a tick. */
  get length(): number {
    return this.end - this.taken;
  }

  room(fresh: number): number {
    return Math.max(0, Math.min(fresh, this.limit - this.length));
  }

  entry(k: number): InputEntry<Record<string, unknown>> {
    const i = this.end + k;
    while (this.slots.length <= i) this.slots.push({ kind: 'input', client: this.client, entry: { seq: 0, time: 0, input: {} }, order: 0 });
    return this.slots[i]!.entry;
  }

  /** A frame decoded whole: its `kept` new inputs, the oldest with seq `firstSeq`, now wait. */
  commit(firstSeq: number, kept: number): void {
    if (kept <= 0) return;
    this.end += kept;
    this.newestSeq = firstSeq + kept - 1;
  }

  /**
   * Puts up to `max` waiting inputs, oldest first, as actions of the tick into `out` from index
   * `at`; answers how many.
   */
  take(max: number, now32: number, out: Action<C>[], at: number): number {
    this.release();
    const n = Math.min(this.end, max);
    for (let i = 0; i < n; i++) {
      const a = this.slots[i]!;
      a.order = orderKey(a.entry.time, now32);
      out[at + i] = a;
    }
    this.taken = n;
    return n;
  }

  /** Drops what waits (the connection dropped); what the current tick took stays as it is. */
  clear(): void {
    this.end = this.taken;
  }

  /** A new connection starts its input sequence afresh. */
  reset(): void {
    this.clear();
    this.newestSeq = 0;
  }

  /** The last tick is done with what it took: those slots become the first spares. */
  private release(): void {
    const t = this.taken;
    const slots = this.slots;
    if (t > 0) {
      // Rotate [0, t) behind [t, end), in place.
      reverse(slots, 0, t);
      reverse(slots, t, this.end);
      reverse(slots, 0, this.end);
      this.end -= t;
      this.taken = 0;
    }
    if (slots.length > this.end + SPARE) slots.length = this.end + SPARE;
  }
}

function reverse<T>(a: T[], from: number, to: number): void {
  for (let i = from, j = to - 1; i < j; i++, j--) {
    const x = a[i]!;
    a[i] = a[j]!;
    a[j] = x;
  }
}

/**
 * Takes this tick's actions out of the clients' queues, in the order they are to be applied,
 * into `out` (what it held before is replaced: overwritten in place, so a room that passes the
 * same array every tick reuses it). Input actions are the queues' own reused objects, valid
 * until the next take.
 */
export function takeActions<C extends RoomClient>(clients: Iterable<C>, maxInputsPerTick: number, now: number, out: Action<C>[] = []): Action<C>[] {
  const now32 = Math.floor(now) >>> 0;
  let n = 0;
  for (const client of clients) {
    n += client.inputs.take(maxInputsPerTick, now32, out, n);
    for (const command of client.pendingCommands) {
      out[n++] = { kind: 'command', client, command, order: orderKey(command.time, now32) };
    }
    client.pendingCommands.length = 0;
  }
  out.length = n;
  out.sort((a, b) => a.order - b.order || a.client.id - b.client.id || seqOf(a) - seqOf(b));
  return out;
}

function seqOf<C>(a: Action<C>): number {
  return a.kind === 'input' ? a.entry.seq : a.command.seq;
}
