/**
 * The tickwire server: rooms, connections, and one HTTP port that serves the API, metrics,
 * static files and the WebSocket upgrade.
 *
 * Everything is an instance with its dependencies passed in (clock, logger, limits), so tests
 * run several servers in one process, on port 0, on a manual clock.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CloseCode,
  ErrorCode,
  FrameEncoder,
  TickwireError,
  PROTOCOL_VERSION,
  randomBytes,
  systemClock,
  type Clock,
  type GameProtocol,
  type HelloBody,
  type Transport,
} from '@tickwire/protocol';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { Connection, type ConnectionHost } from './connection.js';
import { router, sendJson, type Route } from './http-routes.js';
import type { RoomStore } from './persistence.js';
import { resolveLimits, type Limits } from './limits.js';
import { ServerMetrics } from './metrics.js';
import type { Identity } from './room-client.js';
import type { AnyRoomDefinition } from './room-definition.js';
import { RoomManager, type RoomResolver } from './room-manager.js';
import { staticFiles } from './static-files.js';
import { wsTransport } from './ws-transport.js';

export interface ServerOptions {
  /** The room type for every code, or a function that picks one per code (undefined refuses it). */
  rooms: AnyRoomDefinition | RoomResolver;
  /** Folder of static files to serve (the game's built client). */
  staticDir?: string;
  /** Path of the WebSocket endpoint (default '/ws'). */
  wsPath?: string;
  clock?: Clock;
  logger?: Logger;
  limits?: Partial<Limits>;
  /**
   * Turns a HELLO into an identity; throw a TickwireError(AUTH_FAILED) to refuse. The default
   * accepts everyone as an anonymous user (development mode).
   */
  authenticate?: (hello: HelloBody) => Promise<Identity> | Identity;
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
}

export interface ListenAddress {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
}

/**
 * Development mode: everyone is anonymous. A client may name its anonymous identity with a
 * token `anon:<id>` (the arena page keeps one in localStorage, so a returning player gets their
 * checkpoint back); otherwise it gets a random id. Production servers pass `authenticate`.
 */
function anonymous(hello: HelloBody): Identity {
  if (/^anon:[A-Za-z0-9_-]{1,64}$/.test(hello.token)) return { userId: hello.token };
  const bytes = randomBytes(8);
  return { userId: `anon-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}` };
}

