/**
 * The feel scenario's scripted players and its director.
 *
 * Calm: everyone wanders, a new direction every 0.4-1 s, away from walls and edges: prediction
 * never disagrees with the server. Interactive, played the way people play: the local pilot
 * keeps moving; the remote pilots turn every 100-200 ms, stay near the local ship and shoot at it
 * (what they see of it, led by the bullet's flight), so it is killed and respawned elsewhere;
 * and the director has them build walls in the local ship's path a moment before it gets there. Each script draws from its own seeded stream,
 * so a change in the netcode does not change what the players do.
 */
import type { ClientRoom } from '@tickwire/client';
import { BUILD_RANGE, BULLET_SPEED, CELL, GRID_H, GRID_W, MAX_RESOURCES, SHIP_RADIUS, type Arena } from '../shared/protocol.js';
import { cellKey } from '../shared/sim.js';
import type { Truth } from './truth.js';
import type { ArenaRoom } from './types.js';

export interface Pilot {
  room: ClientRoom<Arena>;
  dx: number;
  dy: number;
  /** When the pilot next changes direction (ms, local clock). */
  next: number;
  nextFire: number;
  /** Where this pilot last saw the local ship, and when (for leading shots). */
  seen?: { x: number; y: number; at: number; vx: number; vy: number };
}

export const pilot = (room: ClientRoom<Arena>): Pilot => ({ room, dx: 0, dy: 0, next: 0, nextFire: 0 });

const sendMove = (p: Pilot) => p.room.sendInput({ dx: p.dx, dy: p.dy, aim: Math.atan2(p.dy, p.dx) + Math.PI });

/** Keeps a ship inside a box by turning it back at the edges. */
function keepInside(p: Pilot, at: { x: number; y: number } | undefined, x0: number, x1: number, y0: number, y1: number): void {
  if (!at) return;
  if (at.x < x0) p.dx = 1;
  if (at.x > x1) p.dx = -1;
  if (at.y < y0) p.dy = 1;
  if (at.y > y1) p.dy = -1;
}

/** Calm: a new direction (or a stop) every 0.4-1 s, in the middle of the map. */
export function steerCalm(p: Pilot, at: { x: number; y: number } | undefined, now: number, random: () => number): void {
  if (now >= p.next) {
    p.dx = Math.floor(random() * 3) - 1;
    p.dy = Math.floor(random() * 3) - 1;
    p.next = now + 400 + random() * 600;
  }
  keepInside(p, at, 200, 1000, 150, 650);
  sendMove(p);
}

/** The interactive local pilot: always on the move, a new direction every 0.6-1.2 s. */
export function steerLocal(p: Pilot, at: { x: number; y: number } | undefined, now: number, random: () => number): void {
  if (now >= p.next) {
    do {
      p.dx = Math.floor(random() * 3) - 1;
      p.dy = Math.floor(random() * 3) - 1;
    } while (p.dx === 0 && p.dy === 0);
    p.next = now + 600 + random() * 600;
  }
  keepInside(p, at, 120, 1080, 100, 700);
  sendMove(p);
}

/**
 * An erratic remote pilot: a new direction every 100-200 ms, closing in on the local ship when
 * far, backing off when near, random in between.
 */
export function steerErratic(p: Pilot, at: { x: number; y: number } | undefined, target: { x: number; y: number } | undefined, now: number, random: () => number): void {
  if (now >= p.next) {
    p.dx = Math.floor(random() * 3) - 1;
    p.dy = Math.floor(random() * 3) - 1;
    if (at && target) {
      const d = Math.hypot(target.x - at.x, target.y - at.y);
      const toward = d > 260 ? 1 : d < 120 ? -1 : 0;
      if (toward !== 0 && random() < 0.7) {
        p.dx = toward * Math.sign(Math.round((target.x - at.x) / Math.max(1, d)));
        p.dy = toward * Math.sign(Math.round((target.y - at.y) / Math.max(1, d)));
      }
    }
    p.next = now + 100 + random() * 100;
  }
  keepInside(p, at, 60, 1140, 60, 740);
  sendMove(p);
}

/**
 * Fires at the local ship as this pilot sees it (its own interpolated view), leading it by the
 * bullet's flight time: what a player aiming at the screen does. Every 0.3-0.8 s, within range.
 */
export function shoot(p: Pilot, localId: number, now: number, random: () => number): void {
  const seen = p.room.entities.get(localId);
  const me = p.room.entity;
  if (seen?.typeName !== 'ship' || me?.typeName !== 'ship') return;
  const x = seen.render.position.x;
  const y = seen.render.position.y;
  const last = p.seen;
  const dt = last ? (now - last.at) / 1000 : 0;
  const vx = last && dt > 0 ? (x - last.x) / dt : 0;
  const vy = last && dt > 0 ? (y - last.y) / dt : 0;
  p.seen = { x, y, at: now, vx, vy };
  if (now < p.nextFire) return;
  const mx = me.render.position.x;
  const my = me.render.position.y;
  const flight = Math.hypot(x - mx, y - my) / BULLET_SPEED;
  if (flight * BULLET_SPEED > 350) return;
  const angle = Math.atan2(y + vy * flight - my, x + vx * flight - mx);
  p.nextFire = now + 300 + random() * 500;
  // A refusal (cooling down, no ship) is part of playing; the scenario does not wait for results.
  p.room.sendCommand('combat', 'fire', { angle: (angle + 2 * Math.PI) % (2 * Math.PI) }).catch(() => undefined);
}

