/**
 * The message bus of a cluster, over Redis pub/sub (the MessageBus contract of
 * @tickwire/server): messages published to a topic by any process reach every subscriber of it
 * in every process, at most once, in publish order per publisher.
 *
 * A subscribed Redis connection can do nothing else, so the bus holds two: the one it is given,
 * for publishing, and a duplicate of it that subscribes. Channels are `<prefix><topic>`. Several
 * subscriptions to one topic in a process share one Redis subscription.
 */
import { deliver, type BusFaultReporter, type BusHandler, type MessageBus } from '@tickwire/server';
import type { Redis } from 'ioredis';

export interface RedisBusOptions {
  /** Channel prefix shared by the processes of one deployment (default 'tickwire:bus:'). */
  prefix?: string;
  /** Told when a handler throws (default: nothing; the exception reaches no one else either way). */
  onFault?: BusFaultReporter;
}

/**
 * @example
 * import { Redis } from 'ioredis';
 * const bus = new RedisBus(new Redis('redis://127.0.0.1:6379'));
 * await bus.subscribe('room:abc', (message) => console.log(message));
 * await bus.publish('room:abc', JSON.stringify({ kick: 'player-7' }));
 */
export class RedisBus implements MessageBus {
  private readonly prefix: string;
  private readonly onFault: BusFaultReporter;
  private readonly subscriber: Redis;
  private readonly topics = new Map<string, Set<BusHandler>>();
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    options: RedisBusOptions = {},
  ) {
    this.prefix = options.prefix ?? 'tickwire:bus:';
    this.onFault = options.onFault ?? (() => undefined);
    this.subscriber = publisher.duplicate();
    this.subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(this.prefix)) return;
      const topic = channel.slice(this.prefix.length);
      const handlers = this.topics.get(topic);
      if (handlers) deliver([...handlers], message, topic, this.onFault);
    });
  }

  async publish(topic: string, message: string): Promise<void> {
    if (this.closed) throw new Error('this bus is closed');
    await this.publisher.publish(this.prefix + topic, message);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('this bus is closed');
    // Each subscription is its own function, so the same handler twice is two subscriptions.
    const own: BusHandler = (m, t) => handler(m, t);
    let set = this.topics.get(topic);
    if (!set) {
      this.topics.set(topic, (set = new Set()));
      set.add(own);
      await this.subscriber.subscribe(this.prefix + topic);
    } else set.add(own);
    let ended = false;
    return async () => {
      if (ended) return;
      ended = true;
      const current = this.topics.get(topic);
      if (!current || !current.delete(own) || current.size > 0) return;
      this.topics.delete(topic);
      if (!this.closed) await this.subscriber.unsubscribe(this.prefix + topic);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.topics.clear();
    // The subscriber is the bus's own; the publisher was lent to it, and stays open.
    this.subscriber.disconnect();
  }
}
