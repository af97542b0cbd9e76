/**
 * The tickwire server: rooms, connections, and one HTTP port that serves the API, metrics,
 * static files and the WebSocket upgrade.
 *
 * Everything is an instance with its dependencies passed in (clock, logger, limits), so tests
 * run several servers in one process, on port 0, on a manual clock.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  CloseCode,
  ErrorCode,
  FrameEncoder,
  TickwireError,
  PROTOCOL_VERSION,
  systemClock,
  type Clock,
  type GameProtocol,
  type HelloBody,
  type Transport,
} from '@tickwire/protocol';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { AddressBook } from './address-book.js';
import { AnonymousIdentities } from './anonymous.js';
import { Connection, type ConnectionHost } from './connection.js';
import { router, sendJson, type Route } from './http-routes.js';
import type { RoomStore } from './persistence.js';
import type { Room } from './room.js';
import { resolveLimits, type Limits } from './limits.js';
import { ServerMetrics } from './metrics.js';
import type { Identity } from './room-client.js';
import { checkDefinition, type AnyRoomDefinition } from './room-definition.js';
import { RoomManager, schemaMismatch, type CreationGate, type RoomResolver } from './room-manager.js';
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
   * Turns a HELLO into an identity; throw a TickwireError(AUTH_FAILED) to refuse. Without it the
   * server is in anonymous mode (development, casual games): identities are issued by
   * `POST /api/anonymous` and signed with `secret`, and a HELLO with no token is a new guest.
   */
  authenticate?: (hello: HelloBody) => Promise<Identity> | Identity;
  /**
   * The server's secret (at least 16 bytes; default: TICKWIRE_SECRET, else random at start):
   * signs anonymous identities. Give every process of a deployment the same one, and keep it
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
}

export interface ListenAddress {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
}

/** The path of a request target, or undefined when it is not a valid origin-form URL. */
function requestPath(req: IncomingMessage): string | undefined {
  const target = req.url ?? '';
  if (!target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** Answers an upgrade request that will not become a WebSocket, and closes its socket. */
function refuseUpgrade(socket: Socket, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: STATUS_TEXT[status] ?? 'Error', message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
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
  /** Per-address limits: connections, waiting seats, room creations, flood penalties. */
  readonly addresses: AddressBook;
  /** Anonymous mode's identities (null when the server authenticates with `authenticate`). */
  readonly anonymous: AnonymousIdentities | null;

  constructor(options: ServerOptions) {
    this.store = options.storage;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
    this.limits = resolveLimits(options.limits);
    this.wsPath = options.wsPath ?? '/ws';
    this.addresses = new AddressBook(this.limits);
    this.anonymous = options.authenticate ? null : new AnonymousIdentities(options.secret ?? process.env.TICKWIRE_SECRET ?? nodeRandomBytes(32));
    const anonymous = this.anonymous;
    this.authenticator = options.authenticate ?? ((hello) => anonymous!.authenticate(hello.token));
    this.startedAt = this.clock.now();
    const rooms = options.rooms;
    if (typeof rooms !== 'function') checkDefinition(rooms);
    const resolve: RoomResolver = typeof rooms === 'function' ? rooms : () => rooms;
    this.metrics = new ServerMetrics(
      { rooms: () => this.rooms.size, clients: () => this.clientCount() },
      { defaultMetrics: options.processMetrics },
    );
    this.stats = this.metrics;
    this.rooms = new RoomManager(resolve, { clock: this.clock, logger: this.logger, limits: this.limits, stats: this.metrics, store: this.store, addresses: this.addresses });

    const routes: Route[] = [
      { method: 'GET', path: '/api/health', handler: () => this.health() },
      { method: 'GET', path: '/api/rooms', handler: () => this.roomList() },
      {
        method: 'GET',
        path: /^\/api\/rooms\/(?<code>[^/]+)$/,
        handler: ({ res, params }) => {
          let code: string;
          try {
            code = decodeURIComponent(params.code ?? '');
          } catch {
            sendJson(res, 400, { error: 'BAD_REQUEST', message: 'the room code in the path is not valid percent-encoding' });
            return undefined;
          }
          const summary = this.roomSummary(code);
          if (summary) return summary;
          sendJson(res, 404, { error: 'NOT_FOUND', message: `no room '${code.slice(0, 64)}' is open in this process` });
          return undefined;
        },
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
    // A request that trickles in (headers a byte at a time) holds a socket; bound how long.
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxFrameBytes, perMessageDeflate: false });
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // Nothing in an upgrade request may throw out of here: an uncaught error ends the process.
      socket.on('error', () => socket.destroy());
      try {
        this.upgrade(req, socket, head);
      } catch (err) {
        this.logger.error({ err }, 'WebSocket upgrade failed');
        refuseUpgrade(socket, 400, 'the upgrade request could not be handled');
      }
    });
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = requestPath(req);
    if (path === undefined) return refuseUpgrade(socket, 400, 'the request target is not a valid path');
    if (path !== this.wsPath) return refuseUpgrade(socket, 404, `the WebSocket endpoint is ${this.wsPath}`);
    if (this.shuttingDown) return refuseUpgrade(socket, 503, 'the server is shutting down: try again shortly');
    const address = socket.remoteAddress ?? '';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      let conn: Connection | undefined;
      const transport = wsTransport(ws, {
        onText: () => conn?.receiveText(),
        onControl: () => conn?.receiveControl(),
      });
      conn = this.accept(transport, address);
    });
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
  room(code: string, protocolHash: number, remoteAddress: string): Promise<Room | TickwireError> {
    const gate: CreationGate = (_code, def) => {
      if (def.protocol.hash !== protocolHash) return schemaMismatch(protocolHash, def.protocol);
      if (!this.addresses.takeRoomCreation(remoteAddress, this.clock.now())) {
        return new TickwireError(
          ErrorCode.TOO_MANY_ROOMS,
          `this address created more than ${this.limits.roomCreationsPerMinutePerAddress} rooms in a minute: join an existing room or wait`,
        );
      }
      return undefined;
    };
    return this.rooms.open(code, gate);
  }

  /** An address's connection was closed for flooding. */
  flooded(remoteAddress: string): void {
    this.addresses.penalize(remoteAddress, this.clock.now());
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
    if (this.connections.delete(conn)) this.addresses.disconnect(conn.remoteAddress, this.clock.now());
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
        this.logger.info({ url, address: addr.address, port: addr.port }, `tickwire listening on ${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`);
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
