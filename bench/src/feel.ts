/**
 * The feel report: how the arena plays under a given network, headless and simulated.
 *
 *   npm run feel -- --lag 150 --jitter 30 --loss 3 [--interactive] [--duration 20] [--seed 1] [--json]
 *   npm run feel -- --grid [--calm] [--duration 20] [--json]
 *
 * lag is the round trip in ms, jitter varies each direction by +-jitter/2 ms, loss is percent
 * of frames dropped each way. `--interactive` plays with walls in the local ship's path, kills
 * and respawns, and erratic remote players; `--grid` runs that scenario (or the calm one with
 * `--calm`) for every lag x jitter x loss in FEEL_GRID and prints one line per condition.
 * Distances are world units, times ms.
 */
import { runFeel, runFeelGrid, type FeelReport } from '@tickwire/arena/feel';
import { flags, num } from './args.js';

const f = flags();
const duration = num(f, 'duration', 20);
const seed = num(f, 'seed', 1);
const remotes = num(f, 'remotes', 3);

function detail(r: FeelReport): void {
  console.log(`feel (${r.scenario}): ${r.lag_ms} ms RTT, +-${r.jitter_ms / 2} ms jitter each way, ${r.loss_pct}% loss, ${r.duration_s} s simulated`);
  console.log(`  local corrections   ${r.corrections} (${r.corrections_per_s}/s), size mean ${r.correction_mean}, p99 ${r.correction_p99}; ${r.repeat_corrections} repeats`);
  console.log(`  blend out           p50 ${r.blend_ms_p50} ms, p99 ${r.blend_ms_p99} ms; largest per-frame step ${r.local_jump_max}`);
  console.log(`  respawns            ${r.respawns} (${r.unclean_respawns} not a single clean jump), ${r.snaps} snaps; ${r.walls} walls put in the way`);
  console.log(`  remote stalls       ${r.remote_stalls} (longest ${r.longest_stall_ms} ms); largest jump ${r.remote_jump_max}`);
  console.log(`  remote error        mean ${r.remote_error_mean}, p99 ${r.remote_error_p99}, max ${r.remote_error_max} from the interpolated truth`);
  console.log(`  render time         ${r.render_back_steps} steps back (largest ${r.render_back_ms_max} ms)`);
  console.log(`  removed entities    ${r.ghosts} lingering (longest shown ${r.removal_shown_ms_max} ms after removal)`);
  console.log(`  snapshots lost      ${r.snapshots_lost}; starvations ${r.starvations}`);
  console.log(`  desyncs             ${r.desyncs} found by ${r.digests} view digests, ${r.desyncs_repaired} repaired; ${r.remote_desyncs} on the remote players' clean links`);
}

const COLUMNS: [string, (r: FeelReport) => string | number][] = [
  ['lag', (r) => r.lag_ms],
  ['jit', (r) => r.jitter_ms],
  ['loss', (r) => r.loss_pct],
  ['corr', (r) => r.corrections],
  ['rep', (r) => r.repeat_corrections],
  ['size', (r) => `${r.correction_mean}/${r.correction_p99}`],
  ['blend50/99', (r) => `${r.blend_ms_p50}/${r.blend_ms_p99}`],
  ['ljump', (r) => r.local_jump_max],
  ['respawn', (r) => `${r.respawns - r.unclean_respawns}/${r.respawns}`],
  ['stalls', (r) => `${r.remote_stalls}/${r.longest_stall_ms}`],
  ['rjump', (r) => r.remote_jump_max],
  ['rerr', (r) => `${r.remote_error_mean}/${r.remote_error_p99}`],
  ['back', (r) => `${r.render_back_steps}/${r.render_back_ms_max}`],
  ['ghost', (r) => r.ghosts],
  ['lost', (r) => r.snapshots_lost],
  ['desync', (r) => `${r.desyncs}/${r.desyncs_repaired}/${r.digests}`],
];

if (f.has('grid')) {
  const reports = await runFeelGrid({ scenario: f.has('calm') ? 'calm' : 'interactive', duration, seed, remotes });
  if (f.has('json')) console.log(JSON.stringify(reports));
  else {
    console.log(`feel grid (${reports[0]!.scenario}), ${duration} s simulated each; size mean/p99, stalls count/longest ms, rerr mean/p99, back steps/largest ms, respawn clean/all, desync found/repaired/digests checked`);
    const rows = [COLUMNS.map(([h]) => h), ...reports.map((r) => COLUMNS.map(([, v]) => String(v(r))))];
    const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) console.log(row.map((c, i) => c.padStart(widths[i]!)).join('  '));
  }
} else {
  const report = await runFeel({
    conditions: { lag: num(f, 'lag', 0), jitter: num(f, 'jitter', 0), loss: num(f, 'loss', 0) },
    scenario: f.has('interactive') ? 'interactive' : 'calm',
    duration,
    remotes,
    seed,
  });
  if (f.has('json')) console.log(JSON.stringify(report));
  else detail(report);
}
