/**
 * The arena in the browser: joins the room named in the URL, predicts its own ship with the
 * shared movement step (so it moves the moment a key is pressed), renders everyone else through
 * the SDK's interpolation, and wires up fire, build and chat. `?lag=150&jitter=30&loss=3` runs
 * it through the SDK's network conditioner; the overlay shows what the netcode is doing.
 */
import { connect, type ClientRoom } from '@tickwire/client';
import { conditionsFromQuery } from '@tickwire/protocol';
import { arena, CELL, GRID_H, GRID_W, MAP_H, MAP_W, WALL_COST, type Arena } from '../shared/protocol.js';
import { cellKey, moveShip } from '../shared/sim.js';
import { draw } from './render.js';
import { Controls } from './controls.js';

const params = new URLSearchParams(location.search);
const roomCode = params.get('room') ?? 'arena-1';
const name = params.get('name') ?? localStorage.getItem('tickwire-name') ?? `pilot-${Math.floor(Math.random() * 9000 + 1000)}`;
localStorage.setItem('tickwire-name', name);
// A stable anonymous identity, so coming back (even after a server restart) restores this
// pilot's resources and position. (`?as=other` plays as someone else in another tab.)
const anonId =
  params.get('as') ?? localStorage.getItem('tickwire-id') ?? Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
if (!params.get('as')) localStorage.setItem('tickwire-id', anonId);

const canvas = document.querySelector<HTMLCanvasElement>('#game')!;
const status = document.querySelector<HTMLElement>('#status')!;
const overlay = document.querySelector<HTMLElement>('#overlay')!;
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
  const conditions = conditionsFromQuery(params);
  const room: ClientRoom<Arena> = await connect({ url: `${scheme}://${location.host}/ws`, room: roomCode, name, token: `anon:${anonId}`, protocol: arena, conditions });
  addChat('', `joined room "${roomCode}" as ${name} — share ${location.origin}/?room=${encodeURIComponent(roomCode)}`);
  if (conditions) addChat('', `network conditioner: ${JSON.stringify(conditions)}`);

  // The walls the movement step collides with, kept from the replicated view.
  const walls = new Set<number>();
  const wallKeys = new Map<number, number>();
  room.on('add', (e) => {
    if (e.typeName !== 'wall') return;
    const key = cellKey(e.state.cell.cx, e.state.cell.cy);
    walls.add(key);
    wallKeys.set(e.id, key);
  });
  room.on('remove', (e) => {
    const key = wallKeys.get(e.id);
    if (key !== undefined) walls.delete(key);
    wallKeys.delete(e.id);
  });
  const predictor = room.predict({ type: 'ship', step: moveShip, world: () => ({ walls }) });
  const corrections: number[] = [];
  predictor.onCorrection = (size, _snapped, at) => size > 0 && corrections.push(at);
  (window as unknown as { tickwire: unknown }).tickwire = { room, predictor };

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

  /** The aim from our (predicted) ship to the mouse, in [0, 2π). */
  const aim = () => {
    const pos = predictor.state?.position;
    if (!pos) return 0;
    const a = Math.atan2(controls.mouse.y - pos.y, controls.mouse.x - pos.x);
    return Number.isFinite(a) ? (a + 2 * Math.PI) % (2 * Math.PI) : 0;
  };

  // One input per tick: the server applies one per tick, and the predictor steps once per input.
  setInterval(() => {
    if (!room.isOpen) return;
    const { dx, dy } = controls.direction();
    room.sendInput({ dx, dy, aim: aim() });
  }, room.tickMs);

  controls.onFire(() => {
    room.sendCommand('combat', 'fire', { angle: aim() }).catch(() => undefined);
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
    draw(canvas, room, controls.mouse, predictor.state ? predictor.render : undefined);
    const ships = [...room.entities.values()].flatMap((e) => (e.typeName === 'ship' ? [e] : []));
    const now = performance.now();
    while (corrections.length > 0 && corrections[0]! < now - 1000) corrections.shift();
    const mine = room.entity;
    const resources = mine?.typeName === 'ship' ? mine.state.pilot.resources : 0;
    status.textContent = `room ${roomCode} · ${ships.length} ships · ${snapshotRate} snapshots/s · resources ${resources} (a wall costs ${WALL_COST})`;
    overlay.textContent = [
      `RTT ${Math.round(room.rtt)} ms (jitter ${Math.round(room.clockSync.jitter)})`,
      `interpolation ${Math.round(room.interpolationDelayMs)} ms → ${Math.round(room.targetDelayMs)} (${room.starvations} starved)`,
      `buffer ${Math.max(0, (room.tick - room.renderTick()) * room.tickMs).toFixed(0)} ms ahead of render`,
      `corrections ${corrections.length}/s, last ${predictor.stats.lastCorrection.toFixed(2)} (${predictor.stats.snaps} snaps)`,
      `unacked inputs ${predictor.unacknowledged}`,
    ].join('\n');
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
