/**
 * What the suite prints and writes: the terminal table, the markdown table of RESULTS.md with
 * the machine it ran on, and the machine description itself (from /proc and os).
 */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
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

const COLUMNS = ['system', 'workload', 'clients', 'CPU cores', 'RSS MB', 'KB/client', 'B/s/client', 'snaps/s', 'vs Colyseus cpu/bytes', 'vs raw cpu/bytes', 'valid'] as const;

const fmtRatio = (r: { cpu: number; bytes: number } | undefined) => (r ? `${fmt(r.cpu)} / ${fmt(r.bytes)}` : '');
function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : String(x);
}

function cells(r: ResultRow): string[] {
  return [
    r.system,
    r.workload,
    String(r.clients),
    fmt(r.server_cpu_cores),
    fmt(r.server_rss_mb),
    fmt(r.rss_kb_per_client),
    fmt(r.down_bytes_per_client_s),
    fmt(r.snapshots_per_client_s),
    fmtRatio(r.ratio_to_colyseus),
    fmtRatio(r.ratio_to_raw),
    r.valid ? 'yes' : 'NO',
  ];
}

/** The terminal table. */
export function textTable(rows: readonly ResultRow[]): string {
  const all = [COLUMNS.map(String), ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)];
  const invalid = rows.filter((r) => !r.valid);
  if (invalid.length > 0) out.push('', ...invalid.map((r) => `NOT VALID ${r.system} ${r.workload} ${r.clients}: ${r.invalid_reasons.join('; ')}`));
  return out.join('\n');
}

/** The markdown table. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const head = `| ${COLUMNS.join(' | ')} |`;
  const rule = `| ${COLUMNS.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`;
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

/** One line per workload and size: rooms, map, and the open world's neighbour check. */
export function workloadDetails(rows: readonly ResultRow[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rows) {
    const key = `${r.workload} ${r.clients}`;
    if (seen.has(key) || r.system === 'raw') continue;
    seen.add(key);
    const same = rows.filter((x) => x.workload === r.workload && x.clients === r.clients);
    const neighbours = same.filter((x) => x.mean_neighbours !== null).map((x) => `${x.system} ${x.mean_neighbours}`);
    const view = same.filter((x) => x.visible_entities !== null).map((x) => `${x.system} ${x.visible_entities}`);
    out.push(
      `- ${key}: ${r.rooms} room${r.rooms === 1 ? '' : 's'}, map ${r.map_size.toLocaleString('en-US')} x ${r.map_size.toLocaleString('en-US')}` +
        `${neighbours.length > 0 ? `; others within 1,000 units per player (mean, from the server's state): ${neighbours.join(', ')}` : ''}` +
        `${view.length > 0 ? `; entities in one probe client's view: ${view.join(', ')}` : ''}`,
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
${invalid.length > 0 ? `\nNot valid (the figures are shown but cannot be trusted):\n\n${invalid.map((r) => `- ${r.system} ${r.workload} ${r.clients}: ${r.invalid_reasons.join('; ')}`).join('\n')}\n` : ''}
Runs:

${workloadDetails(d.rows).join('\n')}

## Reading the table

- **CPU cores**: the server process's user + system CPU (all threads) over the window, read
  from /proc, divided by the window. **RSS MB**: its resident memory at the end of the window;
  **KB/client**: that minus the idle server's, per client.
- **B/s/client**: bytes each client received per second, WebSocket framing included.
  **snaps/s**: snapshots (Colyseus: state patches) each client received per second; 20 is the
  rate every workload asks for.
- **vs Colyseus** and **vs raw**: tickwire's figure divided by the other system's, same run,
  same workload and size (below 1: tickwire uses less).
- **valid**: the load generator kept up (every client joined and stayed, input rounds on time,
  event loop not lagging). A row that is not valid measured an overloaded machine, not the server.

Workloads (20 Hz inputs, ticks and snapshots throughout): **arena**, one room, everyone sees
everyone on a 1000 x 1000 map; **open-world**, one room on a map sized so each player has about
20 others within 1,000 units (tickwire filters by that distance; Colyseus sends everything, as
it is usually run); **rooms**, rooms of 20 clients; **raw**, a plain \`ws\` server sending each
client the frames tickwire sent it in that run, with no game logic: the floor for those bytes.

How it runs: each server is its own process, measured from outside; the clients run in worker
threads of the benchmark (tickwire's through the SDK with entity decoding and interpolation
off; Colyseus's speak its protocol over \`ws\` and count bytes without decoding; raw clients count
bytes). One probe client per run decodes the state, to check what the clients see. Every bot
changes direction (dx, dy in {-1, 0, 1}) about every second. The JSON lines of \`--json\` carry
more: upstream bytes, inputs the server received, the slowest client's snapshot rate and the
generator's own figures.
`;
}
