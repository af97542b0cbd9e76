/**
 * The gateway: the one address players know in a cluster. It authenticates them (the same
 * identity options and TICKWIRE_JWT_* variables as a game process, or anonymous identities for
 * development), lists and creates sessions across the processes, and answers every join with the
 * address of the process that owns the room and a short-lived join ticket that process checks.
 * It never carries game traffic: after its answer the player talks to the process directly.
 *
 * It holds no state that matters: what it knows comes from the room registry (who owns which
 * room) and the process registry (where each process is, how loaded, whether draining), so any
 * number of gateways can run side by side, and one restarted loses nothing but load samples.
 *
 * The HTTP API is a Web-standard handler (`fetch`), served on node:http by `listen`.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LIMITS, systemClock, type Clock, type HelloBody } from '@tickwire/protocol';
import { JoinTickets, type AuthOptions, type Identity, type IdentityMode, type ProcessRecord, type ProcessRegistry, type RoomRegistry, type Route } from '@tickwire/server';
import { bearerToken, generateRoomCode, json, requestListener, router, setupIdentity, staticFiles, type Env } from '@tickwire/server/internal';
import { pino, type Logger } from 'pino';
import { adminRoutes } from './admin-routes.js';
import type { GatewayContext } from './context.js';
import { joinRoutes } from './join-routes.js';
import { Monitor } from './monitor.js';
import { Placement } from './placement.js';
import { sessionRoutes } from './session-routes.js';

export interface GatewayOptions {
  /** The cluster's process registry (a RedisProcessRegistry in production). */
  processes: ProcessRegistry;
  /** The cluster's room registry (a RedisRegistry in production). */
  rooms: RoomRegistry;
  /**
   * The deployment's shared secret (default TICKWIRE_SECRET): signs join tickets and anonymous
   * identities. Every game process must have the same one, or it refuses the tickets.
   */
  secret?: string | Uint8Array;
  /** JWT validation, as for a game process (see docs/identity.md); default the TICKWIRE_JWT_* variables, else anonymous mode. */
  auth?: AuthOptions;
  /** Your own scheme, as for a game process: a HELLO with only `token` set becomes an identity. */
  authenticate?: (hello: HelloBody) => Promise<Identity> | Identity;
  /** The admin token (default TICKWIRE_ADMIN_TOKEN): without one the admin page and API answer 404. */
  adminToken?: string;
  /** The environment variables to read (default process.env). */
  env?: Env;
  clock?: Clock;
  logger?: Logger;
  /** How the gateway calls processes (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** How long a process may take to answer the gateway (default 2000 ms). */
  processTimeoutMs?: number;
  /** How long a join ticket is valid (default 30 000 ms). */
  ticketTtlMs?: number;
  /** How often load samples are taken for the admin page (default 2000 ms), and how many are kept per process (default 150). */
  samples?: { intervalMs?: number; count?: number };
  /** Extra HTTP routes. */
  routes?: readonly Route[];
  /**
   * A folder of static files to serve (the games' built pages), so players load the page from
   * the address they then join through. Paths under /api/ and /admin are never served from it.
   */
  staticDir?: string;
}

/** Where the admin page's files are: next to src/ and dist/, whichever this module runs from. */
const ADMIN_DIR = fileURLToPath(new URL('../admin/', import.meta.url));

/** The largest request body the gateway reads. */
const MAX_BODY = 64 * 1024;

export class Gateway {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly identityMode: IdentityMode;
  readonly processes: ProcessRegistry;
  readonly rooms: RoomRegistry;
  /** Load samples of every process, for the admin page. */
  readonly monitor: Monitor;
  /**
   * The HTTP API as a Web-standard handler. It never throws.
   *
   * @example
   * const res = await gateway.fetch(new Request('http://gateway/api/join', { method: 'POST', headers, body }));
   */
  readonly fetch: (request: Request) => Promise<Response>;
  private http: HttpServer | null = null;

