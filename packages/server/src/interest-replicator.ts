/**
 * Snapshots for interest-managed rooms: every client sees its own subset of entities, at its own
 * rates and field sets, within a byte budget.
 *
 * A client here cannot share a body with anyone, and what it holds of an entity is partial
 * (a mid-tier entity's shields but not its systems), so instead of one baseline per snapshot it
 * is tracked per entity and field: the tick of the value the client acknowledged. A record sends
 * the allowed fields that changed after that; entities that leave relevance are removed, and
 * come back in full. When the budget is tight, due records compete by accumulated priority: a
 * record left out gains priority until it is sent, so the scene degrades evenly.
 */
import { BitWriter, SnapshotBodyWriter, writeChangedFields, writeFullFields, type EntityTypeInfo, type GameProtocol } from '@tickwire/protocol';
import type { EntityRecord, EntityStore } from './entity-store.js';
import type { Candidate, Tier } from './interest.js';
import type { EncodedBody } from './replicator.js';

interface SentRecord {
  id: number;
  mask: number;
}

interface SentSnapshot {
  tick: number;
  records: SentRecord[];
}

/** What one client holds, entity by entity. */
export class InterestState {
  /** Acknowledged value tick per field, by entity (-1: never acknowledged). */
  readonly known = new Map<number, Int32Array>();
  /** Entities the client may hold: created in a snapshot sent to it and not removed since. */
  readonly present = new Set<number>();
  readonly priority = new Map<number, number>();
  readonly lastSent = new Map<number, number>();
  private readonly ring: (SentSnapshot | undefined)[];
  private head = 0;
  /** Next snapshot must be full (first one, or the client asked to start over). */
  fresh = true;

  constructor(capacity: number) {
    this.ring = new Array<SentSnapshot | undefined>(capacity);
  }

  sent(snapshot: SentSnapshot): void {
    this.ring[this.head] = snapshot;
    this.head = (this.head + 1) % this.ring.length;
  }

  /** The client acknowledged a snapshot: what it carried is now known. 0 starts over. */
  acknowledge(tick: number, fieldCount: (id: number) => number): void {
    if (tick === 0) {
      this.known.clear();
      this.present.clear();
      this.lastSent.clear();
      this.fresh = true;
      return;
    }
    const snap = this.ring.find((s) => s?.tick === tick);
    if (!snap) return;
    for (const r of snap.records) {
      if (!this.present.has(r.id)) continue; // removed since
      let k = this.known.get(r.id);
      if (!k) {
        const n = fieldCount(r.id);
        if (n < 0) continue;
        this.known.set(r.id, (k = new Int32Array(n).fill(-1)));
      }
      for (let f = 0; f < k.length; f++) if (r.mask & (1 << f) && k[f]! < tick) k[f] = tick;
    }
  }

  forget(id: number): void {
    this.known.delete(id);
    this.present.delete(id);
    this.priority.delete(id);
    this.lastSent.delete(id);
  }
}

interface Due {
  rec: EntityRecord;
  created: boolean;
  mask: number;
  priority: number;
  bits: number;
}

/** Encodes interest-managed bodies for one room. */
export class InterestEncoder {
  private readonly scratch = new BitWriter(256);
  private readonly w = new BitWriter(4096);
  private readonly body: SnapshotBodyWriter;
  private readonly masks = new Map<string, number>();
  private readonly periods: number[];
  private readonly weights: number[];

  constructor(
    private readonly protocol: GameProtocol,
    private readonly store: EntityStore,
    private readonly tiers: readonly Tier[],
    tickRate: number,
    private readonly budgetBits: number,
  ) {
    this.body = new SnapshotBodyWriter(this.w, protocol.entityTypeBits);
    this.periods = tiers.map((t) => (t.rate && t.rate > 0 ? Math.max(1, Math.round(tickRate / t.rate)) : 1));
    this.weights = tiers.map((t, i) => t.weight ?? 1 / 2 ** i);
  }

