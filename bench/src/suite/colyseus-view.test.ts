/**
 * Colyseus's interest management in the benchmark: the grid finds exactly what a scan finds,
 * and a view is told to add what came within range and remove what left, nothing else.
 */
import { seededRandom } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { ViewGrid, Visibility, type Point } from './colyseus-view.js';

interface Thing extends Point {
  x: number;
  y: number;
  name: string;
}

/** A StateView stand-in that keeps what it holds and counts the calls. */
class RecordingView {
  readonly held = new Set<Thing>();
  adds = 0;
  removes = 0;
  add(t: Thing): void {
    expect(this.held.has(t), `added ${t.name} twice`).toBe(false);
    this.held.add(t);
    this.adds++;
  }
  remove(t: Thing): void {
    expect(this.held.has(t), `removed ${t.name}, which it did not hold`).toBe(true);
    this.held.delete(t);
    this.removes++;
  }
}

const within = (things: readonly Thing[], p: Point, r: number) => things.filter((t) => (t.x - p.x) ** 2 + (t.y - p.y) ** 2 <= r * r);

describe('Colyseus view grid', () => {
  it('finds what a scan of every point finds, on the cell edges too', () => {
    const random = seededRandom(7);
    const things: Thing[] = Array.from({ length: 400 }, (_, i) => ({ x: random() * 5000, y: random() * 5000, name: `t${i}` }));
    // Points exactly on cell borders and exactly at the radius.
    things.push({ x: 1000, y: 1000, name: 'corner' }, { x: 2000, y: 1000, name: 'edge' }, { x: 0, y: 0, name: 'origin' });
    const grid = new ViewGrid<Thing>(1000);
    grid.rebuild(things);
    for (const p of things) {
      const found: Thing[] = [];
      grid.near(p, (t) => found.push(t));
      expect(new Set(found), p.name).toEqual(new Set(within(things, p, 1000)));
    }
  });

  it('brings a view to what is in range as things move: adds the new, removes the gone, keeps its own', () => {
    const random = seededRandom(11);
    const things: Thing[] = Array.from({ length: 150 }, (_, i) => ({ x: random() * 4000, y: random() * 4000, name: `t${i}` }));
    const grid = new ViewGrid<Thing>(1000);
    const self = things[0]!;
    const view = new RecordingView();
    const visibility = new Visibility<Thing>(view, self);
    expect([...view.held]).toEqual([self]);
    for (let step = 0; step < 50; step++) {
      for (const t of things) {
        t.x = Math.min(4000, Math.max(0, t.x + (random() - 0.5) * 400));
        t.y = Math.min(4000, Math.max(0, t.y + (random() - 0.5) * 400));
      }
      grid.rebuild(things);
      const adds = view.adds;
      const before = new Set(view.held);
      visibility.update(grid);
      const expected = new Set(within(things, self, 1000));
      expect(view.held).toEqual(expected);
      expect(visibility.size).toBe(expected.size);
      // Only the differences were sent.
      expect(view.adds - adds).toBe([...expected].filter((t) => !before.has(t)).length);
    }
    expect(view.removes).toBeGreaterThan(0);
  });

  it('forgets a thing that left the game without removing it from the view', () => {
    const self: Thing = { x: 0, y: 0, name: 'self' };
    const other: Thing = { x: 10, y: 0, name: 'other' };
    const grid = new ViewGrid<Thing>(1000);
    const view = new RecordingView();
    const visibility = new Visibility<Thing>(view, self);
    grid.rebuild([self, other]);
    visibility.update(grid);
    expect(view.held.has(other)).toBe(true);
    visibility.forget(other);
    view.held.delete(other); // the state's own removal
    grid.rebuild([self]);
    visibility.update(grid);
    expect(view.removes).toBe(0);
    expect([...view.held]).toEqual([self]);
  });
});
