/**
 * The lists the interest path builds per snapshot, as structs of typed arrays reused from client
 * to client and from snapshot to snapshot: a client's candidates (what the interest encoder
 * reads), and the run of grid entities the clients of one cell share (what the grid gathers once
 * for them). Building either allocates nothing once they have grown to the scene.
 */
import type { EntityRecord } from './entity-store.js';

/** `into`, a larger array of the same kind, with `from` copied to its start (growing the interest path's typed arrays). */
export function grown<T extends Uint32Array | Int32Array | Uint16Array | Uint8Array | Int8Array | Float64Array>(from: T, into: T): T {
  into.set(from);
  return into;
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
    if (n === this.ids.length) {
      this.ids = grown(this.ids, new Uint32Array(n * 2));
      this.tiers = grown(this.tiers, new Int8Array(n * 2));
      this.d2 = grown(this.d2, new Float64Array(n * 2));
    }
    this.ids[n] = id;
    this.tiers[n] = tier;
    this.d2[n] = d2;
    this.recs[n] = rec;
    this.count = n + 1;
  }
}

/**
 * Grid entities gathered once for the clients whose viewers share a cell (SpatialGrid.gather),
 * each with its position, type (as the grid's kind index), grid column and row, and record.
 * Each of those clients then filters it by its own distance and tiers (SpatialGrid.collectRun).
 */
export class CellRun {
  count = 0;
  /** The span of cells gathered: columns x0..x1, rows y0..y1. */
  x0 = 0;
  x1 = -1;
  y0 = 0;
  y1 = -1;
  ids = new Uint32Array(64);
  xs = new Float64Array(64);
  ys = new Float64Array(64);
  kinds = new Uint16Array(64);
  cols = new Int32Array(64);
  rows = new Int32Array(64);
  readonly recs: (EntityRecord | undefined)[] = [];

  push(id: number, x: number, y: number, kind: number, col: number, row: number, rec: EntityRecord | undefined): void {
    const n = this.count;
    if (n === this.ids.length) {
      this.ids = grown(this.ids, new Uint32Array(n * 2));
      this.xs = grown(this.xs, new Float64Array(n * 2));
      this.ys = grown(this.ys, new Float64Array(n * 2));
      this.kinds = grown(this.kinds, new Uint16Array(n * 2));
      this.cols = grown(this.cols, new Int32Array(n * 2));
      this.rows = grown(this.rows, new Int32Array(n * 2));
    }
    this.ids[n] = id;
    this.xs[n] = x;
    this.ys[n] = y;
    this.kinds[n] = kind;
    this.cols[n] = col;
    this.rows[n] = row;
    this.recs[n] = rec;
    this.count = n + 1;
  }
}
