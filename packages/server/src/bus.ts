/**
 * The message bus: messages between the processes of a deployment, published to a topic and
 * delivered to every subscriber of that topic, in any process. Topics name a room
 * (`room:<code>`), a process (`process:<id>`) or anything else a feature needs (chat that spans
 * processes, admin actions, parties).
 *
 * Delivery is at most once and only to subscribers present when the message is published, as
 * with Redis pub/sub: the bus carries coordination, never state that must survive. Messages from
 * one publisher to one topic arrive in the order they were published.
 *
 * This module is the seam: the in-memory bus serves a single process (and tests); the Redis bus
 * (@tickwire/redis) implements the same interface and passes the same contract suite
 * (bus-contract.test-support.ts).
 */

/** Receives a topic's messages. Its exceptions are the bus's to contain: they reach nobody else. */
export type BusHandler = (message: string, topic: string) => void;

export interface MessageBus {
  /** Delivers `message` to every current subscriber of `topic`, in every process. */
  publish(topic: string, message: string): Promise<void>;
  /**
   * Calls `handler` for each message published to `topic` from when the returned promise
   * resolves. Resolves to a function that ends this subscription.
   */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  /** Ends every subscription and releases connections. */
  close(): Promise<void>;
}

/** Reports a handler's exception without letting it reach the publisher or other handlers. */
export type BusFaultReporter = (err: unknown, topic: string) => void;

/** Delivers a message to handlers, each guarded: one handler's exception reaches no one else. */
export function deliver(handlers: Iterable<BusHandler>, message: string, topic: string, onFault: BusFaultReporter): void {
  for (const handler of handlers) {
    try {
      handler(message, topic);
    } catch (err) {
      onFault(err, topic);
    }
  }
}

/**
 * The bus of a single process. Several `MemoryBus` instances made from one `MemoryBus.hub()`
 * behave like processes sharing one Redis: what one publishes, all receive.
 *
 * @example
 * const hub = MemoryBus.hub();
 * const a = new MemoryBus(hub), b = new MemoryBus(hub);
 * await b.subscribe('room:abc', (m) => console.log(m));
 * await a.publish('room:abc', 'hello');
 */
export class MemoryBus implements MessageBus {
  /** A shared set of topics for buses that stand for processes of one deployment. */
  static hub(): Map<string, Set<BusHandler>> {
    return new Map();
  }

  private readonly mine = new Set<{ topic: string; handler: BusHandler }>();

  constructor(
    private readonly topics: Map<string, Set<BusHandler>> = MemoryBus.hub(),
    private readonly onFault: BusFaultReporter = () => undefined,
  ) {}

  async publish(topic: string, message: string): Promise<void> {
    const handlers = this.topics.get(topic);
    if (!handlers || handlers.size === 0) return;
    // Delivered after the publisher's turn, as a network bus would: never inside publish().
    const now = [...handlers];
    queueMicrotask(() => deliver(now, message, topic, this.onFault));
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    // Each subscription is its own function, so the same handler twice is two subscriptions.
    const own: BusHandler = (m, t) => handler(m, t);
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(own);
    const entry = { topic, handler: own };
    this.mine.add(entry);
    return async () => this.drop(entry);
  }

  private drop(entry: { topic: string; handler: BusHandler }): void {
    if (!this.mine.delete(entry)) return;
    const set = this.topics.get(entry.topic);
    set?.delete(entry.handler);
    if (set && set.size === 0) this.topics.delete(entry.topic);
  }

  async close(): Promise<void> {
    for (const entry of [...this.mine]) this.drop(entry);
  }
}
