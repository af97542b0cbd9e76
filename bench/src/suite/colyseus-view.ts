/**
 * Interest management for Colyseus the way its users write it (its docs' StateView, area-based):
 * every tick the players are bucketed in a uniform grid of view-radius cells, and each client's
 * StateView gets the players now within the radius of its own added and the ones that left
 * removed; its own player is always in view. Plain data in, `add` / `remove` calls out, so it is
 * tested without a server.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** What a view must do: StateView's `add` and `remove`. */
export interface ViewLike<T> {
  add(item: T): unknown;
  remove(item: T): unknown;
}

/** A uniform grid of `radius`-sided cells: what is within `radius` lies in the 3 x 3 cells around. */
export class ViewGrid<T extends Point> {
  private readonly cells = new Map<number, T[]>();

  constructor(readonly radius: number) {}

  private key(cx: number, cy: number): number {
    return (cx + 32768) * 65536 + (cy + 32768);
  }

  /** Buckets `items` afresh (cells are reused between rebuilds). */
  rebuild(items: Iterable<T>): void {
    for (const cell of this.cells.values()) cell.length = 0;
    for (const item of items) {
      const k = this.key(Math.floor(item.x / this.radius), Math.floor(item.y / this.radius));
      let cell = this.cells.get(k);
      if (!cell) this.cells.set(k, (cell = []));
      cell.push(item);
    }
  }

  /** Calls `visit` for every item within the radius of `p` (distance <= radius). */
  near(p: Point, visit: (item: T) => void): void {
    const r2 = this.radius * this.radius;
    const cx = Math.floor(p.x / this.radius);
    const cy = Math.floor(p.y / this.radius);
    for (let x = cx - 1; x <= cx + 1; x++) {
      for (let y = cy - 1; y <= cy + 1; y++) {
        const cell = this.cells.get(this.key(x, y));
        if (!cell) continue;
        for (const item of cell) {
          const dx = item.x - p.x;
          const dy = item.y - p.y;
          if (dx * dx + dy * dy <= r2) visit(item);
        }
      }
    }
  }
}

/** One client's view: what it holds, brought up to date against the grid each tick. */
export class Visibility<T extends Point> {
  private current = new Set<T>();
  private next = new Set<T>();

  constructor(
    private readonly view: ViewLike<T>,
    readonly self: T,
  ) {
    view.add(self);
    this.current.add(self);
  }

  /** Adds the items now within the grid's radius of its own, removes those no longer. */
  update(grid: ViewGrid<T>): void {
    const next = this.next;
    next.clear();
    next.add(this.self);
    grid.near(this.self, (item) => next.add(item));
    for (const item of next) if (!this.current.has(item)) this.view.add(item);
    for (const item of this.current) if (!next.has(item)) this.view.remove(item);
    this.next = this.current;
    this.current = next;
  }

  /** An item left the game (the state's removal reaches every view): stop tracking it. */
  forget(item: T): void {
    this.current.delete(item);
  }

  /** Items in view now, its own included. */
  get size(): number {
    return this.current.size;
  }
}
