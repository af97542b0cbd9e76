/**
 * The benchmark suite: tickwire beside Colyseus 0.18 and beside a raw server replaying
 * tickwire's own frames, each on `ws` and on uWebSockets.js, under the same workloads, on this
 * machine.
 *
 *   npm run bench -- [--workload arena|open-world|rooms|bridge|raw|all] [--clients N] [--duration S]
 *                    [--system tickwire|colyseus|raw|all] [--transport ws|uws|all] [--json] [--results PATH]
 *
 * Each server runs in its own process and is measured from outside (/proc); the clients run in
 * worker threads of this process. A table (or JSON lines) goes to stdout, progress to stderr,
 * and the results with the machine they ran on to bench/RESULTS.md (or --results PATH).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flags } from './args.js';
import { makePlan, USAGE } from './suite/plan.js';
import { Progress } from './suite/progress.js';
import type { Recording } from './suite/replay.js';
import { machine, resultsMarkdown, textTable } from './suite/report.js';
import { attachRatios, inheritValidity, sig, toRow, type Measurement, type ResultRow } from './suite/results.js';
import { mapSizeOf, roomsOf, runOne } from './suite/run.js';
import type { Transport } from './suite/types.js';

const args = process.argv.slice(2);
const f = flags(args);
if (f.has('help')) {
  console.log(USAGE);
  process.exit(0);
}
let plan;
try {
  plan = makePlan(f);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}

const progress = new Progress();
const started = new Date();
const rows: ResultRow[] = [];
const total = plan.groups.reduce((a, g) => a + g.systems.length, 0);
let done = 0;
for (const group of plan.groups) {
  // tickwire's recordings by transport: a raw run replays the one on its own transport, or the other.
  const recordings = new Map<Transport, Recording>();
  const groupRows: ResultRow[] = [];
  for (const { system, transport } of group.systems) {
    done++;
    const spec = { system, transport, workload: group.workload, clients: group.clients };
    progress.line(`[${done}/${total}] ${system} on ${transport} ${group.workload} ${group.clients} clients`);
    const replayOf: Transport | undefined = system !== 'raw' ? undefined : recordings.has(transport) ? transport : recordings.keys().next().value;
    let m: Measurement;
    try {
      const out = await runOne(spec, { ...plan, progress }, replayOf !== undefined ? recordings.get(replayOf) : undefined);
      m = { ...out.measurement, ...(replayOf !== undefined ? { replayOf } : {}) };
      if (out.recording) recordings.set(transport, out.recording);
    } catch (err) {
      const base = { ...spec, ...(replayOf !== undefined ? { replayOf } : {}), rooms: roomsOf(group.workload, group.clients), mapSize: mapSizeOf(group.workload, group.clients) };
      m = { ...base, seconds: 0, serverCpuSeconds: 0, rssIdleBytes: 0, rssEndBytes: 0, joined: 0, aborted: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
    }
    const row = toRow(m);
    groupRows.push(row);
    inheritValidity(groupRows);
    progress.line(
      `      ${row.server_cpu_cores} cores (${row.cpu_ms_per_tick} ms a tick), ${row.server_rss_mb} MB, ${row.down_bytes_per_client_s} B/s and ${row.snapshots_per_client_s} snapshots/s per client` +
        `${row.visible_entities !== null ? `, ${row.visible_entities} in the probe's view` : ''}` +
        `${row.mean_neighbours !== null ? `, ${row.mean_neighbours} others within 1,000 units` : ''}; generator ${row.generator.cpu_cores} cores, loop p99 ${sig(row.generator.loop_delay_p99_ms, 2)} ms` +
        `${row.valid ? '' : ` · NOT VALID: ${row.invalid_reasons.join('; ')}`}`,
    );
  }
  attachRatios(groupRows);
  rows.push(...groupRows);
  if (plan.json) for (const r of groupRows) console.log(JSON.stringify(r));
}

if (!plan.json) console.log(`\n${textTable(rows)}`);
const resultsPath = plan.resultsPath ?? fileURLToPath(new URL('../RESULTS.md', import.meta.url));
writeFileSync(
  resultsPath,
  resultsMarkdown({ rows, command: ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' '), date: started, machine: machine(), durationS: plan.durationS, warmupS: plan.warmupS }),
);
progress.line(`results written to ${resultsPath}`);
