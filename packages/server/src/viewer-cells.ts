/**
 * A snapshot's clients in the order of their viewers' grid cells, so that the clients of one cell
 * are served one after another and share that cell's candidate work: the grid gathers once the
 * entities any of them may see (SpatialGrid.gather) and each filters that run by its own distance
 * and tiers (SpatialGrid.collectRun), which finds exactly what a query of its own would. A cell
 * with one viewer, a viewer outside the grid and a client with no viewer take the per-client
 * path. Sorting is a counting sort over the grid's cells into typed arrays: nothing is allocated
 * per client.
 */
import { CellRun } from './candidates.js';
import type { SpatialGrid, Tier } from './interest.js';

/** A cell shares its candidate work from this many viewers on (one alone queries the grid itself). */
const SHARE_FROM = 2;
/** `cells` value of a client with no viewer. */
const NO_VIEWER = -2;

export class ViewerCells<C> {
  /** This snapshot's clients, grouped by cell (no viewer or outside the grid: last). */
  readonly order: C[] = [];
  // Per position in `order`: the viewer and its cell (-1 outside the grid, NO_VIEWER).
  private xs = new Float64Array(64);
  private ys = new Float64Array(64);
  private cells = new Int32Array(64);
  // The clients as the room met them, before the sort.
  private readonly met: C[] = [];
  private metXs = new Float64Array(64);
  private metYs = new Float64Array(64);
  private metCells = new Int32Array(64);
  /** Per cell, where its viewers start in `order` (one bucket more: the rest), and a cursor copy. */
  private starts = new Int32Array(2);
  private cursor = new Int32Array(2);
  private readonly point = { x: 0, y: 0 };
  private readonly run = new CellRun();
  /** The cell whose viewers `run` was gathered for this snapshot (-1: none yet). */
  private runCell = -1;

  constructor(private readonly grid: SpatialGrid) {}

  /** Orders `clients` by the cell of their viewer (asked once each) in the grid as rebuilt now. */
  sort(clients: Iterable<C>, viewerOf: (client: C) => { x: number; y: number } | undefined): void {
    const grid = this.grid;
    let n = 0;
    for (const client of clients) {
      if (n === this.metXs.length) this.grow(n * 2);
      const v = viewerOf(client);
      this.met[n] = client;
      this.metXs[n] = v ? v.x : Number.NaN;
      this.metYs[n] = v ? v.y : Number.NaN;
      this.metCells[n] = v ? grid.cellIndex(v.x, v.y) : NO_VIEWER;
      n++;
    }
    this.met.length = n;
    // Filled in order of cells below: make it as long first, so it never has holes.
    const order = this.order;
    while (order.length < n) order.push(this.met[0]!);
    order.length = n;
    // Counting sort: bucket c for cell c, bucket `cells` for everyone else.
    const cells = grid.cellCount;
    if (this.starts.length < cells + 2) {
      this.starts = new Int32Array(cells + 2);
      this.cursor = new Int32Array(cells + 2);
    } else this.starts.fill(0, 0, cells + 2);
    const starts = this.starts;
    for (let i = 0; i < n; i++) {
      const c = this.metCells[i]!;
      starts[(c >= 0 ? c : cells) + 1]!++;
    }
    for (let c = 0; c <= cells; c++) starts[c + 1]! += starts[c]!;
    const cursor = this.cursor;
    cursor.set(starts.subarray(0, cells + 1));
    for (let i = 0; i < n; i++) {
      const c = this.metCells[i]!;
      const at = cursor[c >= 0 ? c : cells]!++;
      order[at] = this.met[i]!;
      this.xs[at] = this.metXs[i]!;
      this.ys[at] = this.metYs[i]!;
      this.cells[at] = c;
    }
    this.runCell = -1;
  }

  /** The viewer of `order[i]` (a reused object: read it before asking for another), or undefined. */
  viewer(i: number): { x: number; y: number } | undefined {
    if (this.cells[i] === NO_VIEWER) return undefined;
    this.point.x = this.xs[i]!;
    this.point.y = this.ys[i]!;
    return this.point;
  }

  /**
   * The run `order[i]` filters its grid candidates from: gathered on the first call for its cell,
   * or undefined when its cell has fewer than SHARE_FROM viewers (it queries the grid itself).
   */
  runFor(i: number, r2s: Float64Array, tiers: readonly Tier[]): CellRun | undefined {
    const c = this.cells[i]!;
    if (c < 0) return undefined;
    const from = this.starts[c]!;
    const to = this.starts[c + 1]!;
    if (to - from < SHARE_FROM) return undefined;
    if (this.runCell !== c) {
      this.grid.gather(this.xs, this.ys, from, to, r2s, this.run, tiers);
      this.runCell = c;
    }
    return this.run;
  }

  private grow(size: number): void {
    const xs = new Float64Array(size);
    const ys = new Float64Array(size);
    const cells = new Int32Array(size);
    const metXs = new Float64Array(size);
    const metYs = new Float64Array(size);
    const metCells = new Int32Array(size);
    metXs.set(this.metXs);
    metYs.set(this.metYs);
    metCells.set(this.metCells);
    this.xs = xs;
    this.ys = ys;
    this.cells = cells;
    this.metXs = metXs;
    this.metYs = metYs;
    this.metCells = metCells;
  }
}
