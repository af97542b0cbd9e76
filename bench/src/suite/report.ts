/**
 * What the suite prints and writes: the terminal table, the markdown table of RESULTS.md with
 * the machine it ran on, and the machine description itself (from /proc and os).
 */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { BRIDGE_BASES, BRIDGE_TIERS, BRIDGE_TORPEDOES, CONSOLES, npcsFor, shipsFor } from './bridge-protocol.js';
import type { ResultRow } from './results.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown CPU';
  let memory = totalmem();
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
    const mem = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (mem) memory = Number(mem[1]) * 1024;
  } catch {
    // not Linux: os has the same facts, less precisely
  }
  return { cpu, cores: cpus().length, memoryGiB: Math.round((memory / 2 ** 30) * 10) / 10, os: `${type()} ${release()}`, node: process.version };
}

const COLUMNS = [
  'system',
  'transport',
  'workload',
  'clients',
  'CPU cores',
  'CPU ms/tick',
  'RSS MB',
  'KB/client',
  'B/s/client',
  'snaps/s',
  'vs Colyseus cpu/bytes',
  'vs Colyseus uWS cpu/bytes',
  'vs raw cpu/bytes',
  'valid',
] as const;
/** Columns of words (left-aligned); the others are figures. */
const WORDS = 4;

const fmtRatio = (r: { cpu: number; bytes: number } | undefined) => (r ? `${fmt(r.cpu)} / ${fmt(r.bytes)}` : '');
function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : String(x);
}

/** A row's name in notes: system, transport, workload, size. */
const label = (r: ResultRow) => `${r.system} ${r.transport} ${r.workload} ${r.clients}`;

function cells(r: ResultRow): string[] {
  return [
    r.system,
    r.transport,
    r.workload,
    String(r.clients),
    fmt(r.server_cpu_cores),
    fmt(r.cpu_ms_per_tick),
    fmt(r.server_rss_mb),
    fmt(r.rss_kb_per_client),
    fmt(r.down_bytes_per_client_s),
    fmt(r.snapshots_per_client_s),
    fmtRatio(r.ratio_to_colyseus),
    fmtRatio(r.ratio_to_colyseus_uws),
    fmtRatio(r.ratio_to_raw),
    r.valid ? 'yes' : 'NO',
  ];
}

/** The terminal table. */
export function textTable(rows: readonly ResultRow[]): string {
  const all = [COLUMNS.map(String), ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < WORDS || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)];
  const invalid = rows.filter((r) => !r.valid);
  if (invalid.length > 0) out.push('', ...invalid.map((r) => `NOT VALID ${label(r)}: ${r.invalid_reasons.join('; ')}`));
  return out.join('\n');
}

/** The markdown table. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const head = `| ${COLUMNS.join(' | ')} |`;
  const rule = `| ${COLUMNS.map((_, i) => (i < WORDS ? '---' : '---:')).join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${cells(r).join(' | ')} |`)].join('\n');
}

export interface ResultsDoc {
  rows: readonly ResultRow[];
  command: string;
  date: Date;
  machine: Machine;
  durationS: number;
  warmupS: number;
}

/** The bridge's game: crews, entities and tiers. */
function bridgeGame(players: number): string {
  const tiers = BRIDGE_TIERS.map(
    (t) =>
      `${t.name} ${t.radius.toLocaleString('en-US')} (${t.types ? `${t.types.join(' + ')}, ` : ''}${t.rate !== undefined ? `${t.rate} Hz` : 'every snapshot'}, ${t.components ? t.components.join(' + ') : 'every field'})`,
  );
  const ships = shipsFor(players);
  const npcs = npcsFor(players);
  return `${ships} ships of up to ${CONSOLES} consoles, ${2 * ships + BRIDGE_BASES + BRIDGE_TORPEDOES + npcs} entities (${ships} ships and their crew-only systems, ${BRIDGE_BASES} bases, ${BRIDGE_TORPEDOES} torpedoes in flight, ${npcs} NPC ships); tiers ${tiers.join(', ')}`;
}

