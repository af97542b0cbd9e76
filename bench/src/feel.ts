/**
 * The feel report: how the arena plays under a given network, headless and simulated.
 *
 *   npm run feel -- --lag 150 --jitter 30 --loss 3 [--duration 20] [--json]
 *
 * lag is the round trip in ms, jitter varies each direction by +-jitter/2 ms, loss is percent
 * of frames dropped each way. Distances are world units, times ms.
 */
import { runFeel } from '@tickwire/arena/feel';
import { flags, num } from './args.js';

const f = flags();
const report = await runFeel({
  conditions: { lag: num(f, 'lag', 0), jitter: num(f, 'jitter', 0), loss: num(f, 'loss', 0) },
  duration: num(f, 'duration', 20),
  remotes: num(f, 'remotes', 3),
  seed: num(f, 'seed', 1),
});
if (f.has('json')) console.log(JSON.stringify(report));
else {
  console.log(`feel: ${report.lag_ms} ms RTT, +-${report.jitter_ms / 2} ms jitter each way, ${report.loss_pct}% loss, ${report.duration_s} s simulated`);
  console.log(`  local corrections   mean ${report.correction_mean}, p99 ${report.correction_p99} units; ${report.corrections_per_s} per second`);
  console.log(`  converge            p99 ${report.converge_ms_p99} ms`);
  console.log(`  remote stalls       ${report.remote_stalls} (longest ${report.longest_stall_ms} ms)`);
  console.log(`  remote error        mean ${report.remote_error_mean} units from the interpolated truth`);
  console.log(`  snapshots lost      ${report.snapshots_lost}`);
}
