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
import { grown } from './candidates.js';
import type { EntityRecord, EntityRecords } from './entity-store.js';
import type { Candidates, Tier } from './interest.js';
import type { EncodedBody } from './replicator.js';
import { CREATED, HeldTable } from './held-table.js';

/**
 * What one snapshot sent to one client carried, to apply when it is acknowledged: per record the
 * entity, the stay it was for, the fields it carried and whether it was a creation; and the
 * pending removals it carried. Overwritten in place when its ring slot is reused.
 */
class SentSnapshot {
  tick = -1;
  generation = -1;
  full = false;
  records = 0;
  ids = new Uint32Array(16);
  stays = new Int32Array(16);
  masks = new Int32Array(16);
  created = new Uint8Array(16);
  removals = 0;
  removedIds = new Uint32Array(4);
  removedStays = new Int32Array(4);

  record(id: number, stay: number, mask: number, created: boolean): void {
    const i = this.records++;
    if (i === this.ids.length) {
      this.ids = grown(this.ids, new Uint32Array(i * 2));
      this.stays = grown(this.stays, new Int32Array(i * 2));
      this.masks = grown(this.masks, new Int32Array(i * 2));
      this.created = grown(this.created, new Uint8Array(i * 2));
    }
    this.ids[i] = id;
    this.stays[i] = stay;
    this.masks[i] = mask;
    this.created[i] = created ? 1 : 0;
  }

  removal(id: number, stay: number): void {
    const i = this.removals++;
    if (i === this.removedIds.length) {
      this.removedIds = grown(this.removedIds, new Uint32Array(i * 2));
      this.removedStays = grown(this.removedStays, new Int32Array(i * 2));
    }
    this.removedIds[i] = id;
    this.removedStays[i] = stay;
  }
}

/** What one client holds, entity by entity. */
export class InterestState {
  /** Entities in the client's view (created in a snapshot sent to it, not removed since). */
  readonly held: HeldTable;
  /** Entities that left the view and whose removal no acknowledged snapshot has carried yet: id to stay. */
  readonly removals = new Map<number, number>();
  // Snapshots sit in the slot their tick names and are reused in place: no allocation per send.
  // With sent baselines a snapshot is settled as it is sent, so one slot serves (slot 0), and the
  // others are made only if the connection moves to acknowledged baselines.
  private readonly ring: (SentSnapshot | undefined)[];
  /** Bumped when the client starts over: acks of snapshots sent before count for nothing. */
  private generation = 0;
  /** Numbers the stays: each entity entering the view gets the next. */
  private stays = 0;
  /** Newest tick of a snapshot whose ring slot was reused for a later one. */
  private evicted = 0;
  /** Newest acknowledged tick since the last start-over (0: none): the baseline on the wire. */
  ackedTick = 0;
  /** Snapshots sent since the newest acknowledgement arrived. */
  unacked = 0;
  /** Every snapshot is full until the client acknowledges one (joined, or started over). */
  full = true;
  private acknowledged = false;
  /** A view digest is due: it goes out with the first snapshot after which the client's view is sure. */
  digestOwed = false;

  /**
   * `fields`: the most fields any entity type of the protocol has; `digests`: keep the view
   * digest (the room sends one).
   */
  constructor(
    readonly capacity: number,
    fields: number,
    digests = false,
  ) {
    this.ring = new Array<SentSnapshot | undefined>(capacity);
    this.held = new HeldTable(fields, digests);
  }

  /**
   * What the client holds is known only from its acknowledgements (the link may lose frames).
   * Otherwise (a reliable, ordered link) each snapshot counts as held as soon as it is sent, and
   * the client's own acks are not needed; an ACK of 0 switches to acknowledgements for good.
   */
  get acknowledgedBaselines(): boolean {
    return this.acknowledged;
  }

  set acknowledgedBaselines(on: boolean) {
    this.acknowledged = on;
    if (on) this.held.trackSent();
  }

  /** A new stay of `id` in the view. Returns its slot. */
  enter(id: number): number {
    this.removals.delete(id);
    return this.held.insert(id, ++this.stays);
  }

  private slot(tick: number): number {
    return this.acknowledgedBaselines ? tick % this.ring.length : 0;
  }

