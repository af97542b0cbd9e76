/**
 * `tickwire gateway`: runs a cluster's gateway from the environment until SIGTERM or SIGINT.
 * Logs go to stderr; stdout carries one JSON line once it listens (`{ "gateway": url, "port" }`),
 * so a script that starts it on port 0 can read where it is.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 TICKWIRE_SECRET=... npx tickwire gateway --port 8080
 */
import { startGateway } from '@tickwire/gateway';
import { pino } from 'pino';
import { UsageError, describeFlags, numberFlag, parseArgs, type FlagSpec } from './args.js';
import type { Output } from './main.js';

export const GATEWAY_FLAGS: readonly FlagSpec[] = [
  { name: 'port', value: 'N', help: 'port to listen on (default PORT, else 8080; 0 picks a free one)' },
  { name: 'host', value: 'HOST', help: 'address to listen on (default HOST, else every interface)' },
  { name: 'static', value: 'DIR', help: "a folder of static files to serve (the games' built pages)" },
  { name: 'help', help: 'print this help' },
];

export const GATEWAY_HELP = `usage: tickwire gateway [--port N] [--host HOST] [--static DIR]

Runs the gateway of a tickwire cluster: players list, create and join sessions and rooms
through it, and it sends each one to the game process that owns their room with a join ticket.
It never carries game traffic. Prints {"gateway": url, "port": n} on stdout once it listens.

${describeFlags(GATEWAY_FLAGS)}

Environment: REDIS_URL (default redis://127.0.0.1:6379) and TICKWIRE_REDIS_PREFIX (default
tickwire:), as the game processes have them; TICKWIRE_SECRET, the same on every process;
TICKWIRE_JWT_SECRET or TICKWIRE_JWKS_URL for identity (else anonymous, for development);
TICKWIRE_ADMIN_TOKEN for the admin page at /admin; LOG_LEVEL. See docs/scaling.md.
`;

/** What ends the gateway: resolves on the first SIGTERM or SIGINT (tests pass their own). */
export type StopSignal = Promise<string>;

function signals(): StopSignal {
  return new Promise((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
  });
}

/** Runs `tickwire gateway` (argv without the command word); resolves with the exit code once stopped. */
export async function gatewayCommand(argv: readonly string[], out: Output, err: Output, env: Readonly<Record<string, string | undefined>>, stop: () => StopSignal = signals): Promise<number> {
  let port: number | undefined;
  let host: string | undefined;
  let staticDir: string | undefined;
  try {
    const args = parseArgs(argv, GATEWAY_FLAGS);
    if (args.switches.has('help')) {
      out.write(GATEWAY_HELP);
      return 0;
    }
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}": flags start with --`);
    if (args.values.has('port')) {
      port = numberFlag(args, 'port', 8080, 0);
      if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be a port number (0-65535), got ${args.values.get('port')}`);
    }
    host = args.values.get('host');
    staticDir = args.values.get('static');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`${e.message}\n\n${GATEWAY_HELP}`);
    return 2;
  }
  const logger = pino({ level: env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  let running;
  try {
    running = await startGateway(env, { logger, port, host, staticDir });
  } catch (e) {
    err.write(`tickwire gateway: ${(e as Error).message}\n`);
    return 1;
  }
  const stopped = stop();
  out.write(`${JSON.stringify({ gateway: running.url, port: running.port })}\n`);
  const why = await stopped;
  logger.info({ signal: why }, 'gateway stopping');
  await running.close();
  return 0;
}
