/**
 * Snapshots for interest-managed rooms: every client sees its own subset of entities, at its own
 * rates and field sets, within a byte budget.
 *
 * A client here cannot share a body with anyone, and what it holds of an entity is partial
 * (a mid-tier entity's shields but not its systems), so instead of one baseline per snapshot it
 * is tracked per entity and field: the tick of the value the client acknowledged. The rules
 * that make this safe over a network that loses, repeats and reorders snapshots and acks (the
 * client applies a snapshot only if it is newer than the last one it applied, to its newest
 * state; docs/protocol.md 8.5):
 *
 * - Until the client acknowledges a snapshot that created an entity, every record for it is a
 *   creation (which replaces whatever the client holds under that id); only then do updates
 *   follow. A creation carries the fields of the entity's tier, plus any field an earlier
 *   creation of the same stay carried, so a creation that overtakes an acknowledged one never
 *   takes a field away.
 * - An entity that leaves the view stays on a pending-removal list, sent in every snapshot,
 *   until a snapshot carrying its removal is acknowledged. One that comes back before that is a
 *   new stay, created again; its creation replaces the old one on the client.
 * - Acknowledgements are applied only to the stay they were sent for (each stay is an object of
 *   its own), in any order.
 * - After joining, an ack of 0, or acks that stopped for longer than the history, every snapshot
 *   is full (the client keeps only what it names) until the client acknowledges one. The client
 *   then holds exactly one of the full snapshots sent since that one: what any of them named and
 *   is not in the view now becomes a pending removal. This also bounds what a client that never
 *   acknowledges costs: no pending removals pile up for it.
 *
 * When the budget is tight, due records compete by accumulated priority: a record left out
 * gains priority until it is sent, so the scene degrades evenly.
 */
import { BitWriter, SnapshotBodyWriter, allFieldsMask, writeChangedFields, writeCreatedFields, type EntityTypeInfo, type GameProtocol } from '@tickwire/protocol';
import type { EntityRecord, EntityStore } from './entity-store.js';
import type { Candidate, Tier } from './interest.js';
import type { EncodedBody } from './replicator.js';

/** What one client holds of one entity during one stay in its view. */
export class HeldEntity {
  /** Per field: tick of the newest value the client acknowledged (-1: none). */
  readonly known: Int32Array;
  /** A snapshot that created this stay was acknowledged: records may be updates now. */
  created = false;
  /** Fields this stay's creation records carried so far (a later creation carries them too). */
  createMask = 0;
  /** Accumulated priority while due and left out by the budget. */
  priority = 0;
  /** Last tick a record for it was sent. */
  lastSent = 0;
  /** Snapshot stamp: marks the entities relevant in the current encode. */
  seen = 0;

  constructor(
    readonly id: number,
    fieldCount: number,
  ) {
    this.known = new Int32Array(fieldCount).fill(-1);
  }
}

/**
 * What one snapshot sent to one client carried, to apply when it is acknowledged. Its arrays are
 * overwritten in place, up to the counts, each time its ring slot is reused: no garbage per send.
 */
class SentSnapshot {
  tick = -1;
  generation = -1;
  full = false;
  /** Per record: the stay it was for, the fields it carried, and whether it was a creation. */
  records = 0;
  readonly held: HeldEntity[] = [];
  readonly masks: number[] = [];
  readonly created: boolean[] = [];
  /** The pending removals it carried (a full snapshot carries them implicitly). */
  removals = 0;
  readonly removed: HeldEntity[] = [];

  record(h: HeldEntity, mask: number, created: boolean): void {
    const i = this.records++;
    this.held[i] = h;
    this.masks[i] = mask;
    this.created[i] = created;
  }

  removal(h: HeldEntity): void {
    this.removed[this.removals++] = h;
  }
}

/** What one client holds, entity by entity. */
export class InterestState {
  /** Entities in the client's view (created in a snapshot sent to it, not removed since). */
  readonly held = new Map<number, HeldEntity>();
  /** Entities that left the view and whose removal no acknowledged snapshot has carried yet. */
  readonly removals = new Map<number, HeldEntity>();
  // Snapshots sit in the slot their tick names and are reused in place: no allocation per send.
  private readonly ring: SentSnapshot[];
  /** Bumped when the client starts over: acks of snapshots sent before count for nothing. */
  private generation = 0;
  /** Newest tick of a snapshot whose ring slot was reused for a later one. */
  private evicted = 0;
  /** Newest acknowledged tick since the last start-over (0: none): the baseline on the wire. */
  ackedTick = 0;
  /** Snapshots sent since the newest acknowledgement arrived. */
  unacked = 0;
  /** Every snapshot is full until the client acknowledges one (joined, or started over). */
  full = true;
  /**
   * What the client holds is known only from its acknowledgements (the link may lose frames).
   * Otherwise (a reliable, ordered link) each snapshot counts as held as soon as it is sent, and
   * the client's own acks are not needed; an ACK of 0 switches to acknowledgements for good.
   */
  acknowledgedBaselines = false;