  /** The ring slot for a snapshot being sent at `tick`, emptied and stamped. */
  sending(tick: number, full: boolean): SentSnapshot {
    const slot = this.slot(tick);
    const s = (this.ring[slot] ??= new SentSnapshot());
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
    const snap = this.ring[this.slot(tick)];
    if (!snap || snap.tick !== tick || snap.generation !== this.generation) return;
    if (this.full) {
      // Only a full snapshot ends the full ones, and only while every one sent after it is known.
      if (!snap.full || tick <= this.evicted) return;
      this.settle(tick);
    }
    if (tick > this.ackedTick) {
      this.ackedTick = tick;
      this.unacked = 0;
    }
    const held = this.held;
    for (let i = 0; i < snap.records; i++) {
      const slot = held.find(snap.ids[i]!);
      // Left the view (or came back as a new stay) since: nothing to learn.
      if (slot < 0 || held.stay[slot] !== snap.stays[i]) continue;
      if (snap.created[i]) held.createdAcked(slot);
      // Visit the mask's set bits only: the lowest set bit, then clear it.
      for (let m = snap.masks[i]!; m !== 0; m &= m - 1) held.learned(slot, 31 - Math.clz32(m & -m), tick);
    }
    for (let i = 0; i < snap.removals; i++) {
      const id = snap.removedIds[i]!;
      if (this.removals.get(id) === snap.removedStays[i]) this.removals.delete(id);
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
      if (!s || s.generation !== this.generation || s.tick < tick) continue;
      for (let i = 0; i < s.records; i++) {
        const id = s.ids[i]!;
        if (this.held.find(id) < 0 && !this.removals.has(id)) this.removals.set(id, s.stays[i]!);
      }
    }
  }
}

/** One client's body, and the view digest it may carry. */
export interface InterestBody extends EncodedBody {
  /** What the client holds once it has applied this snapshot, if that is sure and a digest is due. */
  digest: number | undefined;
}

interface Due {
  rec: EntityRecord;
  /** Its slot in the client's held table, -1 for an entity entering the view. */
  slot: number;
  /** A creation (new stay, or one whose creation is not acknowledged yet). */
  create: boolean;
  mask: number;
  priority: number;
  /** Where its encoded record is in the encoder's shared writer: byte offset and bits. */
  at: number;
  bits: number;
}

/** Encodes interest-managed bodies for one room. */
export class InterestEncoder {
  private readonly w = new BitWriter(4096);
  /** Every record encoded this snapshot tick, each from a byte boundary (see EntityRecord.encoded). */
  private readonly records = new BitWriter(16384);
  private recordsTick = -1;
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
  private order = new Float64Array(256);
  private readonly removedIds: number[] = [];
  private readonly out: { bytes: Uint8Array; bits: number; baselineTick: number; full: boolean; digest: number | undefined } = {
    bytes: new Uint8Array(0),
    bits: 0,
    baselineTick: 0,
    full: false,
    digest: undefined,
  };
  private readonly weights: number[];

