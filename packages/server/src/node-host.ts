/**
 * The Node host: serves a runtime over node:http and `ws` on one port. HTTP requests become Web
 * `Request`s for the runtime's `fetch`, and their `Response`s are written back; WebSocket
 * upgrades on `wsPath` become `Transport`s for the runtime's `accept`. Everything specific to
 * node:http and ws lives here, so the runtime never sees them.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { json, parseTarget } from './http-routes.js';
import type { TickwireRuntime } from './runtime.js';
import { wsTransport } from './ws-transport.js';

export interface NodeHostOptions {
  /** Path of the WebSocket endpoint (default '/ws'). */
  wsPath?: string;
}

export interface ListenAddress {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' };

/** Answers an upgrade request that will not become a WebSocket, and closes its socket. */
function refuseUpgrade(socket: Socket, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: STATUS_TEXT[status] ?? 'Error', message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A Node request as a Web Request, or undefined when its target or headers are not valid. */
function toRequest(req: IncomingMessage): Request | undefined {
  const url = parseTarget(req.url);
  if (!url) return undefined;
  try {
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const method = req.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream<Uint8Array>);
    // `duplex` is required by Node's fetch for a streamed body, and missing from the DOM types.
    const init: RequestInit & { duplex: 'half' } = { method, headers, body, duplex: 'half' };
    return new Request(url.href, init);
  } catch {
    return undefined;
  }
}

/** Writes a Web Response to a Node response. */
async function send(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  res.writeHead(response.status, headers);
  if (head || !response.body) {
    res.end();
    await response.body?.cancel();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    stream.on('end', resolve);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

export class NodeHost {
  readonly http: HttpServer;
  readonly wsPath: string;
  private readonly wss: WebSocketServer;
  private readonly logger: Logger;

  constructor(
    private readonly runtime: TickwireRuntime,
    options: NodeHostOptions = {},
  ) {
    this.wsPath = options.wsPath ?? '/ws';
    this.logger = runtime.logger;
    this.http = createHttpServer((req, res) => void this.request(req, res));
    // A request that trickles in (headers a byte at a time) holds a socket; bound how long.
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: runtime.limits.maxFrameBytes, perMessageDeflate: false });
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

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const request = toRequest(req);
      const response = request ? await this.runtime.fetch(request) : json(400, { error: 'BAD_REQUEST', message: 'the request target or its headers are not valid' });
      await send(res, response, req.method === 'HEAD');
    } catch (err) {
      this.logger.error({ err }, 'HTTP response failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = parseTarget(req.url);
    if (!url) return refuseUpgrade(socket, 400, 'the request target is not a valid path');
    if (url.pathname !== this.wsPath) return refuseUpgrade(socket, 404, `the WebSocket endpoint is ${this.wsPath}`);
    if (this.runtime.closing) return refuseUpgrade(socket, 503, 'the server is shutting down: try again shortly');
    const address = socket.remoteAddress ?? '';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.runtime.accept(wsTransport(ws, socket), address);
    });
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

  /** Stops accepting, then lets the runtime shut down, then drops what is left. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.runtime.shutdown();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await closed;
  }
}
