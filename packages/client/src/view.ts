/**
 * The client's replicated view of a room: entities by id, kept current by applying snapshot
 * bodies, with the change notifications the SDK turns into events.
 *
 * Snapshots may be lost, duplicated or overtaken on the way (a lossy transport, the network
 * conditioner), so the view applies a snapshot only if it is newer than the newest one applied,
 * and applies it to its newest state. The server builds every snapshot so that this is correct
 * whatever was lost: a delta carries the current value of each field changed since what the
 * client acknowledged, and removals of everything that left since then; in interest rooms each
 * entity is tracked on its own (docs/protocol.md 8.5). A full snapshot replaces the view; a
 * created record replaces the entity it names (a partial one leaves the other fields at their
 * defaults until they arrive).
 */
import {
  readSnapshotBody,
  type BitReader,
  type EntityTypeInfo,
  type GameProtocol,
  type SnapshotVisitor,
  type WireValue,
} from '@tickwire/protocol';
import { ClientEntity } from './client-entity.js';

export interface ViewChanges {
  added: ClientEntity[];
  changed: ClientEntity[];
  removed: ClientEntity[];
}

export class ReplicatedView implements SnapshotVisitor {
  readonly entities = new Map<number, ClientEntity>();
  /** Tick of the newest snapshot applied, and of the one before it. */
  tick = 0;
  previousTick = 0;
  private applyingTick = 0;
  /** Whether the last snapshot applied was full (no baseline). */
  full = false;
  /** After a resync request, deltas are refused until a full snapshot arrives. */
  needsFull = false;
  private seen = new Set<number>();
  private changes: ViewChanges = { added: [], changed: [], removed: [] };

  constructor(
    readonly protocol: GameProtocol,
    /** Record interpolation samples (turn off for headless bots). */
    private readonly sampling = true,
    /** Ticks between snapshots (tickRate / snapshotRate). */
    private readonly snapshotTicks = 1,
  ) {}

  /**
   * Applies a snapshot body; returns what changed. Throws ProtocolError if malformed. A snapshot
   * not newer than the newest applied (a duplicate, or one overtaken by a later one) changes
   * nothing and is left unread: applying it would roll the view back.
   */
  applySnapshot(r: BitReader, tick: number): ViewChanges {
    this.changes = { added: [], changed: [], removed: [] };
    if (tick <= this.tick) return this.changes;
    this.applyingTick = tick;
    this.seen.clear();
    readSnapshotBody(r, this.protocol, tick, this);
    if (this.full) {
      for (const [id, e] of this.entities) {
        if (!this.seen.has(id)) {
          this.entities.delete(id);
          this.changes.removed.push(e);
        }
      }
    }
    this.previousTick = this.tick;
    this.tick = tick;
    if (this.sampling) this.advanceLinear();
    return this.changes;
  }

  typeOf(id: number): EntityTypeInfo | undefined {
    return this.entities.get(id)?.type;
  }

  begin(full: boolean, baselineTick: number): void {
    if (this.needsFull && !full) throw new StaleSnapshot();
    // A delta built on a snapshot this view never applied (one was lost on the way): applying it
    // would leave whatever changed in the lost one unchanged here. Ask for a full snapshot.
    if (!full && baselineTick > this.tick) {
      this.needsFull = true;
      throw new StaleSnapshot();
    }
    if (full) this.needsFull = false;
    this.full = full;
  }

  remove(id: number): void {
    const e = this.entities.get(id);
    if (!e) return;
    this.entities.delete(id);
    this.changes.removed.push(e);
  }

  create(id: number, type: EntityTypeInfo, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[], mask = -1): void {
    this.seen.add(id);
    const existing = this.entities.get(id);
    if (existing && existing.type === type) {
      // Held already: a lost removal before it came back, or a creation sent again because its
      // acknowledgement had not arrived. Either way the record is the entity now.
      this.change(existing, -1, wire, rates, keyTicks, mask);
      return;
    }
    if (existing) this.changes.removed.push(existing);
    const e = new ClientEntity(id, type);
    e.reset(mask, wire, rates, keyTicks);
    e.updateState(this.applyingTick);
    if (this.sampling) e.sample(this.applyingTick);
    this.entities.set(id, e);
    this.changes.added.push(e);
  }

  update(id: number, _type: EntityTypeInfo, mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): void {
    this.seen.add(id);
    this.change(this.entities.get(id)!, mask, wire, rates, keyTicks);
  }

  /**
   * Applies an update (`mask`), or with `createMask` a creation over an entity already held.
   *
   * Interpolation gets the old values at the previous snapshot (they were true then), and, when
   * snapshots were lost in between and a linear field brings a new key frame, one more sample
   * a snapshot interval before that key frame, on the new path: the server sets a key frame's
   * rate from the last interval's motion, so evaluating it one interval back gives where the
   * entity really was then, whatever turns the lost snapshots carried. Sampling the old path
   * there instead would run the entity past a turn it took while the snapshots were missing.
   */
  private change(e: ClientEntity, mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[], createMask?: number): void {
    let held: WireValue[] | undefined;
    let hold = -Infinity;
    if (this.sampling && this.tick > 0) {
      if (e.lastSampleTick < this.tick) e.sample(this.tick);
      const carried = createMask ?? mask;
      for (const i of e.type.linearFields) {
        if ((carried === -1 || (carried & (1 << i)) !== 0) && keyTicks[i]! !== e.keyTicks[i]) hold = Math.max(hold, keyTicks[i]! - this.snapshotTicks);
      }
      // Fields that are not linear keep their old values at that sample: when in the gap they changed is unknown.
      if (hold > this.tick && hold < this.applyingTick) held = [...e.wire];
    }
    if (createMask === undefined) e.apply(mask, wire, rates, keyTicks);
    else e.reset(createMask, wire, rates, keyTicks);
    if (held) e.sample(hold, held);
    e.updateState(this.applyingTick);
    if (this.sampling) e.sample(this.applyingTick);
    this.changes.changed.push(e);
  }

  /** Refreshes `state` of entities with linear fields to the newest tick (after a snapshot). */
  advanceLinear(): void {
    for (const e of this.entities.values()) if (e.type.linearFields.length > 0) e.updateState(this.tick);
  }

  /**
   * Sets every entity's `render` values for a (fractional) render tick. Past the newest
   * snapshot, linear fields go on along their key frame for one snapshot interval at most (a
   * late or lost snapshot does not stop a moving entity), then hold.
   */
  interpolate(renderTick: number): void {
    const limit = this.tick + this.snapshotTicks;
    for (const e of this.entities.values()) e.interpolate(renderTick, limit);
  }

  /** The digest of everything held (docs/protocol.md 8.6): what the server's digest is checked against. */
  digest(): number {
    let sum = 0;
    for (const e of this.entities.values()) sum = (sum + e.digest()) >>> 0;
    return sum;
  }

  /** Headless mode: advance the tick without decoding (the view stays empty). */
  skipTo(tick: number): void {
    this.previousTick = this.tick;
    this.tick = tick;
  }

  /** Forgets everything and refuses deltas until a full snapshot arrives. */
  resync(): void {
    this.entities.clear();
    this.tick = 0;
    this.previousTick = 0;
    this.needsFull = true;
  }
}

/** A delta that arrived while the view waits for a full snapshot; it is dropped unacked. */
export class StaleSnapshot extends Error {
  constructor() {
    super('delta snapshot ignored while waiting for a full one');
  }
}
