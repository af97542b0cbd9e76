/**
 * A stand-in for the Agones SDK sidecar: a real HTTP server on 127.0.0.1 port 0 that answers the
 * sidecar's REST paths as Agones does (Ready, Health, Shutdown, GameServer, Counters with
 * NOT_FOUND and OUT_OF_RANGE, int64s as strings), so the tests exercise the wire protocol the
 * process speaks. It records every request.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** The sidecar: GameServer state, declared counters, what it was sent. */
export class AgonesSidecar {
  readonly seen: Seen[] = [];
  state = 'Scheduled';
  counters = new Map<string, { count: number; capacity: number }>();
  address: unknown = '10.0.0.7';
  ports: unknown = [
    { name: 'metrics', port: 7001 },
    { name: 'default', port: 7654 },
  ];
  /** Answer this many requests with 503 before serving (a sidecar still starting). */
  unavailable = 0;
  /** Answer requests for this path with 403. */
  refuse: string | undefined;
  /** Answer GET /gameserver with this many bytes of padding. */
  padding = 0;
  private waiters: { match: (s: Seen) => boolean; resolve: (s: Seen) => void }[] = [];
  private server: Server | undefined;
  port = 0;

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      void body(req).then((parsed) => {
        const seen = { method: req.method ?? '', path: req.url ?? '', body: parsed };
        this.seen.push(seen);
        const [status, answer] = this.answer(seen);
        res.writeHead(status, { 'content-type': 'application/json' }).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
        for (const w of this.waiters.filter((x) => x.match(seen))) w.resolve(seen);
        this.waiters = this.waiters.filter((x) => !x.match(seen));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Resolves with the next request for `method path` that arrives from now on. */
  next(method: string, path: string): Promise<Seen> {
    return new Promise((resolve) => this.waiters.push({ match: (s) => s.method === method && s.path === path, resolve }));
  }

  calls(method: string, path: string): Seen[] {
    return this.seen.filter((s) => s.method === method && s.path === path);
  }

  private answer(seen: Seen): [number, unknown] {
    if (this.unavailable > 0) {
      this.unavailable--;
      return [503, { code: 14, message: 'connection refused' }];
    }
    const { method, path } = seen;
    if (path === this.refuse) return [403, { code: 7, message: 'permission denied' }];
    if (method === 'POST' && path === '/ready') return this.move('Ready');
    if (method === 'POST' && path === '/shutdown') return this.move('Shutdown');
    if (method === 'POST' && path === '/health') return [200, {}];
    if (method === 'GET' && path === '/gameserver') {
      const status = this.state === 'Scheduled' && this.address === '' ? { state: 'Creating' } : { state: this.state, address: this.address, ports: this.ports };
      return [200, { object_meta: { name: 'game-x1', labels: { pad: 'x'.repeat(this.padding) } }, status }];
    }
    const counter = /^\/v1beta1\/counters\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && counter?.[1]) return this.patch(counter[1], seen.body);
    return [404, { code: 5, message: `Not Found: ${path}` }];
  }

  private move(state: string): [number, unknown] {
    this.state = state;
    return [200, {}];
  }

  /** As Agones: the capacity first, then the count, which must lie within [0, capacity]; int64s as strings. */
  private patch(name: string, body: Record<string, unknown>): [number, unknown] {
    const c = this.counters.get(name);
    if (!c) return [404, { code: 5, message: `counter not found: ${name}` }];
    const capacity = body.capacity === undefined ? c.capacity : Number(body.capacity);
    const count = body.count === undefined ? c.count : Number(body.count);
    if (!(count >= 0 && count <= capacity)) return [400, { code: 11, message: `count ${count} is out of range [0, ${capacity}]` }];
    this.counters.set(name, { count, capacity });
    return [200, { name, count: String(count), capacity: String(capacity) }];
  }
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (text === '') return {};
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? Object.fromEntries(Object.entries(parsed)) : {};
}