  constructor(
    private readonly protocol: GameProtocol,
    private readonly store: EntityRecords,
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

  private nextDue(rec: EntityRecord, slot: number, create: boolean, mask: number, priority: number): Due {
    const n = this.due.length;
    let d = this.duePool[n];
    if (!d) this.duePool.push((d = { rec, slot, create, mask, priority, bits: 0, at: 0 }));
    else {
      d.rec = rec;
      d.slot = slot;
      d.create = create;
      d.mask = mask;
      d.priority = priority;
      d.bits = 0;
      d.at = 0;
    }
    this.due.push(d);
    return d;
  }

  /**
   * Finds or writes the record a due entry needs (everything after its id gap and created bit),
   * encoded once per snapshot tick for every client that needs the same fields of the same entity.
   * Sets `d.at` and `d.bits` to where it is in the shared writer.
   */
  private encoded(d: Due, tick: number): void {
    const rec = d.rec;
    const cache = rec.encoded;
    if (rec.encodedTick !== tick) {
      rec.encodedTick = tick;
      cache.length = 0;
    }
    // A creation and an update with the same mask are different records: the key tells them apart.
    const key = (d.mask >>> 0) + (d.create ? 0x100000000 : 0);
    for (let i = 0; i < cache.length; i += 3) {
      if (cache[i] === key) {
        d.at = cache[i + 1]!;
        d.bits = cache[i + 2]!;
        return;
      }
    }
    const w = this.records;
    const at = w.byteLength;
    const start = at * 8;
    if (d.create) writeCreatedFields(w, this.protocol.entityTypeBits, rec.type, d.mask, rec.wire, rec.rates, rec.keyTick, tick);
    else writeChangedFields(w, rec.type, d.mask >>> 0, rec.wire, rec.rates, rec.keyTick, tick);
    const bits = w.bitLength - start;
    w.align();
    cache.push(key, at, bits);
    d.at = at;
    d.bits = bits;
  }

  /**
   * Builds one client's body for `tick` and records what it sent. The body's bytes are valid
   * until the next call: copy them into the frame before encoding the next client's.
   *
   * With `digest`, a view digest is due: the body's `digest` is what the client holds once it
   * has applied this snapshot, or undefined while that is not sure yet (a snapshot it may have
   * missed carried something this one does not), and then it goes out with a later one. Over a
   * link that may lose snapshots, what is unsure and allowed is sent again with the body that
   * owes the digest, so it is sure (docs/protocol.md 8.6).
   */
  encode(tick: number, state: InterestState, candidates: Candidates, digest = false): InterestBody {
    const store = this.store;
    const stamp = ++this.stamp;
    if (this.recordsTick !== tick) {
      this.recordsTick = tick;
      this.records.reset();
    }
    const due = this.due;
    due.length = 0;
    // Acks stopped for as many snapshots as the history holds (or take longer than that to come
    // back): start over rather than pile up pending removals.
    if (!state.full && state.unacked >= state.capacity) state.startOver();
    const full = state.full;
    const held = state.held;
    // A full snapshot names every entity in the view afresh: each one starts a new stay.
    if (full) held.clear();
    held.reserve(candidates.count);
    const fields = held.fields;
    const known = held.known;
    const budgeted = this.budgetBits > 0;
    const { ids, tiers, d2 } = candidates;
    if (digest) state.digestOwed = true;
    // The body owing a digest sends what is unsure again, due or not (acknowledged baselines only).
    const settle = state.digestOwed && held.unsureTotal > 0;
    let seen = 0;
    for (let c = 0; c < candidates.count; c++) {
      const id = ids[c]!;
      const tier = tiers[c]!;
      const slot = held.find(id);
      const unsure = settle && slot >= 0 && held.unsure[slot]! > 0;
      // A held entity of a slower tier that is not due yet costs nothing more: grid candidates are
      // live (the grid is rebuilt from the live entities every snapshot), so its record need not
      // be read. Tier -1 entities (own, channel, global) are checked below, as they may be gone.
      if (slot >= 0 && tier >= 0 && tick - held.lastSent[slot]! < this.periods[tier]! && !unsure) {
        held.seen[slot] = stamp;
        seen++;
        continue;
      }
      const rec = candidates.recs[c] ?? store.record(id);
      if (!rec || !rec.alive || !rec.published) continue;
      if (slot >= 0) {
        held.seen[slot] = stamp;
        seen++;
      }
      const ti = rec.type.index;
      const allowed = tier < 0 ? this.allMasks[ti]! : this.masks[ti]![tier]!;
      let create = true;
      let mask = allowed;
      if (slot >= 0) {
        if ((held.flags[slot]! & CREATED) !== 0) {
          create = false;
          mask = 0;
          // Unchanged since an encode found every allowed field known: nothing to compare.
          // (Sound because a tick's changes are published before its encodes, ticks only
          // grow, and `known` only grows during a stay: see HeldTable.cleanAt.)
          if (rec.lastChange > held.cleanAt[slot]! || (allowed & ~held.cleanMask[slot]!) !== 0) {
            const ct = rec.changedTick;
            const base = slot * fields;
            // The allowed fields only: the lowest set bit, then clear it.
            for (let m = allowed; m !== 0; m &= m - 1) {
              const f = 31 - Math.clz32(m & -m);
              if (ct[f]! > known[base + f]!) mask |= 1 << f;
            }
            if (mask === 0) {
              held.cleanAt[slot] = tick;
              held.cleanMask[slot] = allowed;
            }
          }
          // Owing a digest: fields sent again since the value the client acknowledged go once
          // more, whatever the tier allows now (the client holds them already; a creation sent
          // again does the same), so this body leaves nothing unsure.
          if (unsure) mask |= held.unsureFields(slot);
          if (mask === 0) continue;
        } else mask |= held.createMask[slot]!;
      }
      let priority = 0;
      if (budgeted) {
        // Own, channel and global entities, and creations, go first; the rest by tier and distance.
        const weight = create || tier < 0 || unsure ? 1e9 : this.weights[tier]! / (1 + d2[c]! / (this.tiers[tier]!.radius ** 2 || 1));
        priority = (slot >= 0 ? held.priority[slot]! : 0) + weight;
        if (slot >= 0) held.priority[slot] = priority;
      }
      this.nextDue(rec, slot, create, mask, priority);
    }

    // Whatever was held and is not relevant now leaves the view: its removal is pending. (When
    // every held entity was among the candidates, none left: most snapshots skip the scan.)
    for (let slot = 0; seen < held.size && slot < held.capacity; slot++) {
      if (!held.isEntry(slot) || held.seen[slot] === stamp) continue;
      state.removals.set(held.keys[slot]!, held.stay[slot]!);
      held.delete(slot);
    }

    // Spend the budget on the highest priorities; what does not fit waits with its priority kept.
    // Sizes come from the shared encodings: nothing is encoded twice.
    let chosen = due;
    if (budgeted) {
      due.sort((a, b) => b.priority - a.priority);
      chosen = this.chosen;
      chosen.length = 0;
      let used = 0;
      for (const d of due) {
        this.encoded(d, tick);
        // The id gap and created bit, at their smallest (two bits), are part of the cost.
        const cost = d.bits + 2;
        if (used + cost > this.budgetBits && chosen.length > 0 && d.priority < 1e9) continue;
        used += cost;
        chosen.push(d);
      }
    } else for (const d of due) this.encoded(d, tick);
    const count = this.sortById(chosen);

    // What the client may hold otherwise than sent, and this body does not carry again: while
    // anything is, the digest waits. (New stays are created by this body: sure.)
    let unsettled = held.unsureTotal;
    if (state.digestOwed && unsettled > 0) for (const d of chosen) if (d.slot >= 0) unsettled -= held.settles(d.slot, d.mask, d.create);

    // New stays: an entity that comes back before its removal was acknowledged needs no removal,
    // as its creation replaces what the client holds.
    for (const d of chosen) {
      if (d.slot < 0) {
        d.slot = state.enter(d.rec.id);
        held.seen[d.slot] = stamp;
      }
    }

    const sent = state.sending(tick, full);
    const removed = this.removedIds;
    removed.length = 0;
    if (!full) {
      for (const [id, stay] of state.removals) {
        sent.removal(id, stay);
        removed.push(id);
      }
      if (removed.length > 1) removed.sort((a, b) => a - b);
    }

    const w = this.w.reset();
    const baselineTick = full ? 0 : state.ackedTick;
    this.body.begin(tick, baselineTick, removed, count);
    const order = this.order;
    for (let k = 0; k < count; k++) {
      const d = chosen[order[k]! % 65536]!;
      const slot = d.slot;
      this.body.recordHeader(d.rec.id, d.create);
      if (d.create) held.createMask[slot]! |= d.mask;
      held.carried(slot, d.rec, d.mask, d.create, tick);
      w.appendFrom(this.records, d.at, d.bits);
      sent.record(d.rec.id, held.stay[slot]!, d.mask, d.create);
      held.priority[slot] = 0;
      held.lastSent[slot] = tick;
    }
    state.delivered(tick);
    const out = this.out;
    out.bytes = w.view();
    out.bits = w.bitLength;
    out.baselineTick = baselineTick;
    out.full = full;
    out.digest = undefined;
    if (state.digestOwed && unsettled === 0) {
      state.digestOwed = false;
      out.digest = held.digest;
    }
    return out;
  }

  /**
   * Puts the chosen records' indexes in id order into `order` (as id * 65536 + index, sorted as
   * numbers: a native sort with no comparator calls). Returns how many there are.
   */
  private sortById(chosen: readonly Due[]): number {
    const n = chosen.length;
    if (n > 65536) throw new RangeError(`${n} records for one client in one snapshot`);
    if (this.order.length < n) this.order = new Float64Array(Math.max(n, this.order.length * 2));
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = chosen[i]!.rec.id * 65536 + i;
    if (n > 64) {
      order.subarray(0, n).sort();
      return n;
    }
    // A client's few records: an insertion sort, in place, allocates nothing (they mostly come
    // from the grid in runs of cells, so partly in order already).
    for (let i = 1; i < n; i++) {
      const v = order[i]!;
      let j = i - 1;
      while (j >= 0 && order[j]! > v) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = v;
    }
    return n;
  }
}
