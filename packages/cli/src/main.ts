/**
 * The `tickwire` command line: parse, find the game's bot module, run, report. Everything it
 * prints for a person goes to stderr; stdout carries only the result (with --json, exactly one
 * JSON object), so scripts can pipe it.
 *
 *   tickwire bots --url ws://127.0.0.1:8080/ws [--bot dist/bot.js] [--room arena-1] [--clients 200] [--duration 30] [--json]
 *   tickwire token --sub alice [--ttl 3600]        (a JWT for local testing: see token.ts)
 *   tickwire serve [--rooms dist/rooms.js]         (a cluster's game process: see serve-command.ts)
 *   tickwire gateway [--port 8080]                 (a cluster's gateway: see gateway-command.ts)
 *   tickwire replay FILE [--rooms dist/rooms.js]   (a room recording run again: see replay-command.ts)
 *
 * Exit codes: 0 the run went, 1 it could not run (server unreachable, no bot joined, the bot
 * module threw), 2 the command was called wrong (bad flag, no bot module).
 */
import { BOTS_FLAGS, UsageError, describeFlags, numberFlag, parseArgs, type ParsedArgs } from './args.js';
import { BotModuleError, loadBotModule, locateBotModule } from './bot-module.js';
import { BotFault, JoinError, runBots, type BotsReport } from './bots.js';
import { botTokens, tokenCommand } from './token.js';
import { gatewayCommand } from './gateway-command.js';
import { serveCommand } from './serve-command.js';
import { replayCommand } from './replay-command.js';

const HELP = `usage: tickwire bots (--url URL | --gateway URL) [--bot FILE] [options]

Headless players against a running server. The game's bot module says what they send
(defineBot from 'tickwire'); it is --bot, or the file named by "tickwire": { "bot": ... }
in the nearest package.json. Prints a progress line a second on stderr, then a summary
(or, with --json, exactly one JSON object on stdout).

${describeFlags(BOTS_FLAGS)}

usage: tickwire token --sub ID [--ttl S] [--iss ISSUER] [--aud AUDIENCE]

A JWT for local testing, signed with TICKWIRE_JWT_SECRET (see tickwire token --help).

usage: tickwire serve [--rooms FILE] [--port N] [--host HOST] [--static DIR]

Runs a game module's rooms as one process of a cluster, from REDIS_URL, DATABASE_URL,
TICKWIRE_SECRET... (see tickwire serve --help).

usage: tickwire gateway [--port N] [--host HOST]

Runs a cluster's gateway from REDIS_URL, TICKWIRE_SECRET... (see tickwire gateway --help).

usage: tickwire replay FILE [--rooms FILE] [--type NAME] [--until TICK] [--json]

Runs a room recording again with the game module's room definition and names the first tick
whose state differs from the recording (see tickwire replay --help).
`;

/** Where the CLI writes (process.stdout and process.stderr, or a capture in tests). */
export interface Output {
  write(text: string): unknown;
}

/** The server's WebSocket endpoint is /ws: accept ws://host:port and http(s):// too. */
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

/** A gateway's address: http:// or https://. */
function gatewayUrl(raw: string): string {
  if (!URL.canParse(raw) || !['http:', 'https:'].includes(new URL(raw).protocol)) throw new UsageError(`--gateway "${raw.slice(0, 80)}" is not an http:// or https:// address`);
  return raw;
}

function human(r: BotsReport): string {
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
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

/**
 * Runs the CLI and resolves with the process exit code; `cwd` is where the bot module is looked
 * for when there is no --bot.
 *
 * @example
 * process.exitCode = await main(['bots', '--url', 'ws://127.0.0.1:8080', '--clients', '20', '--json']);
 */
export async function main(
  argv: readonly string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
  cwd: string = process.cwd(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  if (argv[0] === 'token') return tokenCommand(argv.slice(1), out, err, env);
  if (argv[0] === 'gateway') return gatewayCommand(argv.slice(1), out, err, env);
  if (argv[0] === 'serve') return serveCommand(argv.slice(1), out, err, env, cwd);
  if (argv[0] === 'replay') return replayCommand(argv.slice(1), out, err, cwd);
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, BOTS_FLAGS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`${e.message}\n\n${HELP}`);
    return 2;
  }
  const [command, ...extra] = args.positional;
  if (args.switches.has('help') || command === 'help') {
    out.write(HELP);
    return 0;
  }
  if (!command) {
    err.write(HELP);
    return 2;
  }
  if (command !== 'bots') {
    err.write(`unknown command "${command}": the commands are bots, token, serve, gateway and replay\n\n${HELP}`);
    return 2;
  }
  const gateway = args.values.get('gateway');
  const rawUrl = args.values.get('url') ?? gateway;
  try {
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}": flags start with --`);
    if (!rawUrl) throw new UsageError('--url is required (the server WebSocket, e.g. ws://127.0.0.1:8080/ws), or --gateway (a cluster\'s gateway, http://host:port)');
    if (args.values.has('url') && gateway !== undefined) throw new UsageError('--url connects to one server and --gateway to a cluster: give one of them');
    if (args.values.has('room') && args.values.has('create')) throw new UsageError('--room joins a room and --create makes one: give one of them');
    const options = {
      ...(gateway === undefined ? { url: normalizeUrl(rawUrl) } : { gateway: gatewayUrl(gateway) }),
      room: args.values.get('room'),
      create: args.values.get('create'),
      clients: Math.floor(numberFlag(args, 'clients', 50, 1)),
      duration: numberFlag(args, 'duration', 30, 1),
      rate: numberFlag(args, 'rate', 20, 1),
      joinRate: numberFlag(args, 'join-rate', 100, 1),
      seed: Math.floor(numberFlag(args, 'seed', 1, 0)),
      connectTimeoutMs: numberFlag(args, 'connect-timeout', 5, 0.1) * 1000,
      conditions:
        args.values.has('lag') || args.values.has('jitter') || args.values.has('loss')
          ? { lag: numberFlag(args, 'lag', 0, 0), jitter: numberFlag(args, 'jitter', 0, 0), loss: numberFlag(args, 'loss', 0, 0) }
          : undefined,
      decode: args.switches.has('decode') ? true : undefined,
      log: (line: string) => err.write(`${line}\n`),
      token: botTokens(env),
    };
    const bot = await loadBotModule(locateBotModule(args.values.get('bot'), cwd));
    const report = await runBots({ ...options, bot });
    out.write(args.switches.has('json') ? `${JSON.stringify(report)}\n` : `${human(report)}\n`);
    return report.connected > 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${e.message}\n\n${HELP}`);
      return 2;
    }
    if (e instanceof BotModuleError) {
      err.write(`tickwire bots: ${e.message}\n`);
      return 2;
    }
    if (e instanceof JoinError) {
      // A refusal (room full, bad room code...) names itself; anything else is a server we could not talk to.
      const code = e.cause instanceof Error && 'codeName' in e.cause ? e.cause.codeName : undefined;
      const hint =
        code === undefined || code === 'TIMEOUT' ? ' — is the server running at that address?' : code === 'ROOM_NOT_FOUND' ? ' (to open a room, pass --create <room type>)' : '';
      err.write(`tickwire bots: could not join ${rawUrl}: ${e.message}${hint}\n`);
      return 1;
    }
    if (e instanceof BotFault) {
      err.write(`tickwire bots: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
