/**
 * The uWebSockets.js host: serves a runtime over uWS on one port, as the Node host does over
 * node:http and ws. HTTP requests (their body read whole, within `maxRequestBodyBytes`) become
 * Web `Request`s for the runtime's `fetch`, and the `Response`s are written back corked, a body
 * of known length streamed under backpressure; WebSocket upgrades on `wsPath` become
 * `Transport`s (uws-transport.ts) for the runtime's `accept`, refused as the Node host refuses
 * them.
 *
 * uWebSockets.js is an optional peer dependency, loaded by `listen()` (a dynamic import in
 * uws-transport.ts) and named only in type imports elsewhere, none of them in the server's public
 * declarations: the Node host, and a game's type check, never need it.
 */
import type { Logger } from 'pino';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { HTTP_CLOSE_GRACE_MS, boundName, listenAddress, resolveWsPath, statusLine, type Host, type HostOptions, type ListenAddress } from './host.js';
import { parseTarget } from './http-routes.js';
import { BodyBuffer, bodyTooLarge, declaredTooLarge, hasNoBody, invalidRequest, webRequest } from './request-body.js';
import type { TickwireRuntime } from './runtime.js';
import { loadUws, refuse, socketBehavior, type SocketData, type Uws, type UwsTransport } from './uws-transport.js';

export interface UwsHostOptions extends HostOptions {}

/** Response headers uWS writes itself, or that do not apply to the connection it manages. */
const HOST_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/** Apps that can close all their sockets (uWS builds have `close()`; its declarations lag). */
interface ClosableApp {
  close(): void;
}
function closable(app: object): app is ClosableApp {
  return 'close' in app && typeof app.close === 'function';
}

/**
 * One HTTP request and its response. uWS invalidates the response once it is aborted or ended:
 * every use checks `over` first, and a write waiting for the socket wakes on either.
 */
class Exchange {
  /** The response may not be touched any more: the client went away, or it was ended. */
  over = false;
  /** Status and headers are written. */
  started = false;
  private wake: (() => void) | null = null;

  constructor(readonly res: HttpResponse) {
    res.onAborted(() => {
      this.over = true;
      this.wake?.();
    });
  }

  /** Resolves when the socket takes more bytes, or the client goes away. */
  writable(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.res.onWritable(() => {
        this.wake = null;
        resolve();
        return true;
      });
    });
  }

  /** Writes status and headers (inside a cork). */
  head(response: Response): void {
    this.started = true;
    this.res.writeStatus(statusLine(response.status));
    response.headers.forEach((value, key) => {
      if (!HOST_HEADERS.has(key)) this.res.writeHeader(key, value);
    });
  }

  /** Sends a whole response at once; `close` ends the connection after it. */
  end(response: Response, body: Uint8Array | undefined, head: boolean, close: boolean, length?: number): void {
    if (this.over) return;
    this.res.cork(() => {
      this.head(response);
      if (head) this.res.endWithoutBody(length, close);
      else this.res.end(body ?? '', close);
    });
    this.over = true;
  }

  /**
   * Streams a body of known length: each chunk is offered with `tryEnd`, and what the socket did
   * not take is offered again once it is writable, so a slow reader holds one chunk, not the file.
   */
  async stream(response: Response, body: ReadableStream<Uint8Array>, total: number): Promise<void> {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.over) return;
        if (done) break;
        let chunk = value;
        while (chunk.length > 0) {
          let ok = false;
          let finished = false;
          let taken = 0;
          this.res.cork(() => {
            if (!this.started) this.head(response);
            const before = this.res.getWriteOffset();
            [ok, finished] = this.res.tryEnd(chunk, total);
            if (!finished) taken = this.res.getWriteOffset() - before;
          });
          if (finished) {
            this.over = true;
            return;
          }
          if (ok) break;
          chunk = chunk.subarray(taken);
          await this.writable();
          if (this.over) return;
        }
      }
      // The body was shorter than its Content-Length: the response cannot be completed.
      this.abort();
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** Drops the connection (a response that cannot be completed). */
  abort(): void {
    if (this.over) return;
    this.over = true;
    this.res.close();
  }
}

/** Writes a Web Response to a uWS response: whole, or streamed when its length is known. */
async function send(ex: Exchange, response: Response, head: boolean, close = false): Promise<void> {
  const length = response.headers.get('content-length');
  const total = length !== null && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
  if (ex.over || !response.body) {
    await response.body?.cancel();
    ex.end(response, undefined, head, close, total ?? 0);
    return;
  }
  if (head) {
    // HEAD answers with the headers GET would have, Content-Length included: measure the body
    // when the response does not say (the API's JSON: small).
    const measured = total ?? (await response.arrayBuffer()).byteLength;
    if (total !== undefined) await response.body.cancel();
    ex.end(response, undefined, true, close, measured);
    return;
  }
  // Streamed only when the length is known and there is something to stream.
  if (total === undefined || total === 0 || close) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    ex.end(response, bytes, false, close);
    return;
  }
  await ex.stream(response, response.body, total);
}

export class UwsHost implements Host {
  readonly wsPath: string;
  private readonly logger: Logger;
  private app: TemplatedApp | null = null;
  private uws: Uws | null = null;
  private listening: us_listen_socket | null = null;
  /** Open sockets, dropped at close if the runtime's shutdown left any. */
  private readonly sockets = new Set<UwsTransport>();
  /** HTTP responses being produced or written, and who waits for them to finish (close). */
  private responding = 0;
  private responded: (() => void) | null = null;

