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
 *
 * Clients whose viewers share a cell share that work (viewer-cells.ts): the grid gathers once
 * the entities any of them may see, and each filters that run by its own distance.
 */
import { Candidates, type CellRun } from './candidates.js';
import type { AnyEntity, EntityRecord } from './entity-store.js';

export { Candidates };

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
    if (n === 0 || !this.span(x, y, this.reach(r2s, typed))) return;
    const { rows, starts, sortedXs: xs, sortedYs: ys, sortedIds: ids, sortedKinds: kinds, sortedRecs: recs } = this;
    for (let cx = this.x0; cx <= this.x1; cx++) {
      const end = starts[cx * rows + this.y1 + 1]!;
      for (let i = starts[cx * rows + this.y0]!; i < end; i++) this.consider(out, ids[i]!, xs[i]! - x, ys[i]! - y, kinds[i]!, recs[i], r2s, typed);
    }
  }

  /**
   * Adds an entity at (dx, dy) from the viewer to `out` with the first tier that covers it
   * (among those of its kind, with typed tiers), unless none does or it is there as an extra.
   */
  private consider(out: Candidates, id: number, dx: number, dy: number, kind: number, rec: EntityRecord | undefined, r2s: Float64Array, typed: boolean): void {
    const d2 = dx * dx + dy * dy;
    const n = r2s.length;
    const tier = firstTier(d2, typed ? this.tierRows[kind]! : r2s, n);
    if (tier === n || out.isExtra(id)) return;
    out.push(id, tier, d2, rec);
  }

  /** The radius of a query's span of cells: the last tier's, or with typed tiers the largest. */
  private reach(r2s: Float64Array, typed: boolean): number {
    return Math.sqrt(typed ? this.rowsMax2 : r2s[r2s.length - 1]!);
  }

  /** The cell (x, y) is in (column-major index), or -1 for a point outside the grid or not finite. */
  cellIndex(x: number, y: number): number {
    if (this.n === 0 || !(Number.isFinite(x) && Number.isFinite(y))) return -1;
    const col = Math.floor(x / this.size) - this.cx0;
    const row = Math.floor(y / this.size) - this.cy0;
    return col >= 0 && col < this.cols && row >= 0 && row < this.rows ? col * this.rows + row : -1;
  }

  /** How many cells the grid has now (the bound of `cellIndex`). */
  get cellCount(): number {
    return this.n === 0 ? 0 : this.cols * this.rows;
  }

  /**
   * Gathers into `run`, once, what `collect` may find for any of the viewers (xs[v], ys[v]) for v
   * in [from, to): the entities in the cells of their spans (the rectangle around them all, in
   * collect's order), less those farther than the largest tier radius from the viewers' bounding
   * box (no closer to any of them). `collectRun` then finds for each of them exactly what
   * `collect` finds.
   */
  gather(xs: Float64Array, ys: Float64Array, from: number, to: number, r2s: Float64Array, run: CellRun, tiers?: readonly Tier[]): void {
    run.count = 0;
    const typed = tiers !== undefined && this.typed(tiers);
    const n = r2s.length;
    if (n === 0) return;
    const radius = this.reach(r2s, typed);
    let max2 = typed ? this.rowsMax2 : 0;
    if (!typed) for (let t = 0; t < n; t++) max2 = Math.max(max2, r2s[t]!);
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    let bx0 = Infinity;
    let bx1 = -Infinity;
    let by0 = Infinity;
    let by1 = -Infinity;
    for (let v = from; v < to; v++) {
      const x = xs[v]!;
      const y = ys[v]!;
      if (!this.span(x, y, radius)) continue;
      x0 = Math.min(x0, this.x0);
      x1 = Math.max(x1, this.x1);
      y0 = Math.min(y0, this.y0);
      y1 = Math.max(y1, this.y1);
      bx0 = Math.min(bx0, x);
      bx1 = Math.max(bx1, x);
      by0 = Math.min(by0, y);
      by1 = Math.max(by1, y);
    }
    run.x0 = x0;
    run.x1 = x1;
    run.y0 = y0;
    run.y1 = y1;
    const { rows, starts, size, cy0, sortedXs: sx, sortedYs: sy, sortedIds: ids, sortedKinds: kinds, sortedRecs: recs } = this;
    for (let cx = x0; cx <= x1; cx++) {
      const end = starts[cx * rows + y1 + 1]!;
      for (let i = starts[cx * rows + y0]!; i < end; i++) {
        const x = sx[i]!;
        const y = sy[i]!;
        const dx = x < bx0 ? bx0 - x : x > bx1 ? x - bx1 : 0;
        const dy = y < by0 ? by0 - y : y > by1 ? y - by1 : 0;
        if (!(dx * dx + dy * dy < max2)) continue;
        run.push(ids[i]!, x, y, kinds[i]!, cx, Math.floor(y / size) - cy0, recs[i]);
      }
    }
  }

  /**
   * Adds to `out` what `collect(x, y, r2s, out, tiers)` adds, from a run `gather` made for
   * viewers (x, y) is one of: the same entities with the same tiers and distances, in the same
   * order (the entities of its own span, within range, in column-major order).
   */
  collectRun(run: CellRun, x: number, y: number, r2s: Float64Array, out: Candidates, tiers?: readonly Tier[]): void {
    const typed = tiers !== undefined && this.typed(tiers);
    const n = r2s.length;
    if (n === 0 || !this.span(x, y, this.reach(r2s, typed))) return;
    const { x0, x1, y0, y1 } = this;
    const { ids, xs, ys, kinds, cols, rows, recs } = run;
    // Viewers of one cell mostly have the same span: then everything in the run is in it.
    const whole = x0 === run.x0 && x1 === run.x1 && y0 === run.y0 && y1 === run.y1;
    for (let i = 0; i < run.count; i++) {
      if (!whole) {
        const col = cols[i]!;
        const row = rows[i]!;
        if (col < x0 || col > x1 || row < y0 || row > y1) continue;
      }
      this.consider(out, ids[i]!, xs[i]! - x, ys[i]! - y, kinds[i]!, recs[i], r2s, typed);
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

/** The first of the `n` squared radii `radii` that covers `d2`, or `n` for none. */
function firstTier(d2: number, radii: Float64Array, n: number): number {
  let tier = 0;
  while (tier < n && !(d2 < radii[tier]!)) tier++;
  return tier;
}

/** Squared tier radii, ascending as the tiers are: what `SpatialGrid.collect` takes. */
export function tierRadii2(tiers: readonly Tier[]): Float64Array {
  return Float64Array.from(tiers, (t) => t.radius * t.radius);
}

/**
 * The entities relevant to one client, each with its tier; `out` is reused between calls. `run`:
 * the grid's entities gathered for the viewers of the client's cell (SpatialGrid.gather), to
 * filter instead of querying the grid for this client alone; the result is the same.
 */
export function candidatesFor<C, E extends AnyEntity>(
  def: InterestDefinition<C, E>,
  grid: SpatialGrid,
  client: C,
  viewer: { x: number; y: number } | undefined,
  members: Map<string, number[]>,
  own: ReadonlySet<number>,
  r2s: Float64Array,
  out: Candidates,
  run?: CellRun,
): Candidates {
  out.clear();
  // Own, channel and global entities are few: the grid's results are checked against them only.
  for (const id of own) out.addExtra(id);
  if (def.channels) for (const ch of def.channels(client)) for (const id of members.get(ch) ?? []) out.addExtra(id);
  for (const id of grid.global) out.addExtra(id);
  if (!viewer) return out;
  if (run) grid.collectRun(run, viewer.x, viewer.y, r2s, out, def.tiers);
  else grid.collect(viewer.x, viewer.y, r2s, out, def.tiers);
  return out;
}