  /** The fields (as a mask) a tier sends for an entity type. */
  private allowed(type: EntityTypeInfo, tier: number): number {
    if (tier < 0) return -1;
    const key = `${type.index}:${tier}`;
    let m = this.masks.get(key);
    if (m === undefined) {
      const comps = this.tiers[tier]!.components;
      m = 0;
      for (const f of type.fields) if (!comps || comps.includes(f.component)) m |= 1 << f.index;
      this.masks.set(key, m);
    }
    return m;
  }

  /** Builds one client's body for `tick` and records what it sent. */
  encode(tick: number, state: InterestState, candidates: readonly Candidate[]): EncodedBody {
    const store = this.store;
    const relevant = new Set<number>();
    const due: Due[] = [];
    for (const c of candidates) {
      const rec = store.record(c.id);
      if (!rec || !rec.published) continue;
      relevant.add(c.id);
      const created = !state.present.has(c.id);
      const allowed = this.allowed(rec.type, c.tier);
      let mask = 0;
      if (created) mask = -1;
      else {
        if (c.tier >= 0 && tick - (state.lastSent.get(c.id) ?? -Infinity) < this.periods[c.tier]!) continue;
        const known = state.known.get(c.id);
        const ct = rec.changedTick;
        for (let f = 0; f < ct.length; f++) {
          if ((allowed & (1 << f)) !== 0 && ct[f]! > (known ? known[f]! : -1)) mask |= 1 << f;
        }
        if (mask === 0) continue;
      }
      // Own, channel and global entities, and newcomers, go first; the rest by tier and distance.
      const weight = created || c.tier < 0 ? 1e9 : this.weights[c.tier]! / (1 + Math.sqrt(c.d2) / (this.tiers[c.tier]!.radius || 1));
      const priority = (state.priority.get(c.id) ?? 0) + weight;
      state.priority.set(c.id, priority);
      due.push({ rec, created, mask, priority, bits: 0 });
    }

    const removed: number[] = [];
    for (const id of state.present) if (!relevant.has(id)) removed.push(id);
    removed.sort((a, b) => a - b);
    for (const id of removed) state.forget(id);

    // Spend the budget on the highest priorities; what does not fit waits with its priority kept.
    let chosen = due;
    if (this.budgetBits > 0) {
      due.sort((a, b) => b.priority - a.priority);
      chosen = [];
      let used = 0;
      for (const d of due) {
        d.bits = this.measure(d, tick);
        if (used + d.bits > this.budgetBits && chosen.length > 0 && d.priority < 1e9) continue;
        used += d.bits;
        chosen.push(d);
      }
    }
    chosen.sort((a, b) => a.rec.id - b.rec.id);

    const full = state.fresh;
    state.fresh = false;
    const w = this.w.reset();
    const typeBits = this.protocol.entityTypeBits;
    this.body.begin(tick, full ? 0 : Math.max(1, tick - 1), full ? [] : removed, chosen.length);
    const records: SentRecord[] = [];
    for (const d of chosen) {
      const rec = d.rec;
      this.body.recordHeader(rec.id, d.created);
      if (d.created) writeFullFields(w, typeBits, rec.type, rec.wire, rec.rates, rec.keyTick, tick);
      else writeChangedFields(w, rec.type, d.mask >>> 0, rec.wire, rec.rates, rec.keyTick, tick);
      records.push({ id: rec.id, mask: d.mask });
      state.present.add(rec.id);
      state.priority.set(rec.id, 0);
      state.lastSent.set(rec.id, tick);
    }
    state.sent({ tick, records });
    return { bytes: w.toBytes(), bits: w.bitLength, baselineTick: full ? 0 : tick - 1 };
  }

  private measure(d: Due, tick: number): number {
    const s = this.scratch.reset();
    s.writeGamma(0);
    s.writeBool(d.created);
    if (d.created) writeFullFields(s, this.protocol.entityTypeBits, d.rec.type, d.rec.wire, d.rec.rates, d.rec.keyTick, tick);
    else writeChangedFields(s, d.rec.type, d.mask >>> 0, d.rec.wire, d.rec.rates, d.rec.keyTick, tick);
    return s.bitLength;
  }
}
