/**
 * The sector on a canvas, as every console draws it: centred on a point (usually our ship), a
 * range across the shorter side, range rings, bases, ships (named and coloured by side once we
 * know them; an unidentified far contact is a grey "?"), torpedoes, beam flashes and blasts.
 * Positions are the SDK's interpolated `render` values; our own ship, at the helm, is the
 * predicted one. A click gives the world point and the nearest contact under it.
 */
import { SECTOR, type Side } from '../shared/constants.js';
import type { AnyEntity, Deck } from './deck.js';

/** A ship's outline, pointing along +x, in pixels. */
const DART: readonly (readonly [number, number])[] = [
  [12, 0],
  [-8, 7],
  [-4, 0],
  [-8, -7],
];

const COLORS: Record<Side | 'unknown', string> = { crew: '#58a6ff', enemy: '#f85149', neutral: '#8b949e', unknown: '#6e7681' };

interface Effect {
  kind: 'beam' | 'blast';
  from: number;
  to: number;
  x: number;
  y: number;
  size: number;
  until: number;
}

/** Where a contact is, what it looks like to us, and its id. */
export interface Contact {
  id: number;
  x: number;
  y: number;
  side: Side | 'unknown';
  name: string;
  kind: 'ship' | 'base';
}

export interface MapOptions {
  /** Our ship's position and heading to draw instead of the interpolated one (the helm's prediction). */
  ownRender?: { position: { x: number; y: number }; heading: { angle: number } } | undefined;
  /** Highlighted contact (the weapons target, the science selection). */
  target?: number;
  /** Range rings to draw around the centre, in world units. */
  rings?: readonly number[];
  /** A heading to draw from our ship (the helm's course). */
  course?: number | undefined;
}

/** What we know a ship or base to be: named and sided once its tag has arrived. */
export function contactOf(e: AnyEntity): Contact | undefined {
  if (e.typeName !== 'ship' && e.typeName !== 'base') return undefined;
  // Bases have no position for interest: every client has all of them. A ship's tag comes near.
  const known = e.typeName === 'base' || e.has('tag', 'name');
  const p = e.render.position;
  return { id: e.id, x: p.x, y: p.y, side: known ? e.state.tag.side : 'unknown', name: known ? e.state.tag.name : '?', kind: e.typeName };
}

export class SectorMap {
  readonly canvas: HTMLCanvasElement;
  /** The world point at the canvas centre, and the world units from the centre to the nearer edge. */
  cx = 0;
  cy = 0;
  range = 10_000;
  private readonly effects: Effect[] = [];
  /** Stops listening for beams and blasts. */
  readonly dispose: () => void;

  constructor(
    private readonly deck: Deck,
    onClick?: (world: { x: number; y: number }, contact: Contact | undefined) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'sector';
    this.canvas.width = 900;
    this.canvas.height = 900;
    if (onClick) {
      this.canvas.addEventListener('click', (ev) => {
        const r = this.canvas.getBoundingClientRect();
        const sx = ((ev.clientX - r.left) / r.width) * this.canvas.width;
        const sy = ((ev.clientY - r.top) / r.height) * this.canvas.height;
        const world = this.toWorld(sx, sy);
        onClick(world, this.contactAt(world));
      });
    }
    this.dispose = deck.room.on('event', (ev) => {
      const now = performance.now();
      if (ev.name === 'beam') this.effects.push({ kind: 'beam', from: ev.payload.from, to: ev.payload.to, x: 0, y: 0, size: 0, until: now + 250 });
      if (ev.name === 'blast') this.effects.push({ kind: 'blast', from: 0, to: 0, x: ev.payload.x, y: ev.payload.y, size: ev.payload.size, until: now + 600 });
    });
  }

  private scale(): number {
    return Math.min(this.canvas.width, this.canvas.height) / 2 / this.range;
  }

  toScreen(x: number, y: number): [number, number] {
    const s = this.scale();
    return [this.canvas.width / 2 + (x - this.cx) * s, this.canvas.height / 2 + (y - this.cy) * s];
  }

  toWorld(sx: number, sy: number): { x: number; y: number } {
    const s = this.scale();
    return { x: this.cx + (sx - this.canvas.width / 2) / s, y: this.cy + (sy - this.canvas.height / 2) / s };
  }

  /** The contact nearest a world point, within 24 pixels of it. */
  contactAt(world: { x: number; y: number }): Contact | undefined {
    const reach = 24 / this.scale();
    let best: Contact | undefined;
    let bestD = reach * reach;
    for (const e of this.deck.room.entities.values()) {
      const c = contactOf(e);
      if (!c) continue;
      const d = (c.x - world.x) ** 2 + (c.y - world.y) ** 2;
      if (d < bestD) {
        best = c;
        bestD = d;
      }
    }
    return best;
  }

