/**
 * The runtime: rooms, connections, limits, identity and the HTTP API, independent of the server
 * it runs in. A host (node-host.ts: node:http and ws) hands it each WebSocket as a `Transport`
 * through `accept()` and each HTTP request as a Web `Request` through `fetch()`; nothing here
 * knows which server library is underneath, so another host serves the same game unchanged.
 *
 * Everything is an instance with its dependencies passed in (clock, logger, limits), so tests
 * run several runtimes in one process, on a manual clock, with in-memory transports.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  CloseCode,
  ErrorCode,
  FrameEncoder,
  LIMITS,
  TickwireError,
  PROTOCOL_VERSION,
  systemClock,
  type Clock,
  type HelloBody,
  type Transport,
} from '@tickwire/protocol';
import { pino, type Logger } from 'pino';
import { AddressBook } from './address-book.js';
import { adminRoutes } from './admin-routes.js';
import { ClusterMember, DEFAULT_DRAIN_DEADLINE_MS, TicketDoor, type ClusterOptions } from './cluster.js';
import type { AnonymousIdentities } from './anonymous.js';
import { Connection, type ConnectionHost } from './connection.js';
import { json, router, type Route } from './http-routes.js';
import { bearerToken, setupIdentity, type AuthOptions, type Env, type IdentityMode } from './identity.js';
import { JoinTickets } from './join-tickets.js';
import { resolveLimits, type Limits } from './limits.js';
import { ServerMetrics } from './metrics.js';
import type { RoomStore } from './persistence.js';
import type { Room } from './room.js';
import type { Identity } from './room-client.js';
import { ResumeTokens } from './resume-tokens.js';
import { MemoryRegistry, type RoomRegistry } from './registry.js';
import { RoomManager, schemaMismatch, type CreationGate, type RoomRequest, type RoomsOption } from './room-manager.js';
import { roomsEmptied } from './drain.js';
import { sessionRoutes } from './session-routes.js';
import { staticFiles } from './static-files.js';

export interface RuntimeOptions {
  /**
   * Room types by name (`{ arena: arenaRoom }`: clients create rooms by these names), or one
   * room definition (named after its protocol), or a function that picks one per code
   * (undefined refuses it). A join creates a room only if its definition has `createOnJoin`.
   */
  rooms: RoomsOption;
  /** Folder of static files to serve (the game's built client). */
  staticDir?: string;
  clock?: Clock;
  logger?: Logger;
  limits?: Partial<Limits>;
  /**
   * Your own scheme: turns a HELLO into an identity; throw a TickwireError(AUTH_FAILED) to
   * refuse. Over HTTP (`authenticateRequest`) it sees a HELLO with only the token set.
   */
  authenticate?: (hello: HelloBody) => Promise<Identity> | Identity;
  /**
   * JWT validation (`{ jwt: { secret } }` or `{ jwt: { jwksUrl, issuer, audience } }`); without
   * it and without `authenticate`, TICKWIRE_JWT_SECRET or TICKWIRE_JWKS_URL (with
   * TICKWIRE_JWT_ISSUER, TICKWIRE_JWT_AUDIENCE) are read. With none of them the server is in
   * anonymous mode (development, casual games): identities are issued by `POST /api/anonymous`
   * and signed with `secret`, a HELLO with no token is a new guest, and NODE_ENV=production
   * refuses to start unless `allowAnonymous` (or TICKWIRE_ALLOW_ANONYMOUS=1). See docs/identity.md.
   */
  auth?: AuthOptions;
  /** The environment variables to read (default process.env). */
  env?: Env;
  /**
   * The server's secret (at least 16 bytes; default: TICKWIRE_SECRET, else random at start):
   * signs anonymous identities and resume tokens. Give every process of a deployment the same one, and keep it
   * across restarts, or anonymous players become someone new.
   */
  secret?: string | Uint8Array;
  /** Extra HTTP routes, tried before static files. */
  routes?: readonly Route[];
  /** Collect Node process metrics (default true). */
  processMetrics?: boolean;
  /**
   * The database for durable room state (rooms with a `persistence` definition). Pass
   * `await openStorage()` from @tickwire/storage: SQLite by default, PostgreSQL for a
   * postgres:// URL.
   */
  storage?: RoomStore;
  /**
   * Where room ownership is recorded (default: in this process's memory). A cluster passes a
   * shared registry (Redis), so each room runs in exactly one process.
   */
  registry?: RoomRegistry;
  /** This process's id in the registry (default: random). */
  processId?: string;
  /**
   * How long a room claim lasts unless renewed (default 15 000 ms, and in a cluster the process's
   * time to live, so its rooms are orphans once it is taken for dead; renewed every third).
   */
  leaseMs?: number;
  /**
   * Run as one process of a cluster (docs/scaling.md): register in `processes` and heartbeat
   * there, take over the rooms of processes that die, drain on SIGTERM, and admit players with
   * the gateway's join tickets. Needs a shared `registry` (RedisRegistry) and the deployment's
   * shared `secret` (TICKWIRE_SECRET).
   */
  cluster?: ClusterOptions;
  /**
   * The bearer token of the admin endpoints (/api/admin/...: inspect a room, kick, close, drain);
   * default TICKWIRE_ADMIN_TOKEN. Without one those endpoints do not exist.
   */
  adminToken?: string;
}

