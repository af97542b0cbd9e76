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

/** What one client holds of one entity. */
export interface HeldEntity {
  /** Acknowledged value tick per field (null until the creation is acknowledged). */
  known: Int32Array | null;
  /** Accumulated priority while due and left out by the budget. */
  priority: number;
  /** Last tick a record for it was sent. */
  lastSent: number;
  /** Snapshot stamp: marks the entities relevant in the current encode. */
  seen: number;
}

/** What one client holds, entity by entity. */
export class InterestState {
  /** Entities the client may hold: created in a snapshot sent to it and not removed since. */
  readonly held = new Map<number, HeldEntity>();
  private readonly ring: (SentSnapshot | undefined)[];
  /** Next snapshot must be full (first one, or the client asked to start over). */
  fresh = true;

  constructor(capacity: number) {
    this.ring = new Array<SentSnapshot | undefined>(capacity);
  }

  /** Ring slot of a tick: snapshots go where their tick says, so an ack finds its own at once. */
  private slot(tick: number): number {
    return tick % this.ring.length;
  }

  sent(snapshot: SentSnapshot): void {
    this.ring[this.slot(snapshot.tick)] = snapshot;
  }

  /** The client acknowledged a snapshot: what it carried is now known. 0 starts over. */
  acknowledge(tick: number, fieldCount: (id: number) => number): void {
    if (tick === 0) {
      this.held.clear();
      this.fresh = true;
      return;
    }
    const snap = this.ring[this.slot(tick)];
    if (!snap || snap.tick !== tick) return;
    for (const r of snap.records) {
      const h = this.held.get(r.id);
      if (!h) continue; // removed since
      let k = h.known;
      if (!k) {
        const n = fieldCount(r.id);
        if (n < 0) continue;
        h.known = k = new Int32Array(n).fill(-1);
      }
      for (let f = 0; f < k.length; f++) if (r.mask & (1 << f) && k[f]! < tick) k[f] = tick;
    }
  }
}

interface Due {
  rec: EntityRecord;
  held: HeldEntity | undefined;
  mask: number;
  priority: number;
  bits: number;
}

/** Encodes interest-managed bodies for one room. */
export class InterestEncoder {
  private readonly scratch = new BitWriter(256);
  private readonly w = new BitWriter(4096);
  private readonly body: SnapshotBodyWriter;
  /** Fields each tier sends, by entity type index then tier. */
  private readonly masks: number[][];
  private readonly periods: number[];
  private stamp = 0;
  private readonly due: Due[] = [];
  private readonly weights: number[];

  constructor(
    private readonly protocol: GameProtocol,
    private readonly store: EntityStore,
    private readonly tiers: readonly Tier[],
    tickRate: number,
    private readonly budgetBits: number,
  ) {
    this.body = new SnapshotBodyWriter(this.w, protocol.entityTypeBits);
    this.masks = protocol.entityTypes.map((type) => tiers.map((t) => this.tierMask(type, t)));
    this.periods = tiers.map((t) => (t.rate && t.rate > 0 ? Math.max(1, Math.round(tickRate / t.rate)) : 1));
    this.weights = tiers.map((t, i) => t.weight ?? 1 / 2 ** i);
  }

  /** The fields (as a mask) a tier sends for an entity type. */
  private tierMask(type: EntityTypeInfo, tier: Tier): number {
    let m = 0;
    for (const f of type.fields) if (!tier.components || tier.components.includes(f.component)) m |= 1 << f.index;
    return m;
  }

  /** Builds one client's body for `tick` and records what it sent. */
  encode(tick: number, state: InterestState, candidates: readonly Candidate[]): EncodedBody {
    const store = this.store;
    const stamp = ++this.stamp;
    const due = this.due;
    due.length = 0;
    for (const c of candidates) {
      const rec = store.record(c.id);
      if (!rec || !rec.published) continue;
      const held = state.held.get(c.id);
      let mask = -1;
      if (held) {
        held.seen = stamp;
        if (c.tier >= 0 && tick - held.lastSent < this.periods[c.tier]!) continue;
        const allowed = c.tier < 0 ? -1 : this.masks[rec.type.index]![c.tier]!;
        const known = held.known;
        const ct = rec.changedTick;
        mask = 0;
        for (let f = 0; f < ct.length; f++) {
          if ((allowed & (1 << f)) !== 0 && ct[f]! > (known ? known[f]! : -1)) mask |= 1 << f;
        }
        if (mask === 0) continue;
      }
      // Own, channel and global entities, and newcomers, go first; the rest by tier and distance.
      const weight = !held || c.tier < 0 ? 1e9 : this.weights[c.tier]! / (1 + c.d2 / (this.tiers[c.tier]!.radius ** 2 || 1));
      const priority = (held ? held.priority : 0) + weight;
      if (held) held.priority = priority;
      due.push({ rec, held, mask, priority, bits: 0 });
    }

    const removed: number[] = [];
    for (const [id, h] of state.held) {
      if (h.seen === stamp) continue;
      removed.push(id);
      state.held.delete(id);
    }
    removed.sort((a, b) => a - b);

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
      const created = d.held === undefined;
      this.body.recordHeader(rec.id, created);
      if (created) writeFullFields(w, typeBits, rec.type, rec.wire, rec.rates, rec.keyTick, tick);
      else writeChangedFields(w, rec.type, d.mask >>> 0, rec.wire, rec.rates, rec.keyTick, tick);
      records.push({ id: rec.id, mask: d.mask });
      if (d.held) {
        d.held.priority = 0;
        d.held.lastSent = tick;
      } else state.held.set(rec.id, { known: null, priority: 0, lastSent: tick, seen: stamp });
    }
    state.sent({ tick, records });
    return { bytes: w.toBytes(), bits: w.bitLength, baselineTick: full ? 0 : tick - 1 };
  }

  private measure(d: Due, tick: number): number {
    const s = this.scratch.reset();
    s.writeGamma(0);
    s.writeBool(d.held === undefined);
    if (d.held === undefined) writeFullFields(s, this.protocol.entityTypeBits, d.rec.type, d.rec.wire, d.rec.rates, d.rec.keyTick, tick);
    else writeChangedFields(s, d.rec.type, d.mask >>> 0, d.rec.wire, d.rec.rates, d.rec.keyTick, tick);
    return s.bitLength;
  }
}