  constructor(options: GatewayOptions) {
    const env = options.env ?? process.env;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: env.LOG_LEVEL ?? 'info' });
    this.processes = options.processes;
    this.rooms = options.rooms;
    const secret = options.secret ?? (env.TICKWIRE_SECRET || undefined);
    if (secret === undefined) {
      throw new RangeError('the gateway signs join tickets with the deployment secret: set TICKWIRE_SECRET (the same 32 random bytes on every game process and gateway), or pass { secret }');
    }
    const identity = setupIdentity({ auth: options.auth, authenticate: options.authenticate, secret, env, clock: this.clock, logger: this.logger });
    this.identityMode = identity.mode;
    const placement = new Placement(options.rooms, options.processes);
    this.monitor = new Monitor(options.processes, this.clock, this.logger, { intervalMs: options.samples?.intervalMs, samples: options.samples?.count });
    this.monitor.onRead = (live) => placement.prune(live);
    const ctx: GatewayContext = {
      placement,
      tickets: new JoinTickets(secret),
      ticketTtlMs: options.ticketTtlMs ?? 30_000,
      calls: { fetch: options.fetch ?? globalThis.fetch, timeoutMs: options.processTimeoutMs ?? 2000 },
      logger: this.logger,
      authenticateRequest: (request) => identity.token(bearerToken(request, LIMITS.tokenBytes)),
      newCode: () => generateRoomCode(),
    };
    const list = (): Promise<ProcessRecord[]> => options.processes.list();
    const anonymous = identity.anonymous;
    const adminToken = options.adminToken ?? (env.TICKWIRE_ADMIN_TOKEN || undefined);
    if (adminToken !== undefined && adminToken.length < 16) throw new RangeError('TICKWIRE_ADMIN_TOKEN must be at least 16 characters: use 32 random bytes, hex or base64');
    const routes: Route[] = [
      { method: 'GET', path: '/api/health', handler: async () => ({ status: 'ok', role: 'gateway', processes: (await list()).length }) },
      { method: 'GET', path: '/api/identity', handler: async ({ request }) => ({ userId: (await ctx.authenticateRequest(request)).userId }) },
      // Signed with the shared secret, so every game process knows these players too.
      ...(anonymous ? [{ method: 'POST' as const, path: '/api/anonymous', handler: () => anonymous.issue() }] : []),
      ...joinRoutes(ctx),
      ...sessionRoutes(ctx, list),
      ...(adminToken ? adminRoutes(ctx, adminToken, this.monitor, list) : []),
      ...(options.routes ?? []),
    ];
    const admin = adminToken ? adminPage() : undefined;
    const files = options.staticDir === undefined ? undefined : staticFiles(options.staticDir);
    const fallback = async (request: Request, pathname: string): Promise<Response | undefined> =>
      (await admin?.(request, pathname)) ?? (files && !isAdminPath(pathname) ? files(request, pathname) : undefined);
    this.fetch = router(routes, fallback, (err) => this.logger.error({ err }, 'gateway HTTP handler failed'));
  }

  /** Starts listening (port 0 picks a free one) and sampling the processes' load. */
  listen(port = 8080, host?: string): Promise<{ host: string; port: number; url: string }> {
    const http = createHttpServer(requestListener(this.fetch, { maxRequestBodyBytes: MAX_BODY, logger: this.logger }));
    http.headersTimeout = 10_000;
    http.requestTimeout = 30_000;
    this.http = http;
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        const addr = http.address() as AddressInfo;
        const shown = addr.address.includes(':') ? `[${addr.address === '::' ? '::1' : addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
        const url = `http://${shown}:${addr.port}`;
        this.monitor.start();
        this.logger.info({ url }, `tickwire gateway listening on ${url}`);
        resolve({ host: addr.address, port: addr.port, url });
      });
    });
  }

  /** Stops listening and sampling. */
  async close(): Promise<void> {
    this.monitor.stop();
    const http = this.http;
    this.http = null;
    if (!http) return;
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await closed;
  }
}

/** Whether a path is the admin page's (never served from the static folder, admin page or not). */
function isAdminPath(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/');
}

/**
 * Serves the admin page: /admin is its HTML, /admin/admin.css its style, /admin/dist/*.js its
 * script (compiled by tsc from admin/src). Nothing else under admin/ is served.
 */
function adminPage() {
  const files = staticFiles(ADMIN_DIR);
  const scripts = staticFiles(`${ADMIN_DIR}dist`);
  return async (request: Request, pathname: string): Promise<Response | undefined> => {
    if (pathname === '/admin' || pathname === '/admin/') return files(request, '/index.html');
    if (pathname === '/admin/admin.css') return files(request, '/admin.css');
    const script = /^\/admin\/dist\/([a-z-]+\.js)$/.exec(pathname);
    if (!script) return undefined;
    return (
      (await scripts(request, `/${script[1]}`)) ??
      json(503, { error: 'NOT_BUILT', message: 'the admin page script is not built: run npx tsc -b packages/gateway (npm run build builds everything)' })
    );
  };
}

/** A gateway (see {@link GatewayOptions}); `listen` to serve it. */
export function createGateway(options: GatewayOptions): Gateway {
  return new Gateway(options);
}
