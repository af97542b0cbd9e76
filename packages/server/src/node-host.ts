/**
 * The Node host: serves a runtime over node:http and `ws` on one port. HTTP requests (their body
 * read whole, within `maxRequestBodyBytes`) become Web `Request`s for the runtime's `fetch`, and
 * their `Response`s are written back; WebSocket upgrades on `wsPath` become `Transport`s for the
 * runtime's `accept`. Everything specific to node:http and ws lives here, so the runtime never
 * sees them.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { HTTP_CLOSE_GRACE_MS, boundName, listenAddress, refusalBody, statusLine, type Host, type HostOptions, type ListenAddress } from './host.js';
import { parseTarget } from './http-routes.js';
import { BodyBuffer, bodyTooLarge, declaredTooLarge, hasNoBody, invalidRequest, webRequest } from './request-body.js';
import type { TickwireRuntime } from './runtime.js';
import { wsTransport } from './ws-transport.js';

export type { ListenAddress } from './host.js';

export interface NodeHostOptions extends HostOptions {}

/** Answers an upgrade request that will not become a WebSocket, and closes its socket. */
function refuseUpgrade(socket: Socket, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = refusalBody(status, message);
  socket.end(`HTTP/1.1 ${statusLine(status)}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** A request's body, read whole; 'too large' once it passes `limit` (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer> | 'too large' | 'aborted'> {
  if (declaredTooLarge(req.headers['content-length'], limit)) return Promise.resolve('too large');
  return new Promise((resolve) => {
    const body = new BodyBuffer(limit);
    const onData = (chunk: Buffer) => {
      if (body.add(chunk)) return;
      req.off('data', onData);
      req.pause();
      resolve('too large');
    };
    req.on('data', onData);
    req.once('end', () => resolve(body.bytes()));
    // A client that goes away mid-body: nothing to answer (resolving twice is a no-op).
    req.once('close', () => resolve('aborted'));
  });
}

/** A Node request's headers as name, value pairs. */
function* headerPairs(req: IncomingMessage): Generator<[string, string]> {
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) yield [req.rawHeaders[i]!, req.rawHeaders[i + 1]!];
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

/** What {@link requestListener} needs besides the handler. */
export interface RequestListenerOptions {
  /** A body over this many bytes is refused with 413 without reading the rest. */
  maxRequestBodyBytes: number;
  /** Where a response that could not be written is reported. */
  logger: Logger;
}

/**
 * A node:http request listener that serves a Web-standard handler: each request, its body read
 * whole within the limit, becomes a `Request`; the handler's `Response` is written back. The
 * Node host serves its runtime with it; a gateway serves its own API the same way.
 *
 * @example
 * createServer(requestListener(handler, { maxRequestBodyBytes: 65_536, logger })).listen(8080);
 */
export function requestListener(handler: (request: Request) => Promise<Response>, options: RequestListenerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  /** The handler's answer to a request, or undefined when the client went away mid-body. */
  const respond = async (req: IncomingMessage, res: ServerResponse): Promise<Response | undefined> => {
    const url = parseTarget(req.url);
    if (!url) return invalidRequest();
    let body: Uint8Array<ArrayBuffer> | undefined;
    if (!hasNoBody(req.method ?? 'GET')) {
      const limit = options.maxRequestBodyBytes;
      const read = await readBody(req, limit);
      if (read === 'aborted') return undefined;
      if (read === 'too large') {
        // The rest of the body is not read, so the connection cannot carry another request.
        res.shouldKeepAlive = false;
        return bodyTooLarge(limit);
      }
      body = read;
    }
    const request = webRequest(url, req.method ?? 'GET', headerPairs(req), body);
    return request ? handler(request) : invalidRequest();
  };
  return (req, res) =>
    void (async () => {
      try {
        const response = await respond(req, res);
        if (response) await send(res, response, req.method === 'HEAD');
        else res.destroy();
      } catch (err) {
        options.logger.error({ err }, 'HTTP response failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      }
    })();
}

export class NodeHost implements Host {
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
    this.http = createHttpServer(requestListener(runtime.fetch, { maxRequestBodyBytes: runtime.limits.maxRequestBodyBytes, logger: runtime.logger }));
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
        const bound = listenAddress(addr.address, addr.port, this.wsPath);
        this.logger.info({ url: bound.url, address: addr.address, port: addr.port }, `tickwire listening on ${boundName(addr.address, addr.port)}`);
        resolve(bound);
      });
    });
  }

  /**
   * Stops accepting, then lets the runtime shut down, then drops what is left. HTTP requests in
   * flight get a moment to finish first (the answer to the admin request that drained this
   * process, for one), and idle keep-alive connections are closed at once.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.runtime.shutdown();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    // A keep-alive connection whose response just finished is idle: close those as they appear.
    const idle = setInterval(() => this.http.closeIdleConnections(), 20);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, HTTP_CLOSE_GRACE_MS)));
    await Promise.race([closed, grace]);
    clearTimeout(timer);
    clearInterval(idle);
    this.http.closeAllConnections();
    await closed;
  }
}
