/**
 * The cluster's admin page: asks for the admin token, then shows what the gateway's
 * GET /api/admin/cluster says (processes with health, load and load over time; rooms with their
 * players; sessions), refreshed every two seconds, and carries out the operator's actions
 * through the gateway: inspect a room, kick a player, close a room, drain a process.
 *
 * Every value from the API is written with textContent, never as HTML: a room code, a player's
 * name or an entity field cannot inject markup.
 */
import { rate, sparkline } from './chart.js';

interface Sample {
  at: number;
  clients: number;
  rooms: number;
  tickMsP99: number;
  bytesOutPerSec: number;
}

interface Player {
  id: number;
  userId: string;
  name: string;
  connected: boolean;
}

interface RoomRow {
  code: string;
  type: string | null;
  tickRate: number;
  entities: number;
  session: { name: string; state: string } | null;
  players: Player[];
}

interface ProcessRow {
  id: string;
  url: string;
  draining: boolean;
  capacity: { rooms: number; clients: number };
  load: { rooms: number; clients: number; tickMsP99: number; bytesOutPerSec: number };
  health: { status: string; uptimeS: number } | { error: string };
  rooms: RoomRow[];
  samples: Sample[];
}

interface SessionRow {
  id: string;
  name: string;
  type: string;
  state: string;
  players: number;
  members: number;
  seatsFree: number;
  password: boolean;
  process: string;
}

interface Cluster {
  processes: ProcessRow[];
  gone: { id: string; samples: Sample[] }[];
  sessions: SessionRow[];
  unreachable: { process: string; reason: string }[];
}

interface InspectedRoom {
  code: string;
  process: string;
  epoch: number | null;
  tick: number;
  players: Player[];
  entityList: { id: number; type: string; fields: Record<string, Record<string, unknown>> }[];
  entitiesTruncated: boolean;
}

const TOKEN_KEY = 'tickwire-admin-token';
const REFRESH_MS = 2000;

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the admin page has no #${id}`);
  return el as T;
}

/** A table cell with text (right-aligned when it is a number). */
function cell(value: string | number, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = String(value);
  td.className = typeof value === 'number' ? `num ${className}` : className;
  return td;
}

/**
 * The action waiting for its second click, by key: kept here, not on the button, because the
 * tables are drawn again every refresh and a click must not lose its first half to that.
 */
let armed: { key: string; until: number } | null = null;
const ARMED_MS = 5000;

/**
 * A cell holding a button; with `confirm`, the first click only asks ("sure?") and a second one
 * within five seconds does it, for actions that cannot be undone.
 */
function actionCell(label: string, key: string, run: () => Promise<void>, confirm: boolean): HTMLTableCellElement {
  const td = document.createElement('td');
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.action = label.toLowerCase();
  const show = () => {
    const sure = confirm && armed?.key === key && Date.now() < armed.until;
    button.textContent = sure ? `${label}: sure?` : label;
    button.classList.toggle('confirm', sure);
    return sure;
  };
  show();
  button.addEventListener('click', () => {
    if (confirm && !show()) {
      armed = { key, until: Date.now() + ARMED_MS };
      show();
      return;
    }
    armed = null;
    button.disabled = true;
    void run()
      .catch((err: Error) => say(`${label.toLowerCase()} failed: ${err.message}`, true))
      .finally(() => {
        button.disabled = false;
        show();
      });
  });
  td.append(button);
  return td;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function say(text: string, bad = false): void {
  const status = element('status');
  status.textContent = text;
  status.className = bad ? 'down' : '';
}

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let timer: ReturnType<typeof setTimeout> | undefined;

/** Calls the gateway's admin API; rejects with the answer's message. */
async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const answer: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const message = typeof answer === 'object' && answer !== null && 'message' in answer && typeof answer.message === 'string' ? answer.message : `${method} ${path} answered ${res.status}`;
    throw Object.assign(new Error(message), { status: res.status });
  }
  return answer as T;
}

function renderProcesses(cluster: Cluster): void {
  const body = element<HTMLTableElement>('processes').tBodies[0]!;
  body.replaceChildren(
    ...cluster.processes.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.process = p.id;
      const health = 'error' in p.health ? `unreachable: ${p.health.error}` : p.draining ? 'draining' : p.health.status;
      const id = cell(p.id);
      id.title = p.url;
      tr.append(
        id,
        cell(health, 'error' in p.health ? 'down' : p.draining ? 'draining' : ''),
        cell(`${p.load.clients} / ${p.capacity.clients}`),
        cell(`${p.load.rooms} / ${p.capacity.rooms}`),
        cell(`${p.load.tickMsP99.toFixed(2)} ms`),
        cell(rate(p.load.bytesOutPerSec)),
      );
      for (const [pick, format] of [
        [(s: Sample) => s.clients, (v: number) => String(Math.round(v))],
        [(s: Sample) => s.tickMsP99, (v: number) => `${v.toFixed(1)} ms`],
        [(s: Sample) => s.bytesOutPerSec, rate],
      ] as const) {
        const td = document.createElement('td');
        td.append(sparkline(p.samples.map(pick), format));
        tr.append(td);
      }
      tr.append(
        p.draining
          ? cell('')
          : actionCell('Drain', `drain:${p.id}`, async () => {
              await api('POST', `/api/admin/processes/${encodeURIComponent(p.id)}/drain`, {});
              say(`process ${p.id} is draining`);
              await refresh();
            }, true),
      );
      return tr;
    }),
  );
  const lost = [...cluster.unreachable.map((u) => `${u.process} (${u.reason})`), ...cluster.gone.map((g) => `${g.id} (gone)`)];
  const warn = element('unreachable');
  warn.hidden = lost.length === 0;
  warn.textContent = lost.length === 0 ? '' : `Not answering: ${lost.join(', ')}`;
}

