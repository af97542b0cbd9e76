/** Canvas 2D drawing of the arena from the SDK's interpolated render values. */
import type { ClientRoom } from '@tickwire/client';
import { CELL, MAP_H, MAP_W, MAX_HP, SHIP_RADIUS, type Arena } from '../shared/protocol.js';


/** Our own ship's predicted values, drawn instead of its (older) interpolated ones. */
export interface Predicted {
  position: { x: number; y: number };
  heading: { angle: number };
}

export function draw(canvas: HTMLCanvasElement, room: ClientRoom<Arena>, mouse: { x: number; y: number; inside: boolean }, own?: Predicted): void {
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#0b0f14';
  ctx.fillRect(0, 0, MAP_W, MAP_H);
  ctx.strokeStyle = '#161b22';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = 0; x <= MAP_W; x += CELL) ctx.moveTo(x + 0.5, 0), ctx.lineTo(x + 0.5, MAP_H);
  for (let y = 0; y <= MAP_H; y += CELL) ctx.moveTo(0, y + 0.5), ctx.lineTo(MAP_W, y + 0.5);
  ctx.stroke();

  for (const e of room.entities.values()) {
    if (e.typeName !== 'wall') continue;
    const c = e.state.cell;
    ctx.fillStyle = '#6e7681';
    ctx.fillRect(c.cx * CELL + 1, c.cy * CELL + 1, CELL - 2, CELL - 2);
  }

  for (const e of room.entities.values()) {
    if (e.typeName !== 'crate') continue;
    const p = e.render.position;
    ctx.fillStyle = '#d29922';
    ctx.fillRect(p.x - 7, p.y - 7, 14, 14);
    ctx.strokeStyle = '#6e4b00';
    ctx.strokeRect(p.x - 7 + 0.5, p.y - 7 + 0.5, 13, 13);
  }

  ctx.fillStyle = '#f0e68c';
  for (const e of room.entities.values()) {
    if (e.typeName !== 'bullet') continue;
    const p = e.render.position;
    ctx.beginPath();
    ctx.arc(p.x, p.y, 3, 0, Math.PI * 2);
    ctx.fill();
  }

  for (const e of room.entities.values()) {
    if (e.typeName !== 'ship') continue;
    const mine = e.id === room.entityId;
    const p = mine && own ? own.position : e.render.position;
    const angle = mine && own ? own.heading.angle : e.render.heading.angle;
    const pilot = e.state.pilot;
    const hp = e.state.health.hp;
    ctx.save();
    ctx.translate(p.x, p.y);
    ctx.rotate(angle);
    ctx.beginPath();
    ctx.moveTo(SHIP_RADIUS + 4, 0);
    ctx.lineTo(-SHIP_RADIUS, SHIP_RADIUS * 0.8);
    ctx.lineTo(-SHIP_RADIUS * 0.5, 0);
    ctx.lineTo(-SHIP_RADIUS, -SHIP_RADIUS * 0.8);
    ctx.closePath();
    ctx.fillStyle = `hsl(${pilot.hue} 70% 55%)`;
    ctx.fill();
    if (mine) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    ctx.restore();
    ctx.fillStyle = '#c9d1d9';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(pilot.name, p.x, p.y - SHIP_RADIUS - 12);
    ctx.fillStyle = '#30363d';
    ctx.fillRect(p.x - 16, p.y - SHIP_RADIUS - 8, 32, 4);
    ctx.fillStyle = hp > 40 ? '#3fb950' : '#f85149';
    ctx.fillRect(p.x - 16, p.y - SHIP_RADIUS - 8, (32 * hp) / MAX_HP, 4);
  }

  if (!mouse.inside) return;
  // Build cursor.
  ctx.strokeStyle = 'rgba(88,166,255,0.6)';
  ctx.strokeRect(Math.floor(mouse.x / CELL) * CELL + 0.5, Math.floor(mouse.y / CELL) * CELL + 0.5, CELL - 1, CELL - 1);
}
