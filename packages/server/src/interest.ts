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
import type { AnyEntity } from './entity-store.js';

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
}

export interface InterestDefinition<C, E> {
  /** An entity's position, or undefined for entities every client receives (global). */
  position(entity: E): { x: number; y: number } | undefined;
  /** Where a client is looking from (default: its own entity's position). */
  viewer?(client: C): { x: number; y: number } | undefined;
  /** Distance tiers, nearest first. */
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

/** A relevant entity for one client this snapshot, with its tier (-1: channel or global, sent fully). */
export interface Candidate {
  id: number;
  tier: number;
  /** Squared distance to the viewer (0 for own, global and channel entities). */
  d2: number;
}

/** The per-snapshot spatial index: cells hold flat [id, x, y] triples (no per-entity lookups). */
export class SpatialGrid {
  private readonly cells = new Map<number, number[]>();
  /** Entities without a position: every client gets them (unless they are in a channel). */
  readonly global: number[] = [];

  constructor(readonly cellSize: number) {}

  private key(cx: number, cy: number): number {
    // Cells far apart still get distinct keys: 2^21 cells on each axis around the origin.
    return (cx + 1048576) * 2097152 + (cy + 1048576);
  }

  rebuild<E extends AnyEntity>(entities: Iterable<E>, position: (e: E) => { x: number; y: number } | undefined, channel?: (e: E) => string | undefined): void {
    for (const cell of this.cells.values()) cell.length = 0;
    this.global.length = 0;
    const s = this.cellSize;
    for (const e of entities) {
      if (channel && channel(e) !== undefined) continue; // channel entities go to members only
      const p = position(e);
      if (!p) {
        this.global.push(e.id);
        continue;
      }
      const k = this.key(Math.floor(p.x / s), Math.floor(p.y / s));
      let cell = this.cells.get(k);
      if (!cell) this.cells.set(k, (cell = []));
      cell.push(e.id, p.x, p.y);
    }
  }

  /** Ids within `radius` of (x, y), with squared distances, visiting only the cells in range. */
  query(x: number, y: number, radius: number, visit: (id: number, d2: number) => void): void {
    const s = this.cellSize;
    const r2 = radius * radius;
    const x0 = Math.floor((x - radius) / s);
    const x1 = Math.floor((x + radius) / s);
    const y0 = Math.floor((y - radius) / s);
    const y1 = Math.floor((y + radius) / s);
    for (let cx = x0; cx <= x1; cx++) {
      for (let cy = y0; cy <= y1; cy++) {
        const cell = this.cells.get(this.key(cx, cy));
        if (!cell) continue;
        for (let i = 0; i < cell.length; i += 3) {
          const dx = cell[i + 1]! - x;
          const dy = cell[i + 2]! - y;
          const d2 = dx * dx + dy * dy;
          if (d2 < r2) visit(cell[i]!, d2);
        }
      }
    }
  }
}

/** The entities relevant to one client, each with its tier; `out` is reused between calls. */
export function candidatesFor<C, E extends AnyEntity>(
  def: InterestDefinition<C, E>,
  grid: SpatialGrid,
  client: C,
  viewer: { x: number; y: number } | undefined,
  members: Map<string, number[]>,
  own: ReadonlySet<number>,
  out: Candidate[] = [],
): Candidate[] {
  out.length = 0;
  const tiers = def.tiers;
  // Own, channel and global entities are few: dedupe them against each other with a small set,
  // and grid results against them only.
  const extra = new Set<number>(own);
  for (const id of own) out.push({ id, tier: -1, d2: 0 });
  const add = (id: number) => {
    if (extra.has(id)) return;
    extra.add(id);
    out.push({ id, tier: -1, d2: 0 });
  };
  if (def.channels) for (const ch of def.channels(client)) for (const id of members.get(ch) ?? []) add(id);
  for (const id of grid.global) add(id);
  if (viewer && tiers.length > 0) {
    const r2s = tiers.map((t) => t.radius * t.radius);
    const last = r2s.length - 1;
    grid.query(viewer.x, viewer.y, tiers[last]!.radius, (id, d2) => {
      if (extra.has(id)) return;
      let tier = 0;
      while (tier < last && d2 >= r2s[tier]!) tier++;
      out.push({ id, tier, d2 });
    });
  }
  return out;
}