/** One line per workload and size: rooms, map, the open world's neighbour check, the bridge's game and CPU per tick and snapshot. */
export function workloadDetails(rows: readonly ResultRow[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const name = (x: ResultRow) => `${x.system} ${x.transport}`;
  for (const r of rows) {
    const key = `${r.workload} ${r.clients}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const same = rows.filter((x) => x.workload === r.workload && x.clients === r.clients);
    const neighbours = same.filter((x) => x.mean_neighbours !== null).map((x) => `${name(x)} ${x.mean_neighbours}`);
    const view = same.filter((x) => x.visible_entities !== null).map((x) => `${name(x)} ${x.visible_entities}`);
    const cpu = same.filter((x) => x.server_cpu_cores > 0).map((x) => `${name(x)} ${fmt(x.cpu_ms_per_tick)} / ${fmt(x.cpu_ms_per_snapshot)}`);
    out.push(
      `- ${key}: ${r.rooms} room${r.rooms === 1 ? '' : 's'}, map ${r.map_size.toLocaleString('en-US')} x ${r.map_size.toLocaleString('en-US')}` +
        `${r.workload === 'bridge' ? `, ${bridgeGame(r.clients)}` : ''}` +
        `${neighbours.length > 0 ? `; others within 1,000 units per player (mean, from the server's state): ${neighbours.join(', ')}` : ''}` +
        `${view.length > 0 ? `; entities in one probe client's view: ${view.join(', ')}` : ''}` +
        `${r.workload === 'bridge' && cpu.length > 0 ? `; server CPU ms per tick / per snapshot: ${cpu.join(', ')}` : ''}`,
    );
  }
  return out;
}

/** The whole of RESULTS.md. */
export function resultsMarkdown(d: ResultsDoc): string {
  const mc = d.machine;
  const invalid = d.rows.filter((r) => !r.valid);
  const generator = d.rows.map((r) => r.generator.cpu_cores);
  return `# tickwire benchmark results

Written by \`npm run bench\`; rerun it to replace this file. Latest run:

- **Command**: \`${d.command}\`
- **Date**: ${d.date.toISOString()}
- **Machine**: ${mc.cpu}, ${mc.cores} cores, ${mc.memoryGiB} GiB memory, ${mc.os}, Node ${mc.node}
- **Window**: ${d.durationS} s measured after a ${d.warmupS} s warm-up; the load generator shares the machine with the server (up to ${Math.max(0, ...generator)} cores of it in this run)

${markdownTable(d.rows)}
${invalid.length > 0 ? `\nNot valid (the figures are shown but cannot be trusted):\n\n${invalid.map((r) => `- ${label(r)}: ${r.invalid_reasons.join('; ')}`).join('\n')}\n` : ''}
Runs:

${workloadDetails(d.rows).join('\n')}

## Reading the table

- **system**: **tickwire**; **colyseus**, Colyseus 0.18 sending every client the whole state,
  as it is usually run; **colyseus-view**, Colyseus filtering each client to what is within
  1,000 units with \`StateView\` (the players' map tagged \`.view()\`, each client's view brought
  up to date every tick from a grid of 1,000-unit cells); **raw**, a plain WebSocket server
  sending each client the frames tickwire sent it in that run, with no game logic: the floor for
  those bytes.
- **transport**: the WebSocket server under the system: **ws** (\`ws\` on node:http) or **uws**
  (uWebSockets.js; Colyseus through \`@colyseus/uwebsockets-transport\`). The clients are the same
  for both.
- **CPU cores**: the server process's user + system CPU (all threads) over the window, read
  from /proc, divided by the window. **CPU ms/tick**: the same CPU per room tick, in
  milliseconds: per tick the server counted (tickwire and Colyseus), or per 1/20 s and room
  (raw); the seed's budget is 10 ms per tick for a 48-player game. **RSS MB**: its resident
  memory at the end of the window; **KB/client**: that minus the idle server's, per client.
- **B/s/client**: bytes each client received per second, WebSocket framing included.
  **snaps/s**: snapshots (Colyseus: state patches) each client received per second; 20 is the
  rate every workload asks for but the bridge, which asks for 10.
- **vs Colyseus**: tickwire's figure (on either transport) divided by Colyseus's on \`ws\`, its
  default, with StateView where the workload filters (colyseus-view in the open world). **vs
  Colyseus uWS**: tickwire on uWS divided by Colyseus on its uWS transport, likewise. **vs raw**:
  tickwire's figure divided by the raw floor on the same transport. Same run, same workload and
  size; below 1, tickwire uses less.
- **valid**: the load generator kept up (every client joined and stayed, input rounds on time,
  event loop not lagging). A row that is not valid measured an overloaded machine, not the server.

Workloads (20 Hz inputs and ticks throughout): **arena**, one room, everyone sees everyone on a
1000 x 1000 map, 20 Hz snapshots; **open-world**, one room on a map sized so each player has
about 20 others within 1,000 units, 20 Hz snapshots (tickwire sends what is within that
distance in full and out to 1,500 units at 2 Hz with position and heading, by its interest
tiers; colyseus-view sends what is within 1,000 units; colyseus sends everything); **rooms**, rooms of 20
clients, 20 Hz snapshots; **bridge** (seed 004), one game of 48 players crewing 8 ships of 6
consoles with 150 entities in a 50,000-unit sector, 10 Hz snapshots, interest in near / mid /
far tiers for ships and bases (full state; position, heading and hull at 2 Hz; position at
1 Hz), torpedoes only within 5,000 units, and each ship's systems on its crew's channel; the
helm steers the ship and engineering trims the coolant, the other consoles' inputs are only
counted (tickwire and raw only); **raw**, the arena sweep
for tickwire and raw only. A raw run replays the tickwire run on its own transport (or, if
that one did not run, the other: the "replays" field of the JSON says which).

How it runs: each server is its own process, measured from outside, listening on 127.0.0.1;
the clients run in worker threads of the benchmark (tickwire's through the SDK with entity
decoding and interpolation off; Colyseus's speak its protocol over \`ws\` and count bytes
without decoding; raw clients count bytes). The worker threads run at nice 10, so the server
under test gets the CPU first, as on a machine of its own: Linux shares the cores thread by
thread, and without it a one-thread server beside eight busy workers gets a fraction of a core.
One probe client per run decodes the state, to
check what the clients see. Every bot changes direction (dx, dy in {-1, 0, 1}) about every
second. The JSON lines of \`--json\` carry more: upstream bytes, inputs the server received,
CPU per snapshot, the slowest client's snapshot rate and the generator's own figures.

Notes: Colyseus's uWS transport (0.18.2, the one for @colyseus/core 0.18) depends on
uWebSockets.js from its git repository; here it runs on the same uWebSockets.js build as every
other uWS server (an npm override), and its own \`listen\` binds every interface, so the benchmark
binds it to 127.0.0.1 itself. It imports its optional Express adapter when it loads and leaves
the failure unhandled; the benchmark's Colyseus process lets that one rejection through. It
keeps its defaults otherwise, 1 MB of backpressure per socket among them, past which uWS drops
frames: a Colyseus client that falls that far behind shows as fewer snaps/s. The raw uWS server
and tickwire's uWS host never drop a frame (their caps sit above what they let a socket buffer).
`;
}
