/**
 * The SDK reconnecting by itself, against the real server on one manual clock over in-memory
 * pipes: the link is cut, blackholed or refused on command, and the backoff, the status events
 * and the seat that comes back are checked without sleeping.
 */
import { connect, type ClientRoom, type ConnectOptions, type ReconnectingInfo } from '@tickwire/client';
import { CloseCode, ErrorCode, ManualClock, TickwireError, createMemoryPipe, type Transport } from '@tickwire/protocol';
import { createServer, type TickwireServer } from '@tickwire/server';
import { describe, expect, it } from 'vitest';
import { silent, testGame, testRoom, type TestGame } from './game.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const SECRET = 'reconnect-test-secret-0123456789';

/** A server on a manual clock, a network to it that the test can cut, and players who join it. */
function network(windowMs = 60_000) {
  const clock = new ManualClock(10_000);
  const serve = () => createServer({ rooms: testRoom({ reconnectWindowMs: windowMs }), clock, logger: silent, processMetrics: false, secret: SECRET });
  const net = {
    clock,
    server: serve() as TickwireServer,
    /** No connection can be opened while down. */
    down: false,
    /** Frames (and closes) vanish while blackholed: a link that dies without saying so. */
    blackholed: false,
    dials: 0,
    /** The server ends of each player's connections, newest last. */
    ends: new WeakMap<ClientRoom<TestGame>, Transport[]>(),
    async step(ms: number, by = 10) {
      for (let t = 0; t < ms; t += by) {
        clock.advance(by);
        await flush();
      }
    },
    /** A transport factory over a 10 ms each-way link. */
    dial(ends: Transport[]): Transport {
      net.dials++;
      if (net.down) throw new Error('connection refused');
      const [client, end] = createMemoryPipe((fn) => {
        if (net.blackholed) return;
        clock.setTimeout(() => !net.blackholed && fn(), 10);
      });
      net.server.accept(end, '10.0.0.1');
      ends.push(end);
      return client;
    },
    /** Cuts a player's connection from the server's side, as a network drop would (1006). */
    cut(room: ClientRoom<TestGame>) {
      net.ends.get(room)!.at(-1)!.close(1006, '');
    },
    restart() {
      const old = net.server;
      net.server = serve();
      return old.close();
    },
    async join(name: string, token = net.server.anonymous!.issue().token, options: Partial<ConnectOptions<TestGame>> = {}): Promise<ClientRoom<TestGame>> {
      const ends: Transport[] = [];
      const pending = connect({ transport: () => net.dial(ends), room: 'r', name, token, protocol: testGame, clock, random: () => 0.5, ...options });
      await net.step(60);
      const room = await pending;
      net.ends.set(room, ends);
      return room;
    },
  };
  return net;
}

/** The test room's count of shots fired (its state is `{ fired }`). */
function firedIn(room: { state: unknown }): number {
  return (room.state as { fired: number }).fired;
}

function record(room: ClientRoom<TestGame>) {
  const log = { reconnecting: [] as ReconnectingInfo[], reconnected: [] as boolean[], closed: [] as { code: number; reason: string; error?: TickwireError | undefined }[] };
  room.on('reconnecting', (i) => log.reconnecting.push(i));
  room.on('reconnected', (i) => log.reconnected.push(i.resumed));
  room.on('close', (i) => log.closed.push(i));
  return log;
}

