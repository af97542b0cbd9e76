/**
 * Interest management: which entities each client receives, how often, and which of their
 * fields (seed 004 §3.3 and §8.2).
 *
 * Entities with a position are bucketed in a uniform grid once per snapshot; a client's
 * candidates are the entities in the cells within the largest tier radius of it, so the cost
 * follows what is nearby, not the size of the world. Each candidate falls in the first tier
 * whose radius covers it: the tier says how often it is sent (every snapshot, or at a lower
 * rate) and which components. Beyond the last tier an entity is out of range and removed from
 * the client. Channels send entities (a ship's crew-only systems, a team's markers) to their
 * members whatever the distance.
 */
import type { AnyEntity, EntityRecord } from './entity-store.js';

export interface Tier {
  /** A name for metrics and debugging ('near', 'mid', 'far'). */
  name: string;
  /** Entities closer than this (world units) are in this tier, if no earlier tier took them. */
  radius: number;
  /** Updates per second for entities in this tier (default: every snapshot). */
  rate?: number;
  /** Components sent for entities in this tier (default: all). */
  components?: readonly string[];
  /** Priority weight for the byte budget (default 1 for the first tier, halving per tier). */
  weight?: number;
  /**
   * Entity types this tier applies to (default: every type). An entity falls in the first tier
   * that covers it and applies to its type, and is out of range past the last such tier: seed
   * 004's torpedoes, sent at their own rate and only within 5,000 units, are a tier of their own
   * (`{ name: 'torpedo', radius: 5000, types: ['torpedo'] }`) with the other tiers for the other types.
   */
  types?: readonly string[];
}

export interface InterestDefinition<C, E> {
  /** An entity's position, or undefined for entities every client receives (global). */
  position(entity: E): { x: number; y: number } | undefined;
  /** Where a client is looking from (default: its own entity's position). */
  viewer?(client: C): { x: number; y: number } | undefined;
  /** Distance tiers, nearest first (for each entity type, among the tiers that apply to it). */
  tiers: readonly Tier[];
  /** Grid cell size in world units (default: the last tier's radius / 4). */
  cellSize?: number;
  /** The channel an entity belongs to (only members receive it), or undefined for none. */
  channel?(entity: E): string | undefined;
  /** The channels a client is a member of. */
  channels?(client: C): Iterable<string>;
  /**
   * Most bytes of entity records per client per snapshot (default: unlimited). Entities that do
   * not fit gain priority until they are sent (Gaffer's priority accumulator).
   */
  budgetBytes?: number;
}

/**
 * The entities relevant to one client this snapshot, with their tiers (-1: own, channel or
 * global, sent fully) and squared distances (0 for tier -1). Struct of arrays, reused from client
 * to client: building a client's list allocates nothing.
 */
export class Candidates {
  count = 0;
  ids = new Uint32Array(64);
  tiers = new Int8Array(64);
  d2 = new Float64Array(64);
  /** The entity's record when the grid knows it (saves a lookup per candidate per client). */
  readonly recs: (EntityRecord | undefined)[] = [];
  /** The tier -1 ids of the current client, so grid results skip them. */
  private readonly extras = new Set<number>();

  clear(): void {
    this.count = 0;
    this.extras.clear();
  }

  /** Adds an own, channel or global entity once. */
  addExtra(id: number): void {
    if (this.extras.has(id)) return;
    this.extras.add(id);
    this.push(id, -1, 0);
  }

  isExtra(id: number): boolean {
    return this.extras.size > 0 && this.extras.has(id);
  }

  push(id: number, tier: number, d2: number, rec?: EntityRecord): void {
    const n = this.count;
    if (n === this.ids.length) this.grow();
    this.ids[n] = id;
    this.tiers[n] = tier;
    this.d2[n] = d2;
    this.recs[n] = rec;
    this.count = n + 1;
  }

  private grow(): void {
    const size = this.ids.length * 2;
    const ids = new Uint32Array(size);
    ids.set(this.ids);
    const tiers = new Int8Array(size);
    tiers.set(this.tiers);
    const d2 = new Float64Array(size);
    d2.set(this.d2);
    this.ids = ids;
    this.tiers = tiers;
    this.d2 = d2;
  }
}

/**
 * The per-snapshot spatial index: a dense grid over the entities' bounding box, its entities
 * sorted by cell (a counting sort into typed arrays), so a query reads a row of cells as one run
 * of memory with no lookups. Cells double in size while the box would need more than a few per
 * entity (entities far apart), so the index stays proportional to the entity count.
 */