export class TickwireServer implements ConnectionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: Limits;
  readonly metrics: ServerMetrics;
  readonly stats: ServerMetrics;
  readonly rooms: RoomManager;
  readonly frames = new FrameEncoder();
  readonly http: HttpServer;
  readonly wsPath: string;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private shuttingDown = false;
  private readonly authenticator: (hello: HelloBody) => Promise<Identity> | Identity;
  private readonly startedAt: number;
  readonly store: RoomStore | undefined;

  constructor(options: ServerOptions) {
    this.store = options.storage;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
    this.limits = resolveLimits(options.limits);
    this.wsPath = options.wsPath ?? '/ws';
    this.authenticator = options.authenticate ?? anonymous;
    this.startedAt = this.clock.now();
    const resolve: RoomResolver = typeof options.rooms === 'function' ? options.rooms : () => options.rooms as AnyRoomDefinition;
    this.metrics = new ServerMetrics(
      { rooms: () => this.rooms.size, clients: () => this.clientCount() },
      { defaultMetrics: options.processMetrics },
    );
    this.stats = this.metrics;
    this.rooms = new RoomManager(resolve, { clock: this.clock, logger: this.logger, limits: this.limits, stats: this.metrics, store: this.store });

    const routes: Route[] = [
      { method: 'GET', path: '/api/health', handler: () => this.health() },
      { method: 'GET', path: '/api/rooms', handler: () => this.roomList() },
      {
        method: 'GET',
        path: /^\/api\/rooms\/(?<code>[^/]+)$/,
        handler: ({ res, params }) => {
          const summary = this.roomSummary(decodeURIComponent(params.code ?? ''));
          if (summary) return summary;
          sendJson(res, 404, { error: 'NOT_FOUND', message: `no room '${params.code}' is open in this process` });
          return undefined;
        },
      },
      {
        method: 'GET',
        path: '/metrics',
        handler: async ({ res }) => {
          const text = await this.metrics.text();
          res.writeHead(200, { 'content-type': this.metrics.contentType });
          res.end(text);
        },
      },
      ...(options.routes ?? []),
    ];
    this.http = createHttpServer(
      router(routes, options.staticDir ? staticFiles(options.staticDir) : undefined, (err) => this.logger.error({ err }, 'HTTP handler failed')),
    );
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxFrameBytes, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== this.wsPath || this.shuttingDown) {
        socket.end(`HTTP/1.1 ${this.shuttingDown ? 503 : 404} ${this.shuttingDown ? 'Service Unavailable' : 'Not Found'}\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        let conn: Connection | undefined;
        const transport = wsTransport(ws, () => conn?.receiveText());
        conn = this.accept(transport, req.socket.remoteAddress ?? '');
      });
    });
  }

  get closing(): boolean {
    return this.shuttingDown;
  }

  /** Accepts a connection on any transport (the WebSocket upgrade and in-memory pipes use this). */
  accept(transport: Transport, remoteAddress = ''): Connection {
    const conn = new Connection(transport, this, remoteAddress);
    this.connections.add(conn);
    return conn;
  }

  room(code: string) {
    return this.rooms.open(code);
  }

  /**
   * Opens every room the storage holds, rebuilt from its last checkpoint (walls stand again
   * before anyone joins). Rooms nobody joins are disposed after their grace period as usual.
   */
  async restoreRooms(): Promise<string[]> {
    const list = (await this.store?.listRooms?.()) ?? [];
    const opened: string[] = [];
    for (const { code } of list) {
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

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  clientCount(): number {
    let n = 0;
    for (const r of this.rooms.all()) n += r.connectedCount;
    return n;
  }

  health() {
    return {
      status: this.shuttingDown ? 'draining' : 'ok',
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

  /** Starts listening (port 0 picks a free port). */
  listen(port = 8080, host?: string): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        const addr = this.http.address() as AddressInfo;
        const h = addr.family === 'IPv6' ? `[${addr.address === '::' ? '::1' : addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
        const url = `http://${h}:${addr.port}`;
        this.logger.info({ url }, 'tickwire listening');
        resolve({ host: addr.address, port: addr.port, url, wsUrl: `ws://${h}:${addr.port}${this.wsPath}` });
      });
    });
  }

  /**
   * Graceful shutdown: stop accepting, tell every client (ERROR SHUTTING_DOWN, then close
   * 1001), dispose every room (its onDispose runs), close the HTTP server.
   */
  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const conn of [...this.connections]) {
      conn.send(this.frames.error(0, { code: ErrorCode.SHUTTING_DOWN, fatal: true, message: 'the server is shutting down' }));
      conn.close(CloseCode.GOING_AWAY, 'server shutting down');
    }
    await this.rooms.disposeAll();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections?.();
    await httpClosed;
    this.logger.info('tickwire stopped');
  }

  /**
   * Shuts down gracefully on SIGTERM or SIGINT and then exits; a second signal exits at once.
   * Returns a function that removes the handlers.
   */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        exit(1);
        return;
      }
      signalled = true;
      this.logger.info({ signal }, 'shutting down');
      this.close().then(
        () => exit(0),
        (err: unknown) => {
          this.logger.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }
}

/**
 * Creates a server.
 *
 * @example
 * const server = createServer({ rooms: arenaRoom, staticDir: 'dist/public' });
 * await server.listen(Number(process.env.PORT ?? 8080));
 * server.handleSignals();
 */
export function createServer(options: ServerOptions): TickwireServer {
  return new TickwireServer(options);
}
