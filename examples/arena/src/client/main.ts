/**
 * The arena in the browser: joins the room named in the URL, predicts its own ship with the
 * shared movement step (so it moves the moment a key is pressed), renders everyone else through
 * the SDK's interpolation, and wires up fire, build and chat. `?lag=150&jitter=30&loss=3` runs
 * it through the SDK's network conditioner; the overlay shows what the netcode is doing.
 *
 * Each tab is one pilot (identity.ts); a reload resumes the tab's seat, and a drop is ridden out
 * by the SDK's reconnect, with the connection line in the header saying what is going on.
 */
import { DEFAULT_RECONNECT, backoffDelay, connect, isTransient, serverAt, type ClientRoom, type Predictor } from '@tickwire/client';
import { ErrorCode, TickwireError, conditionsFromQuery } from '@tickwire/protocol';
import { arena, CELL, GRID_H, GRID_W, MAP_H, MAP_W, WALL_COST, type Arena } from '../shared/protocol.js';
import { moveShip } from '../shared/sim.js';
import { closedLine, reconnectedLine, reconnectingLine, unreachableLine, type StatusLine } from './connection-status.js';
import { claimSlot, forgetSeat, Pilot, savedSeat, saveSeat } from './identity.js';
import { nameProblem, randomPilotName } from './name.js';
import { draw } from './render.js';
import { Controls } from './controls.js';
import { trackWalls } from './walls.js';

declare global {
  interface Window {
    /** The page's room, predictor and connection log, for the browser tests and the devtools console. */
    tickwire?: { room: ClientRoom<Arena>; predictor: Predictor<Arena, 'ship', { walls: ReadonlySet<number> }>; statusLog: string[] };
  }
}

const params = new URLSearchParams(location.search);
const roomCode = params.get('room') ?? 'arena-1';

const canvas = document.querySelector<HTMLCanvasElement>('#game')!;
const status = document.querySelector<HTMLElement>('#status')!;
const overlay = document.querySelector<HTMLElement>('#overlay')!;
const scores = document.querySelector<HTMLOListElement>('#scores')!;
const chatLines = document.querySelector<HTMLUListElement>('#chat-lines')!;
const chatForm = document.querySelector<HTMLFormElement>('#chat-form')!;
const chatInput = document.querySelector<HTMLInputElement>('#chat-input')!;
const connection = document.querySelector<HTMLElement>('#connection')!;
const rejoin = document.querySelector<HTMLButtonElement>('#rejoin')!;
rejoin.addEventListener('click', () => location.reload());

// Every line shown, for the browser test (the page also exposes the room as window.tickwire).
const statusLog: string[] = [];
let statusTimer: ReturnType<typeof setTimeout> | undefined;

/** Puts the connection line on screen; a good line fades after a few seconds, the others stay. */
function showConnection(line: StatusLine): void {
  statusLog.push(line.text);
  connection.textContent = line.text;
  connection.dataset.tone = line.tone;
  connection.hidden = false;
  rejoin.hidden = line.tone !== 'bad';
  clearTimeout(statusTimer);
  if (line.tone === 'ok') statusTimer = setTimeout(() => (connection.hidden = true), 4000);
}

/**
 * The name to play under: `?name=` when it can be a name, else the pilot's saved one. A name the
 * page refuses is neither saved nor sent, and the refusal stays on screen.
 */
function chooseName(pilot: Pilot): { name: string; fallback: string; refused?: string } {
  const fallback = pilot.name ?? randomPilotName();
  const asked = params.get('name');
  if (asked === null || asked === fallback) return { name: fallback, fallback };
  const problem = nameProblem(asked);
  if (!problem) return { name: asked, fallback };
  const shown = JSON.stringify(asked.length > 40 ? `${asked.slice(0, 40)}…` : asked);
  return { name: fallback, fallback, refused: `the name ${shown} was refused (${problem}): playing as ${fallback}` };
}