export class SpatialGrid {
  /** Entities without a position: every client gets them (unless they are in a channel). */
  readonly global: number[] = [];
  private n = 0;
  // Positioned entities in the order met, then sorted by cell.
  private ids = new Uint32Array(256);
  private xs = new Float64Array(256);
  private ys = new Float64Array(256);
  private cellOf = new Int32Array(256);
  /** Each entity's type, as an index into `typeNames` (what typed tiers look up). */
  private kinds = new Uint16Array(256);
  private sortedKinds = new Uint16Array(256);
  private readonly kindOf = new Map<string, number>();
  private readonly typeNames: string[] = [];
  /** For typed tiers: per kind, each tier's squared radius, or -1 where the tier does not apply. */
  private tierRows: Float64Array[] = [];
  private rowsFor: readonly Tier[] | null = null;
  private rowsTyped = false;
  private rowsMax2 = 0;
  private sortedIds = new Uint32Array(256);
  private sortedXs = new Float64Array(256);
  private sortedYs = new Float64Array(256);
  /** Start of each cell's run in the sorted arrays (column-major), plus the end. */
  private starts = new Int32Array(2);
  private cursor = new Int32Array(2);
  private size: number;
  private cx0 = 0;
  private cy0 = 0;
  private cols = 0;
  private rows = 0;
  // Each positioned entity's record, in the order met and sorted by cell like the ids.
  private readonly recs: (EntityRecord | undefined)[] = [];
  private readonly sortedRecs: (EntityRecord | undefined)[] = [];

  /** `recordOf`: an entity's record, handed on with each candidate (optional). */
  constructor(
    readonly cellSize: number,
    private readonly recordOf?: (entity: AnyEntity) => EntityRecord,
  ) {
    this.size = cellSize;
  }

  private ensure(n: number): void {
    if (n <= this.ids.length) return;
    let size = this.ids.length * 2;
    while (size < n) size *= 2;
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const ids = new Uint32Array(size);
    ids.set(this.ids);
    this.ids = ids;
    this.xs = grow64(this.xs);
    this.ys = grow64(this.ys);
    this.cellOf = new Int32Array(size);
    const kinds = new Uint16Array(size);
    kinds.set(this.kinds);
    this.kinds = kinds;
    this.sortedKinds = new Uint16Array(size);
    this.sortedIds = new Uint32Array(size);
    this.sortedXs = new Float64Array(size);
    this.sortedYs = new Float64Array(size);
  }

  rebuild<E extends AnyEntity>(entities: Iterable<E>, position: (e: E) => { x: number; y: number } | undefined, channel?: (e: E) => string | undefined): void {
    this.global.length = 0;
    let n = 0;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const e of entities) {
      if (channel && channel(e) !== undefined) continue; // channel entities go to members only
      const p = position(e);
      if (!p) {
        this.global.push(e.id);
        continue;
      }
      const x = p.x;
      const y = p.y;
      // A position that is not a finite number places the entity nowhere.
      if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
      this.ensure(n + 1);
      let kind = this.kindOf.get(e.type);
      if (kind === undefined) {
        kind = this.typeNames.push(e.type) - 1;
        this.kindOf.set(e.type, kind);
      }
      this.kinds[n] = kind;
      this.ids[n] = e.id;
      this.xs[n] = x;
      this.ys[n] = y;
      this.recs[n] = this.recordOf?.(e);
      n++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    this.n = n;
    this.recs.length = n;
    this.sortedRecs.length = n;
    if (n === 0) {
      this.cols = this.rows = 0;
      return;
    }
    let size = this.cellSize;
    const limit = Math.max(1024, 4 * n);
    let cols = 0;
    let rows = 0;
    for (;;) {
      cols = Math.floor(maxX / size) - Math.floor(minX / size) + 1;
      rows = Math.floor(maxY / size) - Math.floor(minY / size) + 1;
      if (cols * rows <= limit) break;
      size *= 2;
    }
    this.size = size;
    this.cols = cols;
    this.rows = rows;
    const cx0 = (this.cx0 = Math.floor(minX / size));
    const cy0 = (this.cy0 = Math.floor(minY / size));
    const cells = cols * rows;
    if (this.starts.length < cells + 1) {
      this.starts = new Int32Array(cells + 1);
      this.cursor = new Int32Array(cells + 1);
    } else this.starts.fill(0, 0, cells + 1);
    const starts = this.starts;
    const cellOf = this.cellOf;
    for (let i = 0; i < n; i++) {
      const c = (Math.floor(this.xs[i]! / size) - cx0) * rows + (Math.floor(this.ys[i]! / size) - cy0);
      cellOf[i] = c;
      starts[c + 1]!++;
    }
    for (let c = 0; c < cells; c++) starts[c + 1]! += starts[c]!;
    const cursor = this.cursor;
    cursor.set(starts.subarray(0, cells));
    for (let i = 0; i < n; i++) {
      const at = cursor[cellOf[i]!]!++;
      this.sortedIds[at] = this.ids[i]!;
      this.sortedKinds[at] = this.kinds[i]!;
      this.sortedXs[at] = this.xs[i]!;
      this.sortedYs[at] = this.ys[i]!;
      this.sortedRecs[at] = this.recs[i];
    }
  }