  constructor(readonly capacity: number) {
    this.ring = Array.from({ length: capacity }, () => new SentSnapshot());
  }

  /** The ring slot for a snapshot being sent at `tick`, emptied and stamped. */
  sending(tick: number, full: boolean): SentSnapshot {
    const s = this.ring[tick % this.ring.length]!;
    if (s.tick > this.evicted) this.evicted = s.tick;
    this.unacked++;
    s.tick = tick;
    s.generation = this.generation;
    s.full = full;
    s.records = 0;
    s.removals = 0;
    return s;
  }

  /**
   * The client acknowledged a snapshot: what it carried is now known, for the stays it was
   * sent for. Acks may come in any order, twice, or never. 0 starts over.
   */
  acknowledge(tick: number): void {
    if (tick === 0) {
      this.startOver();
      this.acknowledgedBaselines = true;
      return;
    }
    if (!this.acknowledgedBaselines) return;
    this.apply(tick);
  }

  /** A snapshot sent over a reliable link: the client will hold it before the next one arrives. */
  delivered(tick: number): void {
    if (!this.acknowledgedBaselines) this.apply(tick);
  }

  private apply(tick: number): void {
    const snap = this.ring[tick % this.ring.length]!;
    if (snap.tick !== tick || snap.generation !== this.generation) return;
    if (this.full) {
      // Only a full snapshot ends the full ones, and only while every one sent after it is known.
      if (!snap.full || tick <= this.evicted) return;
      this.settle(tick);
    }
    if (tick > this.ackedTick) {
      this.ackedTick = tick;
      this.unacked = 0;
    }
    const { held, masks, created } = snap;
    for (let i = 0; i < snap.records; i++) {
      const h = held[i]!;
      if (this.held.get(h.id) !== h) continue; // left the view (or came back as a new stay) since
      if (created[i]) h.created = true;
      const known = h.known;
      // Visit the mask's set bits only: the lowest set bit, then clear it.
      for (let m = masks[i]!; m !== 0; m &= m - 1) {
        const f = 31 - Math.clz32(m & -m);
        if (known[f]! < tick) known[f] = tick;
      }
    }
    for (let i = 0; i < snap.removals; i++) {
      const r = snap.removed[i]!;
      if (this.removals.get(r.id) === r) this.removals.delete(r.id);
    }
  }

  /**
   * The client lost its state, resumed, or stopped acknowledging: send full snapshots until it
   * acknowledges one. What it held so far no longer matters, as a full snapshot replaces it all.
   */
  startOver(): void {
    this.generation++;
    this.ackedTick = 0;
    this.unacked = 0;
    this.full = true;
    this.held.clear();
    this.removals.clear();
  }

  /**
   * The client acknowledged full snapshot `tick`. Only full ones were sent since, and it applies
   * only newer ones, so it holds exactly one of them: whatever any of them named and the view no
   * longer has must be removed. (What the view has is being created again: every stay since the
   * last full one is new.)
   */
  private settle(tick: number): void {
    this.full = false;
    for (const s of this.ring) {
      if (s.generation !== this.generation || s.tick < tick) continue;
      for (let i = 0; i < s.records; i++) {
        const h = s.held[i]!;
        if (!this.held.has(h.id) && !this.removals.has(h.id)) this.removals.set(h.id, h);
      }
    }
  }
}