describe('SDK reconnects by itself (stepped clock, in-memory pipes)', () => {
  it('after a cut it backs off while the server is unreachable, then comes back to the same seat and entity', async () => {
    const net = network();
    const ada = await net.join('ada');
    const bob = await net.join('bob');
    await net.step(200);
    const log = record(ada);
    const { clientId, entityId } = ada;
    expect(bob.entities.has(entityId)).toBe(true);

    net.down = true;
    net.cut(ada);
    await net.step(20);
    expect(ada.status).toBe('reconnecting');
    expect(ada.isOpen).toBe(true);
    // During the gap: inputs are dropped, commands refused at once, both saying so.
    expect(ada.sendInput({ dx: 1, dy: 0 })).toBe(0);
    await expect(ada.sendCommand('combat', 'fire', { angle: 1 })).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED });

    // Jitter 0.5 with random() = 0.5 takes a quarter off: 250, 500, 1000 ms become 188, 375, 750.
    await net.step(188 + 375 + 10);
    expect(log.reconnecting.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 188],
      [2, 375],
      [3, 750],
    ]);
    expect(log.reconnecting[0]).toMatchObject({ code: 1006, error: undefined });
    expect(log.reconnecting[2]!.error?.message).toBe('connection refused');

    net.down = false;
    await net.step(750 + 100);
    expect(log.reconnected).toEqual([true]);
    expect(ada.status).toBe('connected');
    expect([ada.clientId, ada.entityId]).toEqual([clientId, entityId]);
    await net.step(200);
    expect(ada.entities.has(entityId)).toBe(true);

    // One seat, one ship: the room did not grow, and the ship moves by the new connection's inputs.
    const room = net.server.rooms.get('r')!;
    expect(room.size).toBe(2);
    expect([...bob.entities.values()].filter((e) => e.typeName === 'ship')).toHaveLength(2);
    const x0 = ada.entity!.typeName === 'ship' ? ada.entity!.state.position.x : 0;
    for (let i = 0; i < 10; i++) {
      expect(ada.sendInput({ dx: 1, dy: 0 })).toBeGreaterThan(0);
      await net.step(50);
    }
    await net.step(200);
    const x1 = ada.entity!.typeName === 'ship' ? ada.entity!.state.position.x : 0;
    expect(x1).toBeGreaterThan(x0 + 50);
    expect(log.closed).toEqual([]);
  });

  it('a command whose result is lost with the link is sent again after the resume, answered, and applied once', async () => {
    const net = network();
    const ada = await net.join('ada', undefined, { silenceTimeoutMs: 2000 });
    await net.step(200);
    const room = net.server.rooms.get('r')!;
    let settled = false;
    const shot = ada.sendCommand('combat', 'fire', { angle: 1 }).finally(() => (settled = true));
    // The server applies it at its next tick; the link dies while the result is on its way.
    while (firedIn(room) === 0) await net.step(5, 5);
    net.blackholed = true;
    await net.step(3000);
    expect(ada.status).toBe('reconnecting');
    expect(settled).toBe(false);
    net.blackholed = false;
    await net.step(6000); // an attempt that left into the blackhole times out first
    expect(ada.status).toBe('connected');
    expect(settled).toBe(true);
    await expect(shot).resolves.toBeUndefined();
    expect(firedIn(room)).toBe(1);
  });

  it('a link that goes silent without a close is noticed, dropped and reconnected', async () => {
    const net = network();
    const ada = await net.join('ada', undefined, { silenceTimeoutMs: 3000, reconnect: { attemptTimeoutMs: 1000 } });
    const log = record(ada);
    await net.step(200);
    net.blackholed = true;
    await net.step(2500);
    expect(ada.status).toBe('connected');
    await net.step(1600);
    expect(ada.status).toBe('reconnecting');
    expect(log.reconnecting[0]).toMatchObject({ attempt: 1, code: 1006 });
    expect(log.reconnecting[0]!.reason).toMatch(/no data from the server/);
    await net.step(1500); // the first attempt times out in the blackhole
    expect(log.reconnecting[1]?.error).toMatchObject({ code: ErrorCode.TIMEOUT });
    net.blackholed = false;
    await net.step(3000);
    expect(log.reconnected).toEqual([true]);
    expect(net.server.rooms.get('r')!.size).toBe(1);
  });

  it('gives up when the window closes, within it, and says so', async () => {
    const net = network();
    const ada = await net.join('ada');
    const log = record(ada);
    net.down = true;
    net.cut(ada);
    const dialsBefore = net.dials;
    await net.step(70_000, 50);
    expect(ada.status).toBe('closed');
    expect(ada.isOpen).toBe(false);
    expect(log.closed).toHaveLength(1);
    expect(log.closed[0]!.reason).toMatch(/could not reconnect after \d+ attempt\(s\): connection refused/);
    const attempts = net.dials - dialsBefore;
    expect(attempts).toBe(log.reconnecting.length);
    expect(attempts).toBeGreaterThanOrEqual(10);
    const scheduledFor = log.reconnecting.reduce((sum, r) => sum + r.delayMs, 0);
    expect(scheduledFor).toBeLessThanOrEqual(60_000);
    await expect(ada.sendCommand('combat', 'fire', { angle: 1 })).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED });
  });

  it('a second connection of the same player replaces the first, which closes and does not come back', async () => {
    const net = network();
    const token = net.server.anonymous!.issue().token;
    const first = await net.join('ada', token);
    const log = record(first);
    await net.step(200);
    const second = await net.join('ada', token);
    await net.step(2000);
    expect(first.status).toBe('closed');
    expect(log.reconnecting).toEqual([]);
    expect(log.closed[0]!.code).toBe(CloseCode.REPLACED);
    expect(log.closed[0]!.error?.code).toBe(ErrorCode.REPLACED);
    expect(second.status).toBe('connected');
    expect(second.entityId).toBe(first.entityId);
  });

  it('disconnect() while reconnecting stops the attempts', async () => {
    const net = network();
    const ada = await net.join('ada');
    const log = record(ada);
    net.down = true;
    net.cut(ada);
    await net.step(300);
    const dials = net.dials;
    ada.disconnect();
    net.down = false;
    await net.step(10_000);
    expect(net.dials).toBe(dials);
    expect(ada.status).toBe('closed');
    expect(log.closed).toEqual([{ code: CloseCode.NORMAL, reason: 'disconnected', error: undefined }]);
  });

  it('with reconnect off, a drop closes the room', async () => {
    const net = network();
    const ada = await net.join('ada', undefined, { reconnect: false });
    const log = record(ada);
    net.cut(ada);
    await net.step(1000);
    expect(ada.status).toBe('closed');
    expect(log.reconnecting).toEqual([]);
    expect(log.closed[0]!.code).toBe(1006);
  });

  it('after a server restart the seat is gone: it joins as a new seat of the same player and the view is rebuilt', async () => {
    const net = network();
    const ada = await net.join('ada');
    const log = record(ada);
    const removed: number[] = [];
    ada.on('remove', (e) => removed.push(e.id));
    await net.step(200);
    const oldEntity = ada.entityId;
    const stopping = net.restart();
    await net.step(50);
    await stopping;
    expect(ada.status).toBe('reconnecting'); // SHUTTING_DOWN is a drop
    await net.step(3000);
    expect(log.reconnected).toEqual([false]);
    expect(ada.status).toBe('connected');
    expect(removed).toContain(oldEntity);
    await net.step(200);
    // The new process counts ticks from its own start: the view follows it.
    const room = net.server.rooms.get('r')!;
    expect(Math.abs(ada.tick - room.tick)).toBeLessThan(5);
    expect(ada.entity?.typeName).toBe('ship');
    expect(net.server.rooms.get('r')!.size).toBe(1);
    await net.server.close();
  });
});
