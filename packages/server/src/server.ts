/**
 * The tickwire server as most games start it: the runtime (rooms, connections, the HTTP API)
 * served by the Node host (node:http and ws) on one port, with graceful shutdown on signals.
 * `TickwireRuntime` and `NodeHost` are the two halves, for hosting the runtime otherwise.
 */
import { NodeHost, type ListenAddress, type NodeHostOptions } from './node-host.js';
import { TickwireRuntime, type RuntimeOptions } from './runtime.js';

export type { ListenAddress } from './node-host.js';

export interface ServerOptions extends RuntimeOptions, NodeHostOptions {}

export class TickwireServer extends TickwireRuntime {
  readonly host: NodeHost;

  constructor(options: ServerOptions) {
    super(options);
    this.host = new NodeHost(this, options);
  }

  /** The Node HTTP server (to listen yourself, or watch its sockets). */
  get http() {
    return this.host.http;
  }

  get wsPath(): string {
    return this.host.wsPath;
  }

  /** Starts listening (port 0 picks a free port). */
  listen(port = 8080, host?: string): Promise<ListenAddress> {
    return this.host.listen(port, host);
  }

  /**
   * Graceful shutdown: stop accepting, tell every client (ERROR SHUTTING_DOWN, then close
   * 1001), dispose every room (its onDispose runs), close the HTTP server.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    await this.host.close();
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