/**
 * Joins with this tab's pilot, resuming the tab's seat when it has one. The first join retries
 * while the server is unreachable (the SDK takes over once joined); a resume token the server no
 * longer knows, or an identity from a server whose secret changed, is dropped and the join made
 * again without it.
 */
async function join(pilot: Pilot, wanted: string, fallback: string): Promise<{ room: ClientRoom<Arena>; name: string }> {
  // One server, or a cluster's gateway that sends the page to the process running the room.
  const server = await serverAt(location.origin);
  const conditions = conditionsFromQuery(params);
  let freshIdentity = false;
  let resume = true;
  let name = wanted;
  for (let attempt = 1; ; attempt++) {
    try {
      const identity = await pilot.identity(location.origin, freshIdentity);
      const room = await connect({
        ...server,
        room: roomCode,
        name,
        token: identity.token,
        resumeToken: resume ? savedSeat(roomCode, identity.userId) : undefined,
        protocol: arena,
        conditions,
      });
      saveSeat(roomCode, identity.userId, room.resumeToken);
      room.on('reconnected', () => saveSeat(roomCode, identity.userId, room.resumeToken));
      return { room, name };
    } catch (err) {
      const code = err instanceof TickwireError ? err.code : undefined;
      if (code === ErrorCode.INVALID_TEXT && name !== fallback) {
        // The server's rule is the one that counts: it refused a name the page let through.
        addChat('', `the server refused the name ${JSON.stringify(name)}: ${(err as Error).message}; playing as ${fallback}`);
        name = fallback;
        continue;
      }
      if (code === ErrorCode.RESUME_FAILED && resume) {
        // The seat expired (or the server restarted): join as a new seat; the pilot's saved state comes back with it.
        resume = false;
        forgetSeat();
        continue;
      }
      if (code === ErrorCode.AUTH_FAILED && !freshIdentity) {
        freshIdentity = true;
        continue;
      }
      if (!isTransient(err) || attempt >= DEFAULT_RECONNECT.attempts) throw err;
      showConnection(unreachableLine(attempt, err));
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, DEFAULT_RECONNECT, Math.random)));
    }
  }
}

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
  showConnection({ text: 'connecting…', tone: 'busy' });
  const pilot = new Pilot(await claimSlot());
  const chosen = chooseName(pilot);
  if (chosen.refused) addChat('', chosen.refused);
  const { room, name } = await join(pilot, chosen.name, chosen.fallback);
  pilot.name = name;
  // A refused name stays on screen until the connection has something newer to say.
  showConnection(chosen.refused ? { text: chosen.refused, tone: 'busy' } : { text: 'connected', tone: 'ok' });
  addChat('', `joined room "${roomCode}" as ${name} (pilot ${pilot.slot.label}) — share ${location.origin}${location.pathname}?room=${encodeURIComponent(roomCode)}`);
  const conditions = conditionsFromQuery(params);
  if (conditions) addChat('', `network conditioner: ${JSON.stringify(conditions)}`);

  // The walls the movement step collides with, kept from the replicated view.
  const walls = trackWalls(room);
  const predictor = room.predict({ type: 'ship', step: moveShip, world: () => ({ walls }) });
  const corrections: number[] = [];
  predictor.onCorrection = (size, _snapped, at) => size > 0 && corrections.push(at);
  window.tickwire = { room, predictor, statusLog };

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
  room.on('reconnecting', (info) => showConnection(reconnectingLine(info)));
  room.on('reconnected', (info) => {
    showConnection(reconnectedLine(info));
    addChat('', reconnectedLine(info).text);
  });
  room.on('close', (info) => {
    const line = closedLine(info);
    showConnection(line);
    addChat('', line.text);
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
    if (room.status !== 'connected') return;
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
  status.textContent = '';
  showConnection({ text: `could not join: ${err.message}`, tone: 'bad' });
});
