/**
 * `npm run fuzz`: a long fuzz run against the arena; prints one JSON summary on stdout
 * (progress goes to stderr).
 *
 *   npm run fuzz -- --frames 1000000 [--rate 4000] [--attackers 12] [--honest 3] [--seed N]
 *                   [--baseline-ms 5000] [--no-sqlite] [--no-flood] [--stop-on-crash]
 *
 * A crash is recorded (exit, stderr tail, the last frames sent) and the server restarted, so
 * one run counts every crash it finds; --stop-on-crash ends the run at the first one instead.
 * Exits 1 when the server crashed, 0 otherwise.
 */
import { runFuzz } from './run.js';

function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}': flags look like --frames 1000`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else out.set(a.slice(2), argv[++i]!);
  }
  return out;
}

function num(f: Map<string, string>, name: string, dflt: number): number {
  const v = f.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got '${v}'`);
  return n;
}

const f = flags(process.argv.slice(2));
const known = new Set(['frames', 'rate', 'attackers', 'honest', 'seed', 'baseline-ms', 'no-sqlite', 'no-flood', 'stop-on-crash']);
for (const k of f.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}; known: ${[...known].map((x) => `--${x}`).join(' ')}`);

const summary = await runFuzz({
  frames: num(f, 'frames', 1_000_000),
  rate: num(f, 'rate', 4000),
  attackers: num(f, 'attackers', 12),
  honest: num(f, 'honest', 3),
  seed: num(f, 'seed', Math.floor(Math.random() * 2 ** 32)),
  baselineMs: num(f, 'baseline-ms', 5000),
  sqlite: !f.has('no-sqlite'),
  flood: !f.has('no-flood'),
  restartOnCrash: !f.has('stop-on-crash'),
  progress: (line) => process.stderr.write(`[fuzz] ${line}\n`),
});
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.exitCode = summary.crashes > 0 ? 1 : 0;
