/**
 * The tickwire server as most games start it: the runtime (rooms, connections, the HTTP API)
 * served by a host on one port, with graceful shutdown on signals. The Node host (node:http and
 * ws) is the default; `host: 'uws'` serves the same runtime on uWebSockets.js. `TickwireRuntime`
 * and the hosts are the halves, for hosting the runtime otherwise.
 */
import type { Server as HttpServer } from 'node:http';
import type { HostKind, ListenAddress } from './host.js';
import { NodeHost, type NodeHostOptions } from './node-host.js';
import { TickwireRuntime, type RuntimeOptions } from './runtime.js';
import { UwsHost, type UwsHostOptions } from './uws-host.js';

export type { ListenAddress } from './host.js';

export interface ServerOptions extends RuntimeOptions, NodeHostOptions, UwsHostOptions {
  /**
   * The server library: 'node' (node:http and ws, the default) or 'uws' (uWebSockets.js, an
   * optional peer dependency: install it to use it). `hostFromEnv()` reads TICKWIRE_HOST.
   */
  host?: HostKind;
}

/** The runtime and the host serving it: listen, close, signals. */
export class TickwireServer extends TickwireRuntime {
  readonly host: NodeHost | UwsHost;

  constructor(options: ServerOptions) {
    super(options);
    this.host = options.host === 'uws' ? new UwsHost(this, options) : new NodeHost(this, options);
  }

  /** The Node HTTP server (to listen yourself, or watch its sockets); the Node host only. */
  get http(): HttpServer {
    if (this.host instanceof NodeHost) return this.host.http;
    throw new Error("server.http is the Node host's HTTP server, and this server runs on uWebSockets.js (host: 'uws')");
  }

  get wsPath(): string {
    return this.host.wsPath;
  }

  /**
   * Starts listening (port 0 picks a free port). On uWebSockets.js, loads it first. A cluster
   * process then joins its cluster, with the bound address where the options give none.
   */
  async listen(port = 8080, host?: string): Promise<ListenAddress> {
    const bound = await this.host.listen(port, host);
    await this.startCluster({ url: bound.wsUrl, httpUrl: bound.url });
    return bound;
  }

  private closing$: Promise<void> | null = null;
  private markClosed: () => void = () => undefined;
  /** Resolves once the server has closed, whatever closed it: `close()`, a drain, a signal. */
  readonly closed: Promise<void> = new Promise((resolve) => (this.markClosed = resolve));

  /**
   * Graceful shutdown: stop accepting, tell every client (ERROR SHUTTING_DOWN, then close
   * 1001), dispose every room (its onDispose runs; in a cluster, rooms with players are handed
   * off), close the server. Resolves when closed, however often it is called.
   */
  close(): Promise<void> {
    this.closing$ ??= this.host.close().then(() => {
      this.logger.info('tickwire stopped');
      this.markClosed();
    });
    return this.closing$;
  }

  protected override stopAfterDrain(): Promise<void> {
    return this.close();
  }

  /**
   * Shuts down gracefully on SIGTERM or SIGINT and then exits; a second signal exits at once.
   * In a cluster, SIGTERM drains first (see `drain`): rooms run on until they end or the
   * cluster's `drainDeadlineMs`. Returns a function that removes the handlers.
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
      const draining = signal === 'SIGTERM' && this.cluster !== null;
      this.logger.info({ signal }, draining ? 'draining, then shutting down' : 'shutting down');
      (draining ? this.drain() : this.close()).then(
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
 * Creates a server: on the Node host by default, on uWebSockets.js with `host: 'uws'` (its
 * `listen()` loads the package, and throws UwsNotInstalledError saying how to install it).
 *
 * @example
 * const server = createServer({ rooms: arenaRoom, staticDir: 'dist/public' });
 * await server.listen(Number(process.env.PORT ?? 8080));
 * server.handleSignals();
 *
 * @example
 * // TICKWIRE_HOST=uws picks uWebSockets.js
 * const server = createServer({ rooms: arenaRoom, host: hostFromEnv() });
 */
export function createServer(options: ServerOptions): TickwireServer {
  return new TickwireServer(options);
}