  draw(o: MapOptions = {}): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { width: w, height: h } = this.canvas;
    ctx.fillStyle = '#05080c';
    ctx.fillRect(0, 0, w, h);
    const s = this.scale();
    ctx.strokeStyle = '#1f2a37';
    ctx.lineWidth = 1;
    for (const r of o.rings ?? []) {
      ctx.beginPath();
      ctx.arc(w / 2, h / 2, r * s, 0, Math.PI * 2);
      ctx.stroke();
    }
    // The sector's edges.
    const [x0, y0] = this.toScreen(0, 0);
    const [x1, y1] = this.toScreen(SECTOR, SECTOR);
    ctx.strokeStyle = '#30363d';
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);

    const own = this.deck.own();
    const room = this.deck.room;
    for (const e of room.entities.values()) {
      if (e.typeName === 'torpedo') {
        const [sx, sy] = this.toScreen(e.render.position.x, e.render.position.y);
        ctx.fillStyle = e.state.warhead.side === 'enemy' ? '#ff7b72' : '#f0e68c';
        ctx.fillRect(sx - 2, sy - 2, 4, 4);
        continue;
      }
      const c = contactOf(e);
      if (!c) continue;
      const mine = own !== undefined && e.id === own.id;
      const pos = mine && o.ownRender ? o.ownRender.position : c;
      const [sx, sy] = this.toScreen(pos.x, pos.y);
      ctx.fillStyle = ctx.strokeStyle = COLORS[c.side];
      if (c.kind === 'base') ctx.strokeRect(sx - 7, sy - 7, 14, 14);
      else if (e.typeName === 'ship' && !e.has('heading', 'angle')) ctx.fillRect(sx - 3, sy - 3, 6, 6); // a far contact: a position, no heading
      else this.ship(ctx, sx, sy, mine && o.ownRender ? o.ownRender.heading.angle : e.typeName === 'ship' ? e.render.heading.angle : 0, mine);
      if (o.target === e.id) {
        ctx.strokeStyle = '#d29922';
        ctx.strokeRect(sx - 12, sy - 12, 24, 24);
      }
      ctx.fillStyle = '#c9d1d9';
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText(c.name, sx, sy - 14);
    }
    if (own && o.course !== undefined) {
      const p = o.ownRender?.position ?? own.render.position;
      const [sx, sy] = this.toScreen(p.x, p.y);
      ctx.strokeStyle = 'rgba(63,185,80,0.6)';
      ctx.setLineDash([6, 6]);
      ctx.beginPath();
      ctx.moveTo(sx, sy);
      ctx.lineTo(sx + Math.cos(o.course) * w, sy + Math.sin(o.course) * w);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    this.drawEffects(ctx);
  }

  /** A ship: a dart pointing along its heading; ours outlined in white. */
  private ship(ctx: CanvasRenderingContext2D, x: number, y: number, angle: number, mine: boolean): void {
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    ctx.beginPath();
    for (const [i, [px, py]] of DART.entries()) {
      const sx = x + px * cos - py * sin;
      const sy = y + px * sin + py * cos;
      if (i === 0) ctx.moveTo(sx, sy);
      else ctx.lineTo(sx, sy);
    }
    ctx.closePath();
    ctx.fill();
    if (!mine) return;
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.lineWidth = 1;
  }

  private drawEffects(ctx: CanvasRenderingContext2D): void {
    const now = performance.now();
    const room = this.deck.room;
    for (let i = this.effects.length - 1; i >= 0; i--) {
      const fx = this.effects[i]!;
      if (now > fx.until) {
        this.effects.splice(i, 1);
        continue;
      }
      if (fx.kind === 'beam') {
        const a = room.entities.get(fx.from);
        const b = room.entities.get(fx.to);
        if (!a || !b || (a.typeName !== 'ship' && a.typeName !== 'base') || (b.typeName !== 'ship' && b.typeName !== 'base')) continue;
        const [ax, ay] = this.toScreen(a.render.position.x, a.render.position.y);
        const [bx, by] = this.toScreen(b.render.position.x, b.render.position.y);
        ctx.strokeStyle = '#79c0ff';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
        ctx.stroke();
        ctx.lineWidth = 1;
      } else {
        const [x, y] = this.toScreen(fx.x, fx.y);
        const t = 1 - (fx.until - now) / 600;
        ctx.strokeStyle = `rgba(255,166,87,${1 - t})`;
        ctx.beginPath();
        ctx.arc(x, y, 6 + t * 20 * fx.size, 0, Math.PI * 2);
        ctx.stroke();
      }
    }
  }
}

