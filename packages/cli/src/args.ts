/**
 * Command-line flags: one table drives the parser and the help text, so a flag cannot be
 * documented without being accepted or accepted without being documented. Anything not in the
 * table is refused with the list of what is.
 */

/** A mistake in how the command was called; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface FlagSpec {
  name: string;
  /** What the value looks like (`URL`, `N`...); absent for a switch, which takes no value. */
  value?: string;
  help: string;
}

/** The flags of `tickwire bots`, in the order the help lists them. */
export const BOTS_FLAGS: readonly FlagSpec[] = [
  { name: 'url', value: 'URL', help: 'server WebSocket URL (ws://host:port or ws://host:port/ws)' },
  { name: 'bot', value: 'FILE', help: 'bot module to drive (default: "tickwire.bot" in the nearest package.json)' },
  { name: 'room', value: 'CODE', help: "room code to join (default: the bot module's, else bots)" },
  { name: 'create', value: 'TYPE', help: 'the first bot creates a room of this type, the rest join it (instead of --room)' },
  { name: 'clients', value: 'N', help: 'number of bots (default 50)' },
  { name: 'duration', value: 'S', help: 'seconds to run, joining included (default 30)' },
  { name: 'rate', value: 'R', help: "beats per second per bot: how often it acts and sends input (default 20)" },
  { name: 'join-rate', value: 'J', help: 'bots joining per second (default 100)' },
  { name: 'lag', value: 'MS', help: 'simulated round-trip latency per bot (default 0)' },
  { name: 'jitter', value: 'MS', help: 'simulated jitter, +-MS/2 each way (default 0)' },
  { name: 'loss', value: 'PCT', help: 'simulated frame loss, percent each way (default 0)' },
  { name: 'seed', value: 'N', help: "seed for the bots' random choices (default 1)" },
  { name: 'connect-timeout', value: 'S', help: 'seconds the first bot may take to join before the run fails (default 5)' },
  { name: 'gateway', value: 'URL', help: "a cluster's gateway (http://host:port) instead of --url: bots join, and rejoin, where it says" },
  { name: 'decode', help: 'decode every snapshot like a game client (default: head only)' },
  { name: 'json', help: 'print the report as one JSON object on stdout' },
  { name: 'help', help: 'print this help' },
];

/** The help lines for a flag table. */
export function describeFlags(flags: readonly FlagSpec[]): string {
  const left = flags.map((f) => `--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return flags.map((f, i) => `  ${left[i]!.padEnd(width)}${f.help}`).join('\n');
}

export interface ParsedArgs {
  /** Words that are not flags (the command first). */
  positional: string[];
  /** Flags given with a value. */
  values: Map<string, string>;
  /** Switches given. */
  switches: Set<string>;
}

/**
 * Parses `--name value`, `--name=value` and `--switch`; `-h` is `--help`.
 *
 * @example
 * parseArgs(['bots', '--url', 'ws://127.0.0.1:8080', '--json'], BOTS_FLAGS);
 * // { positional: ['bots'], values: Map { 'url' => 'ws://127.0.0.1:8080' }, switches: Set { 'json' } }
 */
export function parseArgs(argv: readonly string[], flags: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const out: ParsedArgs = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      out.switches.add('help');
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag ${arg.slice(0, eq === -1 ? undefined : eq)}; the flags are ${flags.map((f) => `--${f.name}`).join(', ')}`);
    if (out.values.has(name) || out.switches.has(name)) throw new UsageError(`--${name} is given twice`);
    if (!spec.value) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      out.switches.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value: --${name} ${spec.value}`);
    out.values.set(name, value);
  }
  return out;
}

/** A flag's number, or its default; refuses what is not a number at least `min`. */
export function numberFlag(args: ParsedArgs, name: string, fallback: number, min: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}
