/**
 * The arena in the browser: joins the room named in the URL, sends input at the tick rate,
 * renders remote state through the SDK's interpolation, and wires up fire, build and chat.
 */
import { connect, type ClientEntityOf, type ClientRoom } from '@tickwire/client';
import { arena, CELL, GRID_H, GRID_W, MAP_H, MAP_W, type Arena } from '../shared/protocol.js';
import { draw } from './render.js';
import { Controls } from './controls.js';

const params = new URLSearchParams(location.search);
const roomCode = params.get('room') ?? 'arena-1';
const name = params.get('name') ?? localStorage.getItem('tickwire-name') ?? `pilot-${Math.floor(Math.random() * 9000 + 1000)}`;
localStorage.setItem('tickwire-name', name);

const canvas = document.querySelector<HTMLCanvasElement>('#game')!;
const status = document.querySelector<HTMLElement>('#status')!;
const scores = document.querySelector<HTMLOListElement>('#scores')!;
const chatLines = document.querySelector<HTMLUListElement>('#chat-lines')!;
const chatForm = document.querySelector<HTMLFormElement>('#chat-form')!;
const chatInput = document.querySelector<HTMLInputElement>('#chat-input')!;

function addChat(from: string, text: string): void {
  const li = document.createElement('li');
  const who = document.createElement('span');
  who.className = 'from';
  who.textContent = from ? `${from}: ` : '';
  li.append(who, text);
  chatLines.append(li);
  while (chatLines.children.length > 100) chatLines.firstElementChild!.remove();
  chatLines.scrollTop = chatLines.scrollHeight;
}

async function main(): Promise<void> {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const room: ClientRoom<Arena> = await connect({ url: `${scheme}://${location.host}/ws`, room: roomCode, name, protocol: arena });
  (window as unknown as { tickwire: unknown }).tickwire = { room };
  addChat('', `joined room "${roomCode}" as ${name} — share ${location.origin}/?room=${encodeURIComponent(roomCode)}`);

  const controls = new Controls(canvas, MAP_W, MAP_H);
  let snapshots = 0;
  let snapshotRate = 0;
  room.on('snapshot', () => snapshots++);
  setInterval(() => {
    snapshotRate = snapshots;
    snapshots = 0;
  }, 1000);
  room.on('chat', (line) => addChat(line.name, line.text));
  room.on('error', (e) => addChat('', `error ${e.codeName}: ${e.message}`));
  room.on('close', (info) => {
    status.textContent = `disconnected (${info.code}${info.reason ? ` ${info.reason}` : ''}) — reload to rejoin`;
  });

  const me = () => room.entity;
  const aimFrom = (ship: ClientEntityOf<Arena> | undefined) => {
    if (ship?.typeName !== 'ship') return 0;
    const pos = ship.render.position;
    return Math.atan2(controls.mouse.y - pos.y, controls.mouse.x - pos.x);
  };

  setInterval(() => {
    if (!room.isOpen) return;
    const { dx, dy } = controls.direction();
    room.sendInput({ dx, dy, aim: ((aimFrom(me()) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI) });
  }, room.tickMs);

  controls.onFire(() => {
    const angle = ((aimFrom(me()) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
    room.sendCommand('combat', 'fire', { angle }).catch(() => undefined);
  });
  controls.onBuild(() => {
    const cx = Math.min(GRID_W - 1, Math.max(0, Math.floor(controls.mouse.x / CELL)));
    const cy = Math.min(GRID_H - 1, Math.max(0, Math.floor(controls.mouse.y / CELL)));
    room.sendCommand('build', 'wall', { cx, cy }).catch((e: Error) => addChat('', `can't build: ${e.message}`));
  });
  controls.onChat(() => chatInput.focus());
  chatForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (text) room.chat(text);
    chatInput.value = '';
    chatInput.blur();
  });

  const frame = () => {
    room.interpolate();
    draw(canvas, room, controls.mouse);
    const ships = [...room.entities.values()].flatMap((e) => (e.typeName === 'ship' ? [e] : []));
    status.textContent = `room ${roomCode} · ${ships.length} ships · RTT ${Math.round(room.rtt)} ms · ${snapshotRate} snapshots/s`;
    const rows = ships
      .map((s) => s.state.pilot)
      .sort((a, b) => b.score - a.score)
      .slice(0, 10)
      .map((p) => `<li>${escapeHtml(p.name)} — ${p.score}</li>`)
      .join('');
    if (scores.innerHTML !== rows) scores.innerHTML = rows;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

main().catch((err: Error) => {
  status.textContent = `could not join: ${err.message}`;
});