export class TickwireRuntime implements ConnectionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: Limits;
  readonly metrics: ServerMetrics;
  readonly stats: ServerMetrics;
  readonly rooms: RoomManager;
  readonly frames = new FrameEncoder();
  private readonly connections = new Set<Connection>();
  /**
   * The HTTP API as a Web-standard handler: health, rooms, metrics, the anonymous identity
   * endpoint, the options' routes, then static files. It never throws.
   *
   * @example
   * const res = await runtime.fetch(new Request('http://game/api/health'));
   */
  readonly fetch: (request: Request) => Promise<Response>;
  private shuttingDown = false;
  private readonly authenticator: (hello: HelloBody) => Promise<Identity> | Identity;
  private readonly startedAt: number;
  readonly store: RoomStore | undefined;
  /** Per-address limits: connections, waiting members, room creations, flood penalties. */
  readonly addresses: AddressBook;
  /** Anonymous mode's identities (null when the server authenticates with JWTs or `authenticate`). */
  readonly anonymous: AnonymousIdentities | null;
  /** How clients are identified: 'jwt', 'custom' (the authenticate hook) or 'anonymous'. */
  readonly identityMode: IdentityMode;
  private readonly bearer: (token: string) => Promise<Identity>;
  /** Resume tokens: HMACs under the server's secret, so another process can honour them. */
  readonly resumeTokens: ResumeTokens;
  /** Who owns which room: this process opens a room only after claiming it here. */
  readonly registry: RoomRegistry;
  /** This process's id in the registry. */
  readonly processId: string;
  /** Its membership of a cluster (null when it runs alone). */
  readonly cluster: ClusterMember | null;
  /** HELLOs by join ticket (a cluster process with `requireTickets`), else null. */
  private readonly door: TicketDoor | null;
  private draining: Promise<void> | null = null;

  constructor(options: RuntimeOptions) {
    this.store = options.storage;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
    this.limits = resolveLimits(options.limits);
    this.addresses = new AddressBook(this.limits);
    const env = options.env ?? process.env;
    const shared = options.secret ?? (env.TICKWIRE_SECRET || undefined);
    if (options.cluster && shared === undefined) {
      throw new RangeError('a cluster process needs the secret the gateway and every process share: set TICKWIRE_SECRET (32 random bytes) or pass `secret`');
    }
    const secret = shared ?? nodeRandomBytes(32);
    const identity = setupIdentity({ auth: options.auth, authenticate: options.authenticate, secret, env, clock: this.clock, logger: this.logger });
    this.identityMode = identity.mode;
    this.anonymous = identity.anonymous;
    this.processId = options.processId ?? `process-${nodeRandomBytes(6).toString('hex')}`;
    this.door = options.cluster && options.cluster.requireTickets !== false ? new TicketDoor(new JoinTickets(secret), this.processId) : null;
    const door = this.door;
    this.authenticator = door ? (hello) => door.authenticate(hello) : identity.hello;
    this.bearer = identity.token;
    this.resumeTokens = new ResumeTokens(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
    const anonymous = this.anonymous;
    this.startedAt = this.clock.now();
    this.metrics = new ServerMetrics(
      { rooms: () => this.rooms.size, clients: () => this.clientCount() },
      { defaultMetrics: options.processMetrics },
    );
    this.stats = this.metrics;
    if (options.cluster && !options.registry) throw new RangeError('a cluster process needs the shared room registry: pass `registry` (a RedisRegistry)');
    this.registry = options.registry ?? new MemoryRegistry(this.clock);
    this.cluster = options.cluster ? new ClusterMember(this, options.cluster) : null;
    // In a cluster, the time to live the member resolved (its default when none is given), so
    // that rooms become orphans when their process is taken for dead, not later.
    const leaseMs = options.leaseMs ?? this.cluster?.processTtlMs ?? 15_000;
    if (!(leaseMs >= 100)) throw new RangeError(`leaseMs must be at least 100, got ${leaseMs}`);
    this.rooms = new RoomManager(
      options.rooms,
      { clock: this.clock, logger: this.logger, limits: this.limits, stats: this.metrics, store: this.store, addresses: this.addresses },
      { registry: this.registry, owner: this.processId, leaseMs },
    );

    const routes: Route[] = [
      { method: 'GET', path: '/api/health', handler: () => this.health() },
      { method: 'GET', path: '/api/rooms', handler: () => this.roomList() },
      {
        method: 'GET',
        path: /^\/api\/rooms\/(?<code>[^/]+)$/,
        handler: ({ params }) => {
          let code: string;
          try {
            code = decodeURIComponent(params.code ?? '');
          } catch {
            return json(400, { error: 'BAD_REQUEST', message: 'the room code in the path is not valid percent-encoding' });
          }
          return this.roomSummary(code) ?? json(404, { error: 'NOT_FOUND', message: `no room '${code.slice(0, 64)}' is open in this process` });
        },
      },
      {
        method: 'GET',
        path: '/api/identity',
        // Who the bearer token says this is: lets a page (or curl) check a token before joining.
        handler: async ({ request }) => ({ userId: (await this.authenticateRequest(request)).userId }),
      },
      ...(anonymous
        ? [
            {
              method: 'POST' as const,
              path: '/api/anonymous',
              // Stateless: a signed random id. Send the token as HELLO's token to be this user again.
              handler: () => anonymous.issue(),
            },
          ]
        : []),
      {
        method: 'GET',
        path: '/metrics',
        handler: async () => new Response(await this.metrics.text(), { status: 200, headers: { 'content-type': this.metrics.contentType } }),
      },
      ...sessionRoutes(this),
      ...adminRoutes(this, options.adminToken ?? (env.TICKWIRE_ADMIN_TOKEN || undefined)),
      ...(options.routes ?? []),
    ];
    this.fetch = router(routes, options.staticDir ? staticFiles(options.staticDir) : undefined, (err) => this.logger.error({ err }, 'HTTP handler failed'));
  }

  get closing(): boolean {
    return this.shuttingDown;
  }

  /**
   * Accepts a connection on any transport (the WebSocket upgrade and in-memory pipes use this).
   * An address over its connection limit, or cut off for flooding, gets ERROR
   * TOO_MANY_CONNECTIONS and close 4012.
   */
  accept(transport: Transport, remoteAddress = ''): Connection | undefined {
    const admitted = this.addresses.connect(remoteAddress, this.clock.now());
    if (!admitted.ok) {
      this.metrics.error(ErrorCode.TOO_MANY_CONNECTIONS);
      transport.send(this.frames.error(0, { code: ErrorCode.TOO_MANY_CONNECTIONS, fatal: true, message: admitted.reason }));
      transport.close(CloseCode.TOO_MANY_CONNECTIONS, admitted.reason.slice(0, 120));
      return undefined;
    }
    const conn = new Connection(transport, this, remoteAddress, admitted.budget);
    this.connections.add(conn);
    return conn;
  }

  /**
   * The room a HELLO asks for. An existing room is returned as it is (the connection checks the
   * protocol); a new one is created only for a client that speaks its protocol, within the
   * process's room limit and its address's creation allowance: a refused join creates nothing.
   */
  room(request: RoomRequest, remoteAddress: string, identity?: Identity): Promise<Room | TickwireError> {
    const { protocolHash } = request;
    // A join ticket's room type: the gateway placed this room here (and limits creations itself).
    const ticket = identity && this.door?.ticketOf(identity);
    const gate: CreationGate = (_code, def) => {
      if (def.protocol.hash !== protocolHash) return schemaMismatch(protocolHash, def.protocol);
      if (!ticket && !this.addresses.takeRoomCreation(remoteAddress, this.clock.now())) {
        return new TickwireError(
          ErrorCode.TOO_MANY_ROOMS,
          `this address created more than ${this.limits.roomCreationsPerMinutePerAddress} rooms in a minute: join an existing room or wait`,
        );
      }
      return undefined;
    };
    return this.rooms.open(ticket?.type !== undefined ? { ...request, type: ticket.type } : request, gate);
  }

  /** An address's connection was closed for flooding. */
  flooded(remoteAddress: string): void {
    this.addresses.penalize(remoteAddress, this.clock.now());
  }

  /**
   * Opens every orphaned room the storage holds (one no live process has claimed), rebuilt from
   * its last checkpoint (walls stand again before anyone joins). Rooms nobody joins are disposed
   * after their grace period as usual.
   */
  async restoreRooms(): Promise<string[]> {
    const list = (await this.store?.listRooms?.()) ?? [];
    const opened: string[] = [];
    for (const { code } of list) {
      // Claims it first: a room another live process owns stays there; an orphan comes here.
      if (this.rooms.get(code) || (await this.registry.lookup(code).catch(() => undefined))) continue;
      const room = await this.rooms.open(code);
      if (!(room instanceof TickwireError)) opened.push(code);
    }
    return opened;
  }

  /** One room's summary: players, entities by type, durable entities by type, checkpoint, queue. */
  roomSummary(code: string) {
    const r = this.rooms.get(code);
    if (!r) return undefined;
    const entities: Record<string, number> = {};
    for (const e of r.entities.all()) entities[e.type] = (entities[e.type] ?? 0) + 1;
    return {
      code: r.code,
      players: r.connectedCount,
      seats: r.size,
      tick: r.tick,
      tickRate: r.tickRate,
      snapshotRate: r.snapshotRate,
      entities,
      durable: r.persist?.durableCounts() ?? {},
      lastCheckpointAt: r.persist?.lastCommittedAt != null ? new Date(r.persist.lastCommittedAt).toISOString() : null,
      writeQueueDepth: r.persist?.queueDepth ?? 0,
    };
  }

  authenticate(hello: HelloBody): Promise<Identity> | Identity {
    return this.authenticator(hello);
  }

  /**
   * Who sent an HTTP request: its `Authorization: Bearer <token>` checked the way HELLO tokens
   * are (a JWT, an anonymous token from POST /api/anonymous, or your hook's). Rejects with an
   * IdentityError (AUTH_FAILED and a reason; your hook's own TickwireError in custom mode); a
   * route handler can let it escape, and the router answers 401 (503 when the identity
   * provider's keys could not be fetched). Use it on every endpoint that changes state.
   *
   * @example
   * { method: 'POST', path: '/api/things', handler: async ({ request }) => {
   *     const { userId } = await runtime.authenticateRequest(request);
   *     return makeThing(userId);
   * } }
   */
  async authenticateRequest(request: Request): Promise<Identity> {
    return this.bearer(bearerToken(request, LIMITS.tokenBytes));
  }

  forget(conn: Connection): void {
    if (this.connections.delete(conn)) this.addresses.disconnect(conn.remoteAddress, this.clock.now());
  }

  clientCount(): number {
    let n = 0;
    for (const r of this.rooms.all()) n += r.connectedCount;
    return n;
  }

  health() {
    return {
      status: this.shuttingDown || this.draining ? 'draining' : 'ok',
      protocol: PROTOCOL_VERSION,
      uptime_s: Math.round((this.clock.now() - this.startedAt) / 1000),
      rooms: this.rooms.size,
      clients: this.clientCount(),
    };
  }

  roomList() {
    return {
      rooms: [...this.rooms.all()].map((r) => ({
        code: r.code,
        players: r.connectedCount,
        seats: r.size,
        maxClients: r.maxClients,
        tickRate: r.tickRate,
        snapshotRate: r.snapshotRate,
        tick: r.tick,
        entities: r.entities.size,
      })),
    };
  }

  /**
   * Joins the cluster (`cluster` option): registers this process and starts heartbeats and the
   * takeover of orphaned rooms. `listening` is the address the host bound, used where the
   * options give none. A server calls it from `listen()`; a custom host calls it once it listens.
   */
  async startCluster(listening?: { url: string; httpUrl: string }): Promise<void> {
    if (!this.cluster || this.cluster.started) return;
    await this.cluster.start(listening);
  }

  /** How long a drain waits for rooms by default (the cluster's `drainDeadlineMs`). */
  get drainDeadlineMs(): number {
    return this.cluster?.drainDeadlineMs ?? DEFAULT_DRAIN_DEADLINE_MS;
  }

  /**
   * Drains the process: it opens no new room (joins to its rooms go on; in a cluster its
   * heartbeat says draining, so the gateway places nothing here and `/api/health` says
   * 'draining'), lets rooms run until they empty (an empty room closes at once) or `deadlineMs`
   * passes, then stops: the rooms left are checkpointed and, in a cluster, handed off to other
   * processes, where their players resume. Resolves once stopped; calling it again returns the
   * same promise.
   *
   * @example
   * process.on('SIGTERM', () => void server.drain(60_000).then(() => process.exit(0)));
   */
  drain(deadlineMs = this.drainDeadlineMs): Promise<void> {
    this.draining ??= (async () => {
      this.rooms.draining = true;
      this.logger.info({ deadlineMs }, 'draining: no new rooms; waiting for rooms to end');
      await this.cluster?.markDraining();
      await roomsEmptied(this.rooms, this.clock, deadlineMs);
      await this.stopAfterDrain();
    })();
    return this.draining;
  }

  /** How a drained runtime stops: it shuts down; a server also closes its host. */
  protected stopAfterDrain(): Promise<void> {
    return this.shutdown();
  }

  /**
   * Stops the runtime: no new joins, every client told (ERROR SHUTTING_DOWN, then close 1001),
   * every room disposed (its final checkpoint written, its onDispose run). In a cluster, rooms
   * that still have members are handed off (another process reopens them from that checkpoint
   * and the players resume there) and the process leaves the registry. Hosts call it from their
   * own close, after they stop accepting.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.rooms.draining = true;
    // Which rooms had players before their connections close (members may not wait for a reconnect).
    const occupied = new Set([...this.rooms.all()].filter((r) => r.size > 0));
    for (const conn of [...this.connections]) {
      conn.send(this.frames.error(0, { code: ErrorCode.SHUTTING_DOWN, fatal: true, message: 'the server is shutting down' }));
      conn.close(CloseCode.GOING_AWAY, 'server shutting down');
    }
    await this.cluster?.markDraining();
    await this.rooms.disposeAll((r) => this.cluster !== null && occupied.has(r));
    await this.cluster?.stop();
  }
}
