/**
 * The MessageBus contract: every adapter (the in-memory one, Redis in a cluster) runs it. Two
 * buses from one `make()` stand for two processes of one deployment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageBus } from './bus.js';

export interface BusAdapter {
  name: string;
  /** Two buses of one deployment (two processes), sharing nothing but the medium. */
  make(): Promise<[MessageBus, MessageBus]>;
  /** Waits until what was published has had the time to arrive. */
  settle(): Promise<void>;
}

export function busContract(adapter: BusAdapter): void {
  describe(`message bus contract: ${adapter.name}`, () => {
    const open: MessageBus[] = [];
    const pair = async () => {
      const buses = await adapter.make();
      open.push(...buses);
      return buses;
    };
    const until = async (ok: () => boolean, what: string) => {
      for (let i = 0; i < 200 && !ok(); i++) await adapter.settle();
      if (!ok()) throw new Error(`timed out waiting for ${what}`);
    };
    afterEach(async () => {
      for (const bus of open.splice(0)) await bus.close();
    });

    it('delivers to the subscribers of a topic in every process, and to no other topic', async () => {
      const [a, b] = await pair();
      const got: string[] = [];
      await a.subscribe('room:r1', (m, t) => got.push(`a ${t} ${m}`));
      await b.subscribe('room:r1', (m, t) => got.push(`b ${t} ${m}`));
      await b.subscribe('room:r2', (m, t) => got.push(`b ${t} ${m}`));
      await a.publish('room:r1', 'hello');
      await until(() => got.length >= 2, 'two deliveries');
      await adapter.settle();
      expect(got.sort()).toEqual(['a room:r1 hello', 'b room:r1 hello']);
    });

    it('keeps the order of one publisher on one topic', async () => {
      const [a, b] = await pair();
      const got: number[] = [];
      await b.subscribe('process:p1', (m) => got.push(Number(m)));
      for (let i = 0; i < 200; i++) await a.publish('process:p1', String(i));
      await until(() => got.length === 200, '200 messages');
      expect(got).toEqual([...Array(200).keys()]);
    });

    it('stops delivering to a subscription that ended, and only to it', async () => {
      const [a, b] = await pair();
      const first: string[] = [];
      const second: string[] = [];
      const end = await b.subscribe('t', (m) => first.push(m));
      await b.subscribe('t', (m) => second.push(m));
      await a.publish('t', '1');
      await until(() => first.length === 1 && second.length === 1, 'both subscriptions');
      await end();
      await a.publish('t', '2');
      await until(() => second.length === 2, 'the remaining subscription');
      await adapter.settle();
      expect(first).toEqual(['1']);
      expect(second).toEqual(['1', '2']);
    });

    it("contains a handler's exception: the other handlers and the publisher go on", async () => {
      const [a, b] = await pair();
      const got: string[] = [];
      await b.subscribe('t', () => {
        throw new Error('a bug in a handler');
      });
      await b.subscribe('t', (m) => got.push(m));
      await a.publish('t', 'x');
      await a.publish('t', 'y');
      await until(() => got.length === 2, 'both messages at the healthy handler');
      expect(got).toEqual(['x', 'y']);
    });

    it('carries any text, large or not', async () => {
      const [a, b] = await pair();
      const got: string[] = [];
      const topic = 'room:ünïcødé-🚀';
      await b.subscribe(topic, (m) => got.push(m));
      const big = 'é'.repeat(40_000);
      await a.publish(topic, '');
      await a.publish(topic, '\u0000 and "quotes"');
      await a.publish(topic, big);
      await until(() => got.length === 3, 'three messages');
      expect(got).toEqual(['', '\u0000 and "quotes"', big]);
    });

    it('after close, a bus delivers nothing more', async () => {
      const [a, b] = await pair();
      const got: string[] = [];
      await b.subscribe('t', (m) => got.push(m));
      await b.close();
      await a.publish('t', 'late');
      await adapter.settle();
      await adapter.settle();
      expect(got).toEqual([]);
    });
  });
}
