/**
 * A TCP relay to cut connections the way a network does: each client gets a listener of its own
 * in front of the server, and `cut()` destroys that client's sockets on both sides at once (no
 * WebSocket close), so the client sees a drop and the server a dead connection. The client's
 * reconnects come through the same listener.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CutProxy {
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async open(target: number): Promise<CutProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP port');
    const proxy = new CutProxy(server, address.port);
    server.on('connection', (down) => {
      const up = connect(target, '127.0.0.1');
      for (const s of [down, up]) {
        proxy.sockets.add(s);
        s.setNoDelay(true);
        s.on('error', () => undefined);
        s.on('close', () => {
          proxy.sockets.delete(s);
          down.destroy();
          up.destroy();
        });
      }
      down.pipe(up);
      up.pipe(down);
    });
    return proxy;
  }

  /** Drops every connection through this proxy, as a failed network would. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}
