/**
 * Per-client delta snapshots, against one of two baselines.
 *
 * Each client has a ring of the snapshots it was sent. Over a link that may lose frames, a
 * snapshot is a delta against the newest one the client acknowledged that is still in the ring
 * (Quake 3 / Gaffer style); with no such baseline it is full. Over a link that delivers every
 * frame in order (a WebSocket), the client will hold whatever was sent last by the time the next
 * snapshot arrives, so the delta is taken against the last snapshot *sent*: every client that
 * sees everything is then one tick behind the same baseline whatever its round trip, and they all
 * share one body. A client that finds a snapshot missing anyway (its baseline is newer than what
 * it holds) asks for a full one with an ACK of 0, and from then on gets acknowledged baselines.
 *
 * Bodies depend only on (baseline, view), so clients that see every entity and share a baseline
 * share one encoded body: the per-client cost is a header, a byte copy and the send.
 */
import {
  BitWriter,
  SnapshotBodyWriter,
  writeChangedFields,
  writeFullFields,
  type GameProtocol,
} from '@tickwire/protocol';
import type { EntityRecord, EntityRecords } from './entity-store.js';
import type { InterestState } from './interest-replicator.js';
import type { NetworkState } from './network-state.js';

export interface EncodedBody {
  readonly bytes: Uint8Array;
  readonly bits: number;
  /** The baseline written on the wire (0 for a full snapshot; see `full`). */
  readonly baselineTick: number;
  /** A full snapshot: the client drops whatever it does not name. */
  readonly full: boolean;
}

interface SentSnapshot {
  tick: number;
  ids: readonly number[];
}

/** What the server remembers about one client's view of the room. */
export class ClientView {
  private readonly ring: (SentSnapshot | undefined)[];
  /** Newest acknowledged tick still usable as a baseline; 0 = none. */
  ackedTick = 0;
  /** Per-client relevance only: tick since which each currently relevant entity has been sent. */
  readonly knownSince = new Map<number, number>();
  /** Interest-managed rooms: what the client holds, entity by entity. */
  interest: InterestState | undefined;
  lastSentIds: readonly number[] = [];
  /** Newest tick of a snapshot whose slot was reused for a later one (0: none yet). */
  private evicted = 0;
  /**
   * Deltas against acknowledged snapshots (the link may lose frames) rather than against the last
   * one sent. Set by the room from the room's setting and the connection; an ACK of 0 sets it for
   * the rest of the connection.
   */
  acknowledgedBaselines = false;

  constructor(readonly capacity: number) {
    this.ring = new Array<SentSnapshot | undefined>(capacity);
  }

  // Snapshots sit in the slot their tick names, so a lookup (every ack, every baseline) is one
  // read; the ring spans `capacity` ticks of history (more snapshots when not every tick sends one).
  // With sent baselines only the last one is ever read: it always takes slot 0.
  /** Sent baselines need only the last snapshot sent: one slot; acknowledged ones a ring. */
  private slot(tick: number): number {
    return this.acknowledgedBaselines ? tick % this.capacity : 0;
  }

  sent(tick: number, ids: readonly number[]): void {
    const slot = this.slot(tick);
    const old = this.ring[slot];
    if (old) {
      if (old.tick > this.evicted) this.evicted = old.tick;
      old.tick = tick;
      old.ids = ids;
    } else this.ring[slot] = { tick, ids };
    this.lastSentIds = ids;
    // In order and never lost: the next snapshot can build on this one already.
    if (!this.acknowledgedBaselines) this.ackedTick = tick;
  }

  find(tick: number): SentSnapshot | undefined {
    const s = this.ring[this.slot(tick)];
    return s && s.tick === tick ? s : undefined;
  }

  /** Sent snapshots at or after a tick. */
  *since(tick: number): IterableIterator<SentSnapshot> {
    for (const s of this.ring) if (s && s.tick >= tick) yield s;
  }

  /**
   * Records an acknowledgement. Only ticks that were really sent and are newer count; 0 asks
   * for a full snapshot (the client lost its state). Returns false for an ack to ignore.
   */
  acknowledge(tick: number): boolean {
    if (tick === 0) {
      // The client lost its state, or found a snapshot missing: a full snapshot next, and
      // acknowledged baselines from now on (a link that lost one frame may lose more).
      this.ackedTick = 0;
      this.acknowledgedBaselines = true;
      return true;
    }
    // Sent baselines need no acknowledgement: the last one sent is the baseline already.
    if (!this.acknowledgedBaselines) return false;
    if (tick <= this.ackedTick || !this.find(tick)) return false;
    this.ackedTick = tick;
    return true;
  }

  /**
   * The baseline for the next snapshot: the acked one if still in the ring, else none (full).
   * Every snapshot sent after it must be in the ring too (per-client relevance removes what any
   * of them may have given the client): with snapshots skipped for backpressure, the slot of a
   * later one can be reused while the baseline's survives.
   */
  baseline(): SentSnapshot | undefined {
    if (this.ackedTick === 0 || this.ackedTick <= this.evicted) return undefined;
    return this.find(this.ackedTick);
  }
}