interface Due {
  rec: EntityRecord;
  held: HeldEntity | undefined;
  /** A creation (new stay, or one whose creation is not acknowledged yet). */
  create: boolean;
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
  private readonly allMasks: number[];
  private readonly periods: number[];
  private stamp = 0;
  // Per-encode scratch, reused for every client: the hot path allocates nothing per record.
  private readonly duePool: Due[] = [];
  private readonly due: Due[] = [];
  private readonly chosen: Due[] = [];
  private readonly removedIds: number[] = [];
  private readonly out: { bytes: Uint8Array; bits: number; baselineTick: number; full: boolean } = { bytes: new Uint8Array(0), bits: 0, baselineTick: 0, full: false };
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
    this.allMasks = protocol.entityTypes.map((type) => allFieldsMask(type));
    this.periods = tiers.map((t) => (t.rate && t.rate > 0 ? Math.max(1, Math.round(tickRate / t.rate)) : 1));
    this.weights = tiers.map((t, i) => t.weight ?? 1 / 2 ** i);
  }

  /** The fields (as a mask) a tier sends for an entity type. */
  private tierMask(type: EntityTypeInfo, tier: Tier): number {
    let m = 0;
    for (const f of type.fields) if (!tier.components || tier.components.includes(f.component)) m |= 1 << f.index;
    return m;
  }

  private nextDue(rec: EntityRecord, held: HeldEntity | undefined, create: boolean, mask: number, priority: number): Due {
    const n = this.due.length;
    let d = this.duePool[n];
    if (!d) this.duePool.push((d = { rec, held, create, mask, priority, bits: 0 }));
    else {
      d.rec = rec;
      d.held = held;
      d.create = create;
      d.mask = mask;
      d.priority = priority;
      d.bits = 0;
    }
    this.due.push(d);
    return d;
  }

  /**
   * Builds one client's body for `tick` and records what it sent. The body's bytes are valid
   * until the next call: copy them into the frame before encoding the next client's.
   */
  encode(tick: number, state: InterestState, candidates: readonly Candidate[]): EncodedBody {
    const store = this.store;
    const stamp = ++this.stamp;
    const due = this.due;
    due.length = 0;
    // Acks stopped for as many snapshots as the history holds (or take longer than that to come
    // back): start over rather than pile up pending removals.
    if (!state.full && state.unacked >= state.capacity) state.startOver();
    const full = state.full;
    // A full snapshot names every entity in the view afresh: each one starts a new stay.
    if (full) state.held.clear();
    for (const c of candidates) {
      const rec = store.record(c.id);
      if (!rec || !rec.published) continue;
      const held = state.held.get(c.id);
      if (held) {
        held.seen = stamp;
        if (c.tier >= 0 && tick - held.lastSent < this.periods[c.tier]!) continue;
      }
      const ti = rec.type.index;
      const allowed = c.tier < 0 ? this.allMasks[ti]! : this.masks[ti]![c.tier]!;
      let create = true;
      let mask = allowed;
      if (held) {
        if (held.created) {
          create = false;
          const known = held.known;
          const ct = rec.changedTick;
          mask = 0;
          for (let f = 0; f < ct.length; f++) if ((allowed & (1 << f)) !== 0 && ct[f]! > known[f]!) mask |= 1 << f;
          if (mask === 0) continue;
        } else mask |= held.createMask;
      }
      // Own, channel and global entities, and creations, go first; the rest by tier and distance.
      const weight = create || c.tier < 0 ? 1e9 : this.weights[c.tier]! / (1 + c.d2 / (this.tiers[c.tier]!.radius ** 2 || 1));
      const priority = (held ? held.priority : 0) + weight;
      if (held) held.priority = priority;
      this.nextDue(rec, held, create, mask, priority);
    }

    // Whatever was held and is not relevant now leaves the view: its removal is pending.
    for (const [id, h] of state.held) {
      if (h.seen === stamp) continue;
      state.held.delete(id);
      state.removals.set(id, h);
    }

    // Spend the budget on the highest priorities; what does not fit waits with its priority kept.
    let chosen = due;
    if (this.budgetBits > 0) {
      due.sort((a, b) => b.priority - a.priority);
      chosen = this.chosen;
      chosen.length = 0;
      let used = 0;
      for (const d of due) {
        d.bits = this.measure(d, tick);
        if (used + d.bits > this.budgetBits && chosen.length > 0 && d.priority < 1e9) continue;
        used += d.bits;
        chosen.push(d);
      }
    }
    chosen.sort((a, b) => a.rec.id - b.rec.id);

    // New stays: an entity that comes back before its removal was acknowledged needs no removal,
    // as its creation replaces what the client holds.
    for (const d of chosen) {
      if (d.held) continue;
      const h = new HeldEntity(d.rec.id, d.rec.type.fields.length);
      h.seen = stamp;
      d.held = h;
      state.held.set(h.id, h);
      state.removals.delete(h.id);
    }

    const sent = state.sending(tick, full);
    const removed = this.removedIds;
    removed.length = 0;
    if (!full) {
      for (const [id, h] of state.removals) {
        sent.removal(h);
        removed.push(id);
      }
      removed.sort((a, b) => a - b);
    }

    const w = this.w.reset();
    const typeBits = this.protocol.entityTypeBits;
    const baselineTick = full ? 0 : state.ackedTick;
    this.body.begin(tick, baselineTick, removed, chosen.length);
    for (const d of chosen) {
      const rec = d.rec;
      const h = d.held!;
      this.body.recordHeader(rec.id, d.create);
      if (d.create) {
        h.createMask |= d.mask;
        writeCreatedFields(w, typeBits, rec.type, d.mask, rec.wire, rec.rates, rec.keyTick, tick);
      } else writeChangedFields(w, rec.type, d.mask >>> 0, rec.wire, rec.rates, rec.keyTick, tick);
      sent.record(h, d.mask, d.create);
      h.priority = 0;
      h.lastSent = tick;
    }
    state.delivered(tick);
    const out = this.out;
    out.bytes = w.view();
    out.bits = w.bitLength;
    out.baselineTick = baselineTick;
    out.full = full;
    return out;
  }

  private measure(d: Due, tick: number): number {
    const s = this.scratch.reset();
    s.writeGamma(0);
    s.writeBool(d.create);
    if (d.create) writeCreatedFields(s, this.protocol.entityTypeBits, d.rec.type, d.mask, d.rec.wire, d.rec.rates, d.rec.keyTick, tick);
    else writeChangedFields(s, d.rec.type, d.mask >>> 0, d.rec.wire, d.rec.rates, d.rec.keyTick, tick);
    return s.bitLength;
  }
}