/**
 * The director builds walls in the local ship's path, a moment before it gets there: the first
 * free cell 2-40 units ahead of it, about once a second, by a remote pilot in building range
 * sending the arena's own build command (so the wall goes up in the tick's command phase, before
 * the local input of that tick, as a player's wall would). Its room system keeps the builders
 * stocked with resources and takes each wall down three seconds later, so the map stays open.
 * It builds nothing in the second after the local ship respawned.
 */
export class Director {
  /** The local player's ship (set once it has joined). */
  target = 0;
  /** Walls built. */
  walls = 0;
  private nextAt = 0;
  private readonly placed: { id: number; builder: number; until: number }[] = [];

  constructor(
    private readonly truth: Truth,
    private readonly builders: readonly Pilot[],
    private readonly random: () => number,
  ) {}

  /** Called as inputs are sent (once a tick): builds when it is time and a builder is in range. */
  direct(now: number): void {
    if (this.target === 0 || now < this.nextAt) return;
    const ship = this.truth.latest(this.target);
    const respawned = this.truth.teleports.get(this.target)?.at(-1) ?? -Infinity;
    if (!ship || now - respawned < 1000) return;
    const speed = Math.hypot(ship.vx, ship.vy);
    if (speed < 1) return;
    const cell = this.cellAhead(ship.x, ship.y, ship.vx / speed, ship.vy / speed);
    if (!cell) return;
    const mx = cell.cx * CELL + CELL / 2;
    const my = cell.cy * CELL + CELL / 2;
    const builder = this.builders.find((b) => {
      const at = this.truth.latest(b.room.entityId);
      return at !== undefined && Math.hypot(at.x - mx, at.y - my) < BUILD_RANGE - 10;
    });
    if (!builder) return;
    this.nextAt = now + 800 + this.random() * 600;
    builder.room.sendCommand('build', 'wall', cell).then(
      () => this.walls++,
      () => undefined, // refused (someone moved into the cell): the next one will do
    );
  }

  /** The first cell along the ship's path (2 to 40 units beyond its edge) that no ship touches. */
  private cellAhead(x: number, y: number, ux: number, uy: number): { cx: number; cy: number } | undefined {
    for (let d = SHIP_RADIUS + 2; d <= SHIP_RADIUS + 40; d += 4) {
      const cx = Math.floor((x + ux * d) / CELL);
      const cy = Math.floor((y + uy * d) / CELL);
      if (cx < 0 || cy < 0 || cx >= GRID_W || cy >= GRID_H) return undefined;
      if (this.clear(cx, cy)) return { cx, cy };
    }
    return undefined;
  }

  /** No ship overlaps the cell (the arena refuses to build on one). */
  private clear(cx: number, cy: number): boolean {
    for (const id of [this.target, ...this.builders.map((b) => b.room.entityId)]) {
      const s = this.truth.latest(id);
      if (!s) continue;
      const nx = Math.max(cx * CELL, Math.min(s.x, cx * CELL + CELL));
      const ny = Math.max(cy * CELL, Math.min(s.y, cy * CELL + CELL));
      if ((nx - s.x) ** 2 + (ny - s.y) ** 2 < (SHIP_RADIUS + 1) ** 2) return false;
    }
    return true;
  }

  /** The room system: builders never run out of resources; walls come down after three seconds. */
  readonly system = (room: ArenaRoom): void => {
    const builders = new Set(this.builders.map((b) => b.room.clientId));
    for (const player of room.clients.values()) {
      if (!builders.has(player.id)) continue;
      if (player.entity?.type === 'ship') player.entity.pilot.resources = MAX_RESOURCES;
      for (const id of player.data.walls) {
        if (!this.placed.some((w) => w.id === id)) this.placed.push({ id, builder: player.id, until: room.tick + Math.round(3000 / room.tickMs) });
      }
    }
    while (this.placed.length > 0 && this.placed[0]!.until <= room.tick) {
      const w = this.placed.shift()!;
      const wall = room.entities.get(w.id);
      if (wall?.type !== 'wall') continue;
      const key = cellKey(wall.cell.cx, wall.cell.cy);
      room.entities.remove(wall);
      room.state.walls.delete(key);
      room.state.world.walls.delete(key);
      const owner = room.clients.get(w.builder);
      if (owner) owner.data.walls = owner.data.walls.filter((id) => id !== w.id);
    }
  };
}