/** Encodes snapshot bodies for one room; caches shared bodies for the current tick. */
export class SnapshotEncoder {
  private readonly w = new BitWriter(4096);
  private readonly body: SnapshotBodyWriter;
  private tick = -1;
  private readonly shared = new Map<number, EncodedBody>();
  private readonly records: EntityRecord[] = [];
  private readonly created: boolean[] = [];

  constructor(
    private readonly protocol: GameProtocol,
    private readonly store: EntityRecords,
    private readonly net: NetworkState,
  ) {
    this.body = new SnapshotBodyWriter(this.w, protocol.entityTypeBits);
  }

  /** Starts a new snapshot tick: forgets last tick's shared bodies. */
  beginTick(tick: number): void {
    this.tick = tick;
    this.shared.clear();
  }

  /** Body for a client that sees every entity, shared by all such clients with this baseline. */
  sharedBody(view: ClientView): EncodedBody {
    const base = view.baseline();
    const baseIds = base ? this.net.idsAt(base.tick) : undefined;
    const baselineTick = base && baseIds ? base.tick : 0;
    let body = this.shared.get(baselineTick);
    if (!body) {
      const removed = baselineTick === 0 ? [] : this.net.removedSince(baselineTick);
      body = this.encode(baselineTick, baseIds ?? [], this.net.ids, removed, null);
      this.shared.set(baselineTick, body);
    }
    view.sent(this.tick, this.net.ids);
    return body;
  }

  /** Body for a client with its own relevant set (ascending ids). Updates the view's bookkeeping. */
  filteredBody(view: ClientView, ids: readonly number[]): EncodedBody {
    const tick = this.tick;
    const prev = view.lastSentIds;
    const same = prev.length === ids.length && prev.every((x, i) => x === ids[i]);
    const now = same ? prev : ids;
    if (!same) {
      const current = new Set(now);
      for (const id of view.knownSince.keys()) if (!current.has(id)) view.knownSince.delete(id);
      for (const id of now) if (!view.knownSince.has(id)) view.knownSince.set(id, tick);
    }
    const base = view.baseline();
    const baselineTick = base ? base.tick : 0;
    let removed: number[] = [];
    if (base) {
      const seen = new Set<readonly number[]>();
      const gone = new Set<number>();
      for (const s of view.since(baselineTick)) {
        if (seen.has(s.ids)) continue;
        seen.add(s.ids);
        for (const id of s.ids) if (!view.knownSince.has(id)) gone.add(id);
      }
      removed = [...gone].sort((a, b) => a - b);
    }
    const body = this.encode(baselineTick, base ? base.ids : [], now, removed, view.knownSince);
    view.sent(tick, now);
    return body;
  }

  /**
   * Writes a body: removals, then a record per entity the client lacks (in full) or that
   * changed since the baseline (changed fields only). `knownSince` (per-client relevance)
   * marks entities that re-entered the view after the baseline as created.
   */
  private encode(
    baselineTick: number,
    baseIds: readonly number[],
    ids: readonly number[],
    removed: readonly number[],
    knownSince: Map<number, number> | null,
  ): EncodedBody {
    const records = this.records;
    const created = this.created;
    records.length = 0;
    created.length = 0;
    const store = this.store;
    const full = baselineTick === 0;
    let bi = 0;
    for (const id of ids) {
      const rec = store.record(id);
      if (!rec) continue;
      let isNew = full;
      if (!full) {
        while (bi < baseIds.length && baseIds[bi]! < id) bi++;
        isNew = bi >= baseIds.length || baseIds[bi] !== id;
        if (!isNew && knownSince) isNew = (knownSince.get(id) ?? 0) > baselineTick;
      }
      if (isNew || rec.lastChange > baselineTick) {
        records.push(rec);
        created.push(isNew);
      }
    }

    const w = this.w.reset();
    const typeBits = this.protocol.entityTypeBits;
    this.body.begin(this.tick, baselineTick, removed, records.length);
    for (let r = 0; r < records.length; r++) {
      const rec = records[r]!;
      const isNew = created[r]!;
      this.body.recordHeader(rec.id, isNew);
      if (isNew) {
        writeFullFields(w, typeBits, rec.type, rec.wire, rec.rates, rec.keyTick, this.tick);
      } else {
        let mask = 0;
        const ct = rec.changedTick;
        for (let i = 0; i < ct.length; i++) if (ct[i]! > baselineTick) mask |= 1 << i;
        writeChangedFields(w, rec.type, mask >>> 0, rec.wire, rec.rates, rec.keyTick, this.tick);
      }
    }
    return { bytes: w.toBytes(), bits: w.bitLength, baselineTick, full: baselineTick === 0 };
  }
}