  constructor(
    private readonly runtime: TickwireRuntime,
    options: UwsHostOptions = {},
  ) {
    this.wsPath = resolveWsPath(options.wsPath);
    this.logger = runtime.logger;
  }

  /** Starts listening (port 0 picks a free port); loads uWebSockets.js the first time. */
  async listen(port = 8080, host?: string): Promise<ListenAddress> {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
    if (this.listening) throw new Error('this host is already listening');
    const uws = (this.uws ??= await loadUws());
    const app = (this.app ??= this.build(uws));
    const socket = await new Promise<us_listen_socket | false>((resolve) => (host ? app.listen(host, port, resolve) : app.listen(port, resolve)));
    if (!socket) {
      throw new Error(`uWebSockets.js could not listen on ${host ?? 'all interfaces'} port ${port}: the port is in use, or the address is not one of this machine's`);
    }
    this.listening = socket;
    const address = host ?? '::';
    const bound = listenAddress(address, uws.us_socket_local_port(socket), this.wsPath);
    this.logger.info({ url: bound.url, address, port: bound.port, host: 'uws' }, `tickwire listening on ${boundName(address, bound.port)} (uWebSockets.js)`);
    return bound;
  }

  /** Stops accepting, then lets the runtime shut down, then drops what is left. */
  async close(): Promise<void> {
    if (this.listening && this.uws) this.uws.us_listen_socket_close(this.listening);
    this.listening = null;
    await this.runtime.shutdown();
    for (const transport of [...this.sockets]) transport.abort();
    // Responses being written get a moment to finish (the answer to the admin request that
    // drained this process, for one); then idle keep-alive connections go too, as the Node
    // host's closeAllConnections does.
    if (this.responding > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.responded = resolve;
        timer = setTimeout(resolve, HTTP_CLOSE_GRACE_MS);
      });
      clearTimeout(timer);
      this.responded = null;
      // uWS sends what a response wrote outside its own callbacks when the loop turns: let it.
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
    if (this.app && closable(this.app)) this.app.close();
    this.app = null;
  }

  private build(uws: Uws): TemplatedApp {
    const app = uws.App();
    app.ws<SocketData>(
      this.wsPath,
      socketBehavior(uws, this.runtime.limits, {
        refuse: () => (this.runtime.closing ? { status: 503, message: 'the server is shutting down: try again shortly' } : undefined),
        open: (transport, address) => {
          this.sockets.add(transport);
          this.runtime.accept(transport, address);
        },
        closed: (transport) => this.sockets.delete(transport),
      }),
    );
    app.any('/*', (res, req) => this.request(res, req));
    return app;
  }

  /** An HTTP request. What it needs from `req` is read now: uWS reuses it after this returns. */
  private request(res: HttpResponse, req: HttpRequest): void {
    const ex = new Exchange(res);
    const method = req.getCaseSensitiveMethod();
    // uWS gives no query as undefined, whatever its declarations say.
    const query: string | undefined = req.getQuery();
    const target = query ? `${req.getUrl()}?${query}` : req.getUrl();
    const url = parseTarget(target);
    if (req.getHeader('upgrade').toLowerCase() === 'websocket') {
      // An upgrade the WebSocket route did not take: another path, or a broken handshake.
      if (url && url.pathname !== this.wsPath) return refuse(res, 404, `the WebSocket endpoint is ${this.wsPath}`);
      return refuse(res, 400, url ? 'not a valid WebSocket upgrade (Sec-WebSocket-Key or Sec-WebSocket-Version)' : 'the request target is not a valid path');
    }
    const headers: [string, string][] = [];
    req.forEach((name, value) => void headers.push([name, value]));
    const head = method.toUpperCase() === 'HEAD';
    if (hasNoBody(method)) {
      void this.respond(ex, () => this.answer(url, method, headers, undefined), head);
      return;
    }
    const limit = this.runtime.limits.maxRequestBodyBytes;
    // Over the limit: answered at once, and the connection closed, so the rest is never read.
    if (declaredTooLarge(req.getHeader('content-length'), limit)) {
      void this.respond(ex, () => bodyTooLarge(limit), false, true);
      return;
    }
    const body = new BodyBuffer(limit);
    let read = false;
    res.onData((chunk, isLast) => {
      if (read || ex.over) return;
      if (!body.add(new Uint8Array(chunk))) {
        read = true;
        void this.respond(ex, () => bodyTooLarge(limit), false, true);
      } else if (isLast) {
        read = true;
        void this.respond(ex, () => this.answer(url, method, headers, body.bytes()), false);
      }
    });
  }

  /** The runtime's answer to a request, or a 400 when its target or headers are not valid. */
  private answer(url: URL | undefined, method: string, headers: [string, string][], body: Uint8Array<ArrayBuffer> | undefined): Promise<Response> | Response {
    const request = url && webRequest(url, method, headers, body);
    return request ? this.runtime.fetch(request) : invalidRequest();
  }

  /** Writes a response; nothing escapes (a failure is logged and answered 500, or the connection dropped). */
  private async respond(ex: Exchange, response: () => Promise<Response> | Response, head: boolean, close = false): Promise<void> {
    this.responding++;
    try {
      await send(ex, await response(), head, close);
    } catch (err) {
      this.logger.error({ err }, 'HTTP response failed');
      if (!ex.started) ex.end(new Response(null, { status: 500 }), undefined, false, true);
      else ex.abort();
    } finally {
      if (--this.responding === 0) this.responded?.();
    }
  }
}
