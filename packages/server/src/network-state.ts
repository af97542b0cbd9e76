/**
 * The room's network state: what clients are meant to hold, updated once per snapshot tick.
 *
 * `publish(tick)` turns the store's dirty masks into wire values (quantized, subject to each
 * field's change threshold), re-keys linear fields that left their extrapolated path, and
 * records which tick each field last changed. Everything per client (deltas, baselines) is
 * derived from these ticks, so the per-snapshot cost of publishing is proportional to what
 * changed, not to the number of clients.
 */
import { RATE_ONE, addDigest, fieldDigest, linearAt, presenceDigest } from '@tickwire/protocol';
import type { EntityRecord, EntityRecords } from './entity-store.js';

export interface IdSet {
  /** Snapshot tick this set was taken at. */
  readonly tick: number;
  /** Ascending entity ids. The same array object is reused while membership is unchanged. */
  readonly ids: readonly number[];
}

export class NetworkState {
  /** Published live entity ids, ascending. Replaced, never mutated. */
  ids: readonly number[] = [];
  private readonly history = new Map<number, readonly number[]>();
  private readonly historyTicks: number[] = [];
  private readonly linear = new Set<EntityRecord>();
  private readonly removalLog: { tick: number; id: number }[] = [];
  /**
   * The view digest of every published entity (docs/protocol.md 8.6): what a client that sees
   * everything holds after this tick's snapshot. Kept current term by term as fields change.
   */
  digest = 0;

  constructor(
    private readonly store: EntityRecords,
    /** How many snapshot ticks of history to keep (at least the client ring size). */
    private readonly window: number,
  ) {}

  /** Updates wire values for snapshot tick `tick`. Call once per snapshot, before encoding. */
  publish(tick: number): void {
    const store = this.store;
    let membership = false;

    for (const rec of store.removedList) {
      if (rec.published) {
        membership = true;
        this.removalLog.push({ tick, id: rec.id });
        this.digest = addDigest(this.digest, -rec.digest);
      }
      this.linear.delete(rec);
    }
    store.removedList.length = 0;

    for (const rec of store.createdList) {
      if (!rec.alive) continue;
      const fields = rec.type.fields;
      for (let i = 0; i < fields.length; i++) {
        const w = fields[i]!.type.toWire(rec.values[i]);
        rec.wire[i] = w;
        rec.changedTick[i] = tick;
        rec.keyTick[i] = tick;
        rec.rates[i] = 0;
        const steps = fields[i]!.type.steps;
        rec.lastQ[i] = steps ? steps(rec.values[i] as number) : typeof w === 'number' ? w : 0;
        rec.lastQTick[i] = tick;
      }
      rec.dirty = 0;
      rec.createdTick = tick;
      rec.lastChange = tick;
      rec.published = true;
      rec.digest = presenceDigest(rec.id, rec.type.index);
      for (let i = 0; i < fields.length; i++) {
        const term = this.term(rec, i);
        rec.terms[i] = term;
        rec.digest = addDigest(rec.digest, term);
      }
      this.digest = addDigest(this.digest, rec.digest);
      if (rec.type.linearFields.length > 0) this.linear.add(rec);
      membership = true;
    }
    store.createdList.length = 0;

    for (const rec of store.dirtyList) {
      const mask = rec.dirty;
      rec.dirty = 0;
      if (!rec.alive || !rec.published || rec.createdTick === tick) continue;
      const fields = rec.type.fields;
      for (let i = 0; i < fields.length; i++) {
        if ((mask & (1 << i)) === 0) continue;
        const ft = fields[i]!.type;
        if (ft.linear) continue;
        const w = ft.toWire(rec.values[i]);
        if (ft.changed(rec.wire[i]!, w)) {
          rec.wire[i] = w;
          rec.changedTick[i] = tick;
          rec.lastChange = tick;
          this.reterm(rec, i);
        }
      }
    }
    store.dirtyList.length = 0;

    for (const rec of this.linear) {
      if (rec.createdTick === tick) continue;
      const fields = rec.type.fields;
      for (const i of rec.type.linearFields) {
        const ft = fields[i]!.type;
        const v = rec.values[i] as number;
        const q = ft.toWire(v) as number;
        // Rates come from unrounded values: rounding noise would make every path look bent.
        const exact = ft.steps!(v);
        const predicted = linearAt(rec.wire[i] as number, rec.rates[i]!, tick - rec.keyTick[i]!, ft.maxWire);
        if (Math.abs(q - predicted) >= ft.threshold) {
          const span = tick - rec.lastQTick[i]!;
          rec.rates[i] = span > 0 ? Math.round(((exact - rec.lastQ[i]!) * RATE_ONE) / span) : 0;
          rec.wire[i] = q;
          rec.keyTick[i] = tick;
          rec.changedTick[i] = tick;
          rec.lastChange = tick;
          this.reterm(rec, i);
        }
        rec.lastQ[i] = exact;
        rec.lastQTick[i] = tick;
      }
    }

    if (membership) {
      const ids: number[] = [];
      for (const rec of store.liveRecords()) if (rec.published) ids.push(rec.id);
      this.ids = ids;
    }
    this.history.set(tick, this.ids);
    this.historyTicks.push(tick);
    while (this.historyTicks.length > this.window) this.history.delete(this.historyTicks.shift()!);
    const oldest = this.historyTicks[0]!;
    let drop = 0;
    while (drop < this.removalLog.length && this.removalLog[drop]!.tick <= oldest) drop++;
    if (drop > 0) this.removalLog.splice(0, drop);
  }

  /** Field i's digest term as published. */
  private term(rec: EntityRecord, i: number): number {
    return fieldDigest(rec.id, i, rec.wire[i]!, rec.type.fields[i]!.type.linear, rec.rates[i], rec.keyTick[i]);
  }

  /** Field i changed on the wire: its term, the entity's digest and the room's follow. */
  private reterm(rec: EntityRecord, i: number): void {
    const term = this.term(rec, i);
    const delta = term - rec.terms[i]!;
    rec.terms[i] = term;
    rec.digest = addDigest(rec.digest, delta);
    this.digest = addDigest(this.digest, delta);
  }

  /** The published id set at a past snapshot tick, if still remembered. */
  idsAt(tick: number): readonly number[] | undefined {
    return this.history.get(tick);
  }

  /** Ids of published entities removed after `tick`, ascending. */
  removedSince(tick: number): number[] {
    const out: number[] = [];
    for (const e of this.removalLog) if (e.tick > tick) out.push(e.id);
    return out.sort((a, b) => a - b);
  }
}
