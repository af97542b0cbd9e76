/**
 * A server and SDK clients on one manual clock, over in-memory pipes with a fixed latency:
 * scenarios that need time (interpolation, acks, cooldowns) run without sleeping.
 */
import { connect, type ClientRoom } from '@tickwire/client';
import { ManualClock, createMemoryPipe, type GameProtocol } from '@tickwire/protocol';
import { createServer, type AnyRoomDefinition, type RoomDefinition } from '@tickwire/server';
import { silent, testGame, testRoom } from './game.js';

export const flush = () => new Promise<void>((r) => setImmediate(r));

export async function world<P extends GameProtocol = typeof testGame>(
  latencyMs = 40,
  room: RoomDefinition<P, never> | AnyRoomDefinition = testRoom() as unknown as AnyRoomDefinition,
  protocol: P = testGame as unknown as P,
) {
  const clock = new ManualClock(10_000);
  const server = createServer({ rooms: room as AnyRoomDefinition, clock, logger: silent, processMetrics: false });
  let paused = false;
  const held: (() => void)[] = [];
  const deliver = (fn: () => void) => {
    clock.setTimeout(() => (paused ? held.push(fn) : fn()), latencyMs / 2);
  };
  const step = async (ms: number, by = 5) => {
    for (let t = 0; t < ms; t += by) {
      clock.advance(by);
      await flush();
    }
  };
  const join = async (name: string, code = 'r'): Promise<ClientRoom<P>> => {
    const [client, srv] = createMemoryPipe(deliver);
    server.accept(srv);
    const pending = connect({ transport: client, room: code, name, protocol, clock });
    await step(latencyMs * 2);
    return pending;
  };
  return {
    clock,
    server,
    step,
    join,
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      held.splice(0).forEach((f) => f());
    },
  };
}
