/**
 * The `tickwire` command line.
 *
 *   tickwire bots --url ws://127.0.0.1:8080/ws --room arena-1 --clients 200 --duration 30 [--rate 20] [--join-rate 100] [--json]
 */
import { runBots, type BotsReport } from './bots.js';

const HELP = `usage: tickwire bots --url URL --room CODE [options]

Headless arena players against a running server; prints a progress line a second,
then a summary (or, with --json, exactly one JSON object on stdout).

  --url URL         server WebSocket URL (ws://host:port or ws://host:port/ws)
  --room CODE       room code to join                        (default arena-1)
  --clients N       number of bots                           (default 50)
  --duration S      seconds to run, joining included         (default 30)
  --rate R          inputs per second per bot                (default 20)
  --join-rate J     bots joining per second                  (default 100)
  --lag MS          simulated round-trip latency per bot     (default 0)
  --jitter MS       simulated jitter (+-MS/2 each way)       (default 0)
  --loss PCT        simulated frame loss, percent each way   (default 0)
  --decode          decode every snapshot like a game client (default: head only)
  --json            print the report as one JSON object on stdout
`;

interface Parsed {
  flags: Map<string, string>;
  positional: string[];
}

function parse(argv: string[]): Parsed {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) flags.set(key, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(key, argv[++i]!);
    else flags.set(key, 'true');
  }
  return { flags, positional };
}

class UsageError extends Error {}

function number(flags: Map<string, string>, name: string, dflt: number, min: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

/** The server's WebSocket endpoint is /ws: accept ws://host:port too. */
export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url "${raw}" is not a URL: use ws://host:port/ws`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`--url must be ws:// or wss://, got ${url.protocol}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.toString();
}

function human(r: BotsReport): string {
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `bots: ${r.connected}/${r.clients} connected, ${r.failed} failed, ${r.duration_s} s`,
    `  snapshots      ${r.snapshots_per_client_s} per client per second`,
    `  downstream     ${r.down_bytes_per_client_s} B/s per client (upstream ${r.up_bytes_per_client_s} B/s)`,
    `  RTT            p50 ${r.rtt_ms.p50} ms, p99 ${r.rtt_ms.p99} ms`,
    `  input → ack    p50 ${r.input_ack_ms.p50} ms, p99 ${r.input_ack_ms.p99} ms`,
    `  commands ok    ${kv(r.commands_acked)}`,
    `  refused        ${kv(r.commands_rejected)}`,
    `  errors         ${kv(r.errors)}`,
  ].join('\n');
}

/** Runs the CLI; resolves with the process exit code. */
/** Where the CLI writes (process.stdout and process.stderr, or a capture in tests). */
export interface Output {
  write(text: string): unknown;
}

export async function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): Promise<number> {
  const { flags, positional } = parse(argv);
  const command = positional[0];
  if (!command || flags.has('help') || command === 'help') {
    out.write(HELP);
    return command || flags.has('help') ? 0 : 2;
  }
  if (command !== 'bots') {
    err.write(`unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  try {
    if (!flags.get('url')) throw new UsageError('--url is required (the server WebSocket, e.g. ws://127.0.0.1:8080/ws)');
    const url = normalizeUrl(flags.get('url')!);
    const json = flags.has('json');
    const report = await runBots({
      url,
      room: flags.get('room') ?? 'arena-1',
      clients: Math.floor(number(flags, 'clients', 50, 1)),
      duration: number(flags, 'duration', 30, 1),
      rate: number(flags, 'rate', 20, 1),
      joinRate: number(flags, 'join-rate', 100, 1),
      conditions: flags.has('lag') || flags.has('jitter') || flags.has('loss') ? { lag: number(flags, 'lag', 0, 0), jitter: number(flags, 'jitter', 0, 0), loss: number(flags, 'loss', 0, 0) } : undefined,
      decode: flags.has('decode'),
      log: (line) => err.write(`${line}\n`),
    });
    out.write(json ? `${JSON.stringify(report)}\n` : `${human(report)}\n`);
    return report.connected > 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${e.message}\n\n${HELP}`);
      return 2;
    }
    const code = (e as { code?: string }).code;
    const detail = e instanceof Error ? e.message : String(e);
    const hint = /ECONNREFUSED|closed before opening|ENOTFOUND/.test(detail + String(code)) ? ' — is the server running? (npm start)' : '';
    err.write(`tickwire bots: could not join ${flags.get('url')}: ${detail}${hint}\n`);
    return 1;
  }
}