  // The cells of the last range asked for (`span`): columns x0..x1, rows y0..y1.
  private x0 = 0;
  private x1 = -1;
  private y0 = 0;
  private y1 = -1;

  /** Sets the range of cells within `radius` of (x, y), clipped to the grid; false if empty. */
  private span(x: number, y: number, radius: number): boolean {
    if (this.n === 0 || !(Number.isFinite(x) && Number.isFinite(y) && radius >= 0)) return false;
    const size = this.size;
    this.x0 = Math.max(0, Math.floor((x - radius) / size) - this.cx0);
    this.x1 = Math.min(this.cols - 1, Math.floor((x + radius) / size) - this.cx0);
    this.y0 = Math.max(0, Math.floor((y - radius) / size) - this.cy0);
    this.y1 = Math.min(this.rows - 1, Math.floor((y + radius) / size) - this.cy0);
    return this.x0 <= this.x1 && this.y0 <= this.y1;
  }

  /**
   * Adds to `out` every entity within the last of `r2s` (squared tier radii, ascending) of (x, y)
   * that is not already there as an extra, with the first tier that covers it (given `tiers`
   * with `types`: the first that covers it and applies to its type). A column's cells in range
   * are one run of the sorted arrays, and the per-entity step calls nothing.
   */
  collect(x: number, y: number, r2s: Float64Array, out: Candidates, tiers?: readonly Tier[]): void {
    // Typed tiers: each entity reads the row of its type, where the tiers that skip it never cover.
    const typed = tiers !== undefined && this.typed(tiers);
    const n = r2s.length;
    if (n === 0 || !this.span(x, y, Math.sqrt(typed ? this.rowsMax2 : r2s[n - 1]!))) return;
    const { rows, starts, sortedXs: xs, sortedYs: ys, sortedIds: ids, sortedKinds: kinds, tierRows } = this;
    for (let cx = this.x0; cx <= this.x1; cx++) {
      const end = starts[cx * rows + this.y1 + 1]!;
      for (let i = starts[cx * rows + this.y0]!; i < end; i++) {
        const dx = xs[i]! - x;
        const dy = ys[i]! - y;
        const d2 = dx * dx + dy * dy;
        const radii = typed ? tierRows[kinds[i]!]! : r2s;
        let tier = 0;
        while (tier < n && !(d2 < radii[tier]!)) tier++;
        if (tier === n) continue;
        const id = ids[i]!;
        if (out.isExtra(id)) continue;
        out.push(id, tier, d2, this.sortedRecs[i]);
      }
    }
  }

  /**
   * Whether any of `tiers` is limited to some entity types; builds (once per tiers and set of
   * types seen) each type's row of squared radii, -1 for the tiers that do not apply to it.
   */
  private typed(tiers: readonly Tier[]): boolean {
    if (this.rowsFor === tiers && this.tierRows.length === this.typeNames.length) return this.rowsTyped;
    this.rowsFor = tiers;
    this.rowsTyped = tiers.some((t) => t.types !== undefined);
    this.rowsMax2 = 0;
    for (const t of tiers) this.rowsMax2 = Math.max(this.rowsMax2, t.radius * t.radius);
    this.tierRows = this.typeNames.map((type) => Float64Array.from(tiers, (t) => (!t.types || t.types.includes(type) ? t.radius * t.radius : -1)));
    return this.rowsTyped;
  }
}

/** Squared tier radii, ascending as the tiers are: what `SpatialGrid.collect` takes. */
export function tierRadii2(tiers: readonly Tier[]): Float64Array {
  return Float64Array.from(tiers, (t) => t.radius * t.radius);
}

/** The entities relevant to one client, each with its tier; `out` is reused between calls. */
export function candidatesFor<C, E extends AnyEntity>(
  def: InterestDefinition<C, E>,
  grid: SpatialGrid,
  client: C,
  viewer: { x: number; y: number } | undefined,
  members: Map<string, number[]>,
  own: ReadonlySet<number>,
  r2s: Float64Array,
  out: Candidates,
): Candidates {
  out.clear();
  // Own, channel and global entities are few: the grid's results are checked against them only.
  for (const id of own) out.addExtra(id);
  if (def.channels) for (const ch of def.channels(client)) for (const id of members.get(ch) ?? []) out.addExtra(id);
  for (const id of grid.global) out.addExtra(id);
  if (viewer) grid.collect(viewer.x, viewer.y, r2s, out, def.tiers);
  return out;
}