function renderRooms(cluster: Cluster): void {
  const body = element<HTMLTableElement>('rooms').tBodies[0]!;
  const rows: HTMLTableRowElement[] = [];
  for (const p of cluster.processes) {
    for (const r of p.rooms) {
      const tr = document.createElement('tr');
      tr.dataset.room = r.code;
      const connected = r.players.filter((x) => x.connected).length;
      tr.append(
        cell(r.code),
        cell(r.type ?? ''),
        cell(p.id),
        cell(connected),
        cell(r.session ? `${r.session.name} (${r.session.state})` : ''),
        cell(r.tickRate),
        cell(r.entities),
      );
      const actions = actionCell('Inspect', `inspect:${r.code}`, () => inspect(r.code), false);
      const close = actionCell('Close', `close:${r.code}`, async () => {
        await api('POST', `/api/admin/rooms/${encodeURIComponent(r.code)}/close`);
        say(`room ${r.code} closed`);
        await refresh();
      }, true);
      actions.append(...close.childNodes);
      tr.append(actions);
      rows.push(tr);
    }
  }
  body.replaceChildren(...rows);
}

function renderSessions(cluster: Cluster): void {
  const body = element<HTMLTableElement>('sessions').tBodies[0]!;
  body.replaceChildren(
    ...cluster.sessions.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.session = s.id;
      tr.append(cell(s.id), cell(s.name), cell(s.type), cell(s.state), cell(`${s.players} / ${s.members}`), cell(s.seatsFree), cell(s.password ? 'yes' : 'no'), cell(s.process));
      return tr;
    }),
  );
}

/** Shows a room's players (with a kick button each) and its entities with their fields. */
async function inspect(code: string): Promise<void> {
  let room: InspectedRoom;
  try {
    room = await api<InspectedRoom>('GET', `/api/admin/rooms/${encodeURIComponent(code)}`);
  } catch (err) {
    say(`could not inspect ${code}: ${(err as Error).message}`, true);
    return;
  }
  element('inspect').hidden = false;
  element('inspect-code').textContent = room.code;
  element('inspect-summary').textContent = `on ${room.process}, epoch ${room.epoch ?? '-'}, tick ${room.tick}, ${room.entityList.length} entities${room.entitiesTruncated ? ' (the first ones)' : ''}`;
  element<HTMLTableElement>('inspect-players').tBodies[0]!.replaceChildren(
    ...room.players.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.user = p.userId;
      tr.append(
        cell(p.id),
        cell(p.userId),
        cell(p.name),
        cell(p.connected ? 'yes' : 'no'),
        actionCell('Kick', `kick:${room.code}:${p.userId}`, async () => {
          await api('POST', `/api/admin/rooms/${encodeURIComponent(room.code)}/kick`, { userId: p.userId });
          say(`${p.name || p.userId} kicked from ${room.code}`);
          await inspect(room.code);
        }, true),
      );
      return tr;
    }),
  );
  element<HTMLTableElement>('inspect-entities').tBodies[0]!.replaceChildren(
    ...room.entityList.slice(0, 500).map((e) => {
      const tr = document.createElement('tr');
      tr.append(cell(e.id), cell(e.type), cell(JSON.stringify(e.fields), 'fields'));
      return tr;
    }),
  );
}

async function refresh(): Promise<void> {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  try {
    const cluster = await api<Cluster>('GET', '/api/admin/cluster');
    element('signin').hidden = true;
    element('cluster').hidden = false;
    renderProcesses(cluster);
    renderRooms(cluster);
    renderSessions(cluster);
    const rooms = cluster.processes.reduce((n, p) => n + p.rooms.length, 0);
    say(`${plural(cluster.processes.length, 'process', 'processes')}, ${plural(rooms, 'room', 'rooms')}, ${plural(cluster.sessions.length, 'session', 'sessions')}, at ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    if ((err as { status?: number }).status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      token = '';
      element('signin').hidden = false;
      element('cluster').hidden = true;
      say('that admin token was refused', true);
      return;
    }
    say(`could not read the cluster: ${(err as Error).message}`, true);
  }
  timer = setTimeout(() => void refresh(), REFRESH_MS);
}

element<HTMLFormElement>('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  token = element<HTMLInputElement>('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  void refresh();
});
element('inspect-close').addEventListener('click', () => {
  element('inspect').hidden = true;
});
if (token !== '') void refresh();

