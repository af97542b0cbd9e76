import { ErrorCode } from '@tickwire/protocol';
import { reject } from './room-definition.js';
import { describe, expect, it } from 'vitest';
import type { Entity } from './entity-store.js';
import { flush, game, gameRoom, harness, type Game } from './harness.test-support.js';

describe('room loop', () => {
  it.each([20, 30, 60])('runs %i ticks per simulated second', async (rate) => {
    const h = harness(gameRoom({ tickRate: rate, snapshotRate: rate }));
    await h.join();
    const room = h.server.rooms.get('r')!;
    const start = room.tick;
    await h.step(1000, 1000 / rate);
    expect(room.tick - start).toBeGreaterThanOrEqual(rate - 1);
    expect(room.tick - start).toBeLessThanOrEqual(rate + 1);
    expect(room.droppedTicks).toBe(0);
  });

  it('bounds catch-up: a room that falls behind runs at most maxCatchUpTicks and drops the rest', async () => {
    let steps = 0;
    const h = harness(gameRoom({ maxCatchUpTicks: 4, systems: [() => void steps++] }));
    await h.join();
    const room = h.server.rooms.get('r')!;
    const tick0 = room.tick;
    steps = 0;
    // One timer callback sees a whole second pass at once (a stalled event loop).
    h.clock.stall(1000);
    room.update();
    expect(steps).toBe(4);
    expect(room.droppedTicks).toBe(16);
    // The tick counter still stands for time: 20 ticks passed.
    expect(room.tick - tick0).toBe(20);
    expect(h.server.metrics.totals.ticksDropped).toBe(16);
  });

  it('sends one snapshot for the steps it runs to catch up, that of the last one due', async () => {
    const h = harness(gameRoom({ tickRate: 20, snapshotRate: 10 }));
    const c = await h.join();
    await h.step(200);
    const room = h.server.rooms.get('r')!;
    const before = c.snapshots.length;
    const sent = h.server.metrics.totals.snapshots;
    const tick0 = room.tick;
    // A callback 200 ms late: four ticks due, two of them with a snapshot (tickRate / snapshotRate = 2).
    h.clock.stall(200);
    room.update();
    await flush();
    expect(room.tick - tick0).toBe(4);
    expect(h.server.metrics.totals.snapshots - sent).toBe(1);
    expect(c.snapshots.length - before).toBe(1);
    const last = [tick0 + 1, tick0 + 2, tick0 + 3, tick0 + 4].filter((t) => t % 2 === 0).at(-1);
    expect(c.snapshots.at(-1)!.tick).toBe(last);
    // Back on time, every due snapshot goes out again.
    const resumed = c.snapshots.length;
    await h.step(1000);
    expect(c.snapshots.length - resumed).toBe(10);
  });

  it('sends snapshots at the snapshot rate, not the tick rate', async () => {
    const h = harness(gameRoom({ tickRate: 20, snapshotRate: 10 }));
    const c = await h.join();
    const before = c.snapshots.length;
    await h.step(1000);
    expect(c.snapshots.length - before).toBe(10);
    for (let i = 1; i < c.snapshots.length; i++) expect(c.snapshots[i]!.tick - c.snapshots[i - 1]!.tick).toBe(2);
  });

  it('applies inputs at the next tick and reports the last applied input seq in snapshots', async () => {
    const h = harness();
    const c = await h.join();
    await h.step(100);
    const seq1 = c.input(1);
    const seq2 = c.input(1);
    await flush();
    const room = h.server.rooms.get('r')!;
    const ship = room.clients.values().next().value!.entity as Entity<Game, 'ship'>;
    expect(ship.pos.x).toBe(100);
    await h.step(50);
    expect(ship.pos.x).toBe(120);
    expect(c.snapshots.at(-1)!.ackInput).toBe(seq2);
    expect(seq2).toBe(seq1 + 1);
  });

  it('applies inputs across clients in (client time, client id, seq) order', async () => {
    const order: string[] = [];
    const h = harness(gameRoom({ onInput: (_room, client, input, meta) => void order.push(`${client.id}:${input.dx}:${meta.seq}`) }));
    const a = await h.join();
    const b = await h.join();
    const now = Math.floor(h.clock.now());
    // b's input was made earlier than a's, so it goes first despite arriving later.
    a.input(1, now - 10);
    b.input(-1, now - 30);
    a.input(0, now - 5);
    await flush();
    await h.step(50);
    expect(order).toEqual(['2:-1:1', '1:1:1', '1:0:2']);
  });

  it('limits inputs applied per tick; the rest wait for later ticks', async () => {
    let applied = 0;
    const h = harness(gameRoom({ onInput: () => void applied++ }), { limits: { maxInputsPerTick: 2 } });
    const c = await h.join();
    for (let i = 0; i < 5; i++) c.input(1, Math.floor(h.clock.now()));
    await flush();
    await h.step(50);
    expect(applied).toBe(2);
    await h.step(100);
    expect(applied).toBe(5);
  });

  it('drops redundant copies of inputs already queued', async () => {
    const seen: number[] = [];
    const h = harness(gameRoom({ onInput: (_r, _c, _i, meta) => void seen.push(meta.seq) }));
    const c = await h.join();
    const codec = c.codec;
    const e = (seq: number) => ({ seq, time: 0, input: { dx: 1 } });
    c.send(codec.input(0, [e(1)]));
    c.send(codec.input(0, [e(1), e(2)]));
    c.send(codec.input(0, [e(1), e(2), e(3)]));
    await flush();
    await h.step(50);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('creates a room on first join and disposes it after the empty grace period', async () => {
    let disposed = 0;
    const h = harness(gameRoom({ emptyGraceMs: 5000, onDispose: () => void disposed++ }));
    const c = await h.join('lobby-1');
    expect(h.server.rooms.get('lobby-1')).toBeDefined();
    c.send(c.frames.leave());
    await flush();
    await h.step(4000, 1000);
    expect(h.server.rooms.get('lobby-1')).toBeDefined();
    await h.step(1500, 500);
    expect(h.server.rooms.get('lobby-1')).toBeUndefined();
    expect(disposed).toBe(1);
  });

  it('maps one code to one room and keeps rooms apart', async () => {
    const h = harness();
    const a = await h.join('one');
    const b = await h.join('one');
    const c = await h.join('two');
    await h.step(100);
    expect(h.server.rooms.size).toBe(2);
    expect(a.snapshots.at(-1)!.records.length + (a.snapshots.at(-2)?.records.length ?? 0)).toBeGreaterThan(0);
    expect(c.types.size).toBe(1);
    expect(b.types.size).toBe(2);
  });

  it('refuses a join when the room is full', async () => {
    const h = harness(gameRoom({ maxClients: 1 }));
    await h.join();
    const c = h.connect();
    c.hello('r');
    await flush();
    expect(c.errors[0]?.code).toBe(ErrorCode.ROOM_FULL);
    expect(c.closed?.code).toBe(4003);
  });

  it('refuses a client built against another protocol', async () => {
    const h = harness();
    const c = h.connect();
    c.hello('r', { protocolHash: game.hash ^ 1 });
    await flush();
    expect(c.errors[0]?.code).toBe(ErrorCode.SCHEMA_MISMATCH);
    expect(c.errors[0]?.message).toMatch(/rebuild the client/);
    expect(c.closed?.code).toBe(4006);
  });

  it('answers commands with results, checks entity control, and keeps going when a handler throws', async () => {
    const h = harness(
      gameRoom({
        commands: {
          combat: {
            fire(room, client, payload) {
              if (payload.power > 200) throw new Error('game bug');
              room.emit('boom', { at: client.entity!.id });
            },
          },
        },
      }),
    );
    const a = await h.join();
    const b = await h.join();
    const aShip = a.welcome!.entity;
    a.send(a.codec.command(1, 'combat', 'fire', aShip, 0, { power: 5 }));
    b.send(b.codec.command(1, 'combat', 'fire', aShip, 0, { power: 5 }));
    a.send(a.codec.command(2, 'combat', 'fire', 0, 0, { power: 250 }));
    await flush();
    await h.step(50);
    expect(a.last('commandResult')).toMatchObject({ seq: 2, ok: false, code: ErrorCode.COMMAND_FAILED });
    expect(a.received.find((m) => m.kind === 'commandResult' && m.seq === 1)).toMatchObject({ ok: true });
    expect(b.last('commandResult')).toMatchObject({ seq: 1, ok: false, code: ErrorCode.NOT_YOUR_ENTITY });
    // The event rides in the next snapshot, to everyone.
    expect(b.snapshots.flatMap((s) => s.events)).toEqual([{ name: 'boom', payload: { at: aShip } }]);
    await h.step(200);
    expect(h.server.rooms.get('r')!.tick).toBeGreaterThan(4);
  });

  it('resolves async command handlers only when their promise settles', async () => {
    let release!: () => void;
    const h = harness(gameRoom({ commands: { combat: { fire: () => new Promise<void>((r) => (release = r)) } } }));
    const a = await h.join();
    a.send(a.codec.command(1, 'combat', 'fire', 0, 0, { power: 1 }));
    await flush();
    await h.step(100);
    expect(a.last('commandResult')).toBeUndefined();
    expect(h.server.rooms.get('r')!.tick).toBeGreaterThan(1);
    release();
    await flush();
    expect(a.last('commandResult')).toMatchObject({ seq: 1, ok: true });
  });

  it('answers pings with the server clock', async () => {
    const h = harness();
    const a = await h.join();
    a.send(a.frames.ping(9, 123.5));
    await flush();
    expect(a.last('pong')).toMatchObject({ seq: 9, clientTime: 123.5, serverTime: h.clock.now() });
  });

  it('broadcasts chat to everyone in the room', async () => {
    const h = harness();
    const a = await h.join();
    const b = await h.join();
    a.send(a.frames.chat('  hello there '));
    await flush();
    expect(b.last('chatMessage')).toMatchObject({ from: a.welcome!.clientId, name: 'raw', text: 'hello there' });
  });

  it('refuses fractional rates with a clear error', () => {
    expect(() => harness(gameRoom({ tickRate: 30.5 }))).toThrow(/whole number/);
  });

  it('passes a join refusal code from onJoin to the client', async () => {
    const h = harness(gameRoom({ onJoin: () => reject('match already started', ErrorCode.AUTH_FAILED) }));
    const c = h.connect();
    c.hello();
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.AUTH_FAILED, message: 'match already started', fatal: true });
    const h2 = harness(gameRoom({ onJoin: () => reject('no seats for spectators') }));
    const d = h2.connect();
    d.hello();
    await flush();
    expect(d.errors[0]?.code).toBe(ErrorCode.JOIN_REFUSED);
  });

  it('tells a client when the game refuses its input, and carries on', async () => {
    const h = harness(gameRoom({ onInput: () => reject('you are stunned') }));
    const c = await h.join();
    c.input(1);
    c.input(1);
    await flush();
    await h.step(100);
    expect(c.errors.map((e) => [e.code, e.message])).toEqual([[ErrorCode.INVALID_INPUT, 'you are stunned']]);
    expect(c.closed).toBeNull();
  });

  it('does not queue events for a seat waiting to reconnect', async () => {
    const h = harness(gameRoom({ reconnectWindowMs: 10_000 }));
    const a = await h.join();
    const b = await h.join();
    await h.step(50); // both acknowledge a snapshot, so b's seat is kept when it drops
    a.snapshots.length = 0;
    b.transport.close(1006, 'gone');
    await flush();
    const room = h.server.rooms.get('r')!;
    room.emit('boom', { at: 1 });
    const seats = [...room.clients.values()];
    expect(seats.map((s) => s.pendingEvents.length)).toEqual([1, 0]);
    await h.step(50);
    expect(a.snapshots.at(-1)!.events).toEqual([{ name: 'boom', payload: { at: 1 } }]);
  });

  it('closes a room on request: clients told, seats released, room disposed', async () => {
    const left: string[] = [];
    const h = harness(gameRoom({ onLeave: (_r, _c, reason) => void left.push(reason) }));
    const a = await h.join('match-1');
    h.server.rooms.get('match-1')!.close('match over');
    await flush();
    expect(a.errors.at(-1)).toMatchObject({ code: ErrorCode.ROOM_CLOSED, fatal: true, message: 'match over' });
    expect(a.closed?.code).toBe(4010);
    expect(left).toEqual(['closed']);
    expect(h.server.rooms.get('match-1')).toBeUndefined();
  });
});
