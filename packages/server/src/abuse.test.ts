/**
 * Abuse limits, each refusal with a stable code: rooms per process and per address, connections
 * per address, flood penalties that survive reconnects, chat rate, length and text, seats of
 * join-and-drop connections, one seat per user, and clients that stop reading.
 */
import { CloseCode, createMemoryPipe, ErrorCode } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { addressKey } from './address-book.js';
import { flush, gameRoom, harness, RawClient } from './harness.test-support.js';

describe('rooms an attacker cannot exhaust', () => {
  it('refuses room creations past the per-address allowance, and a refused HELLO creates nothing', async () => {
    const h = harness(gameRoom(), { limits: { roomCreationsPerMinutePerAddress: 3 } });
    for (const code of ['a', 'b', 'c']) await h.join(code);
    const fourth = h.connect();
    fourth.hello('d');
    await flush();
    expect(fourth.errors[0]).toMatchObject({ code: ErrorCode.TOO_MANY_ROOMS, fatal: true });
    expect(h.server.rooms.get('d')).toBeUndefined();
    // Another address has its own allowance; joining an existing room needs none.
    await h.join('a');
    const other = h.connect('10.0.0.9');
    other.hello('d');
    await flush();
    expect(other.welcome).toBeDefined();
    // The allowance refills: 3 a minute.
    h.clock.advance(20_000);
    await h.join('e');
  });

  it('creates no room for a client that speaks another protocol', async () => {
    const h = harness();
    const c = h.connect();
    c.hello('x', { protocolHash: 12345 });
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.SCHEMA_MISMATCH });
    expect(c.closed?.code).toBe(CloseCode.SCHEMA_MISMATCH);
    expect(h.server.rooms.size).toBe(0);
  });

  it('caps the rooms of a process', async () => {
    const h = harness(gameRoom(), { limits: { maxRooms: 2 } });
    await h.join('a');
    await h.join('b');
    const c = h.connect('10.0.0.2');
    c.hello('c');
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.TOO_MANY_ROOMS });
    expect(h.server.rooms.size).toBe(2);
  });
});

describe('connections per address', () => {
  it('refuses connections past the limit with TOO_MANY_CONNECTIONS, counting IPv6 per /64', async () => {
    const h = harness(gameRoom(), { limits: { maxConnectionsPerAddress: 2 } });
    const a = h.connect('2001:db8:1:2::1');
    const b = h.connect('2001:db8:1:2:ffff::9');
    const c = h.connect('2001:db8:1:2::7');
    await flush();
    expect(a.closed).toBeNull();
    expect(b.closed).toBeNull();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    expect(c.closed?.code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
    a.transport.close(1000, 'bye');
    await flush();
    const d = h.connect('2001:db8:1:2::7');
    await flush();
    expect(d.closed).toBeNull();
  });

  it('keys addresses: IPv4 as is, mapped IPv4 as IPv4, IPv6 by /64', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:0db8:0000:0000:1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('a flooder cut off is refused for the penalty time: reconnecting buys no fresh burst', async () => {
    const h = harness(gameRoom(), { limits: { messagesPerSecond: 10, messageBurst: 10, floodTolerance: 5, floodPenaltyMs: 10_000 } });
    const flooder = await h.join('r');
    for (let i = 0; i < 40; i++) flooder.send(flooder.frames.ping(i + 1, 0));
    await flush();
    expect(flooder.closed?.code).toBe(CloseCode.FLOOD);
    const back = h.connect();
    await flush();
    expect(back.errors[0]).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS, message: expect.stringContaining('flooded') });
    // Others are not affected, and the address is welcome again after the penalty.
    const honest = h.connect('10.1.1.1');
    honest.hello('r');
    await flush();
    expect(honest.welcome).toBeDefined();
    h.clock.advance(10_001);
    const later = h.connect();
    later.hello('r');
    await flush();
    expect(later.welcome).toBeDefined();
  });
});

describe('chat', () => {
  it('limits lines per second and their length, and refuses invisible or control characters', async () => {
    const h = harness(gameRoom(), { limits: { chatPerSecond: 1, chatBurst: 2, maxChatChars: 10 } });
    const a = await h.join();
    const b = await h.join();
    for (const text of ['one', 'two', 'three']) a.send(a.frames.chat(text));
    await flush();
    const heard = () => b.received.filter((m) => m.kind === 'chatMessage').map((m) => (m.kind === 'chatMessage' ? m.text : ''));
    expect(heard()).toEqual(['one', 'two']);
    expect(a.errors.at(-1)).toMatchObject({ code: ErrorCode.RATE_LIMITED, fatal: false });
    h.clock.advance(5000);
    a.send(a.frames.chat('far too long a line'));
    await flush();
    expect(a.errors.at(-1)).toMatchObject({ code: ErrorCode.STRING_TOO_LONG });
    h.clock.advance(1000);
    a.send(a.frames.chat('hi\u202Eevil'));
    await flush();
    h.clock.advance(1000);
    a.send(a.frames.chat('ok now'));
    await flush();
    expect(heard()).toEqual(['one', 'two', 'ok now']);
    expect(a.errors.some((e) => e.code === ErrorCode.INVALID_TEXT)).toBe(true);
    expect(a.closed).toBeNull();
  });

  it('caps the chat of all the connections of one address together, across reconnects', async () => {
    const h = harness(gameRoom(), { limits: { chatPerSecondPerAddress: 3 } });
    const listener = await h.join('r');
    const spam: RawClient[] = [];
    for (let i = 0; i < 10; i++) {
      const c = h.connect('10.6.6.6');
      c.hello('r');
      spam.push(c);
    }
    await flush();
    const lines = () => listener.received.filter((m) => m.kind === 'chatMessage').length;
    for (const c of spam) c.send(c.frames.chat('buy gold'));
    await flush();
    expect(lines()).toBe(6); // a burst of twice the rate, whatever the number of connections
    for (const c of spam) c.transport.close(1000, 'bye');
    await flush();
    const again = h.connect('10.6.6.6');
    again.hello('r');
    await flush();
    again.send(again.frames.chat('buy gold'));
    await flush();
    expect(lines()).toBe(6); // reconnecting bought nothing
    h.clock.advance(1000);
    again.send(again.frames.chat('buy gold'));
    await flush();
    expect(lines()).toBe(7);
  });

  it('refuses a name with control, bidi or zero-width characters at the door', async () => {
    const h = harness();
    for (const name of ['a\u0000b', 'rlo\u202Eeman', 'zw\u200Bj', 'esc\u001b[31m']) {
      const c = h.connect();
      c.hello('r', { name });
      await flush();
      expect(c.errors[0], JSON.stringify(name)).toMatchObject({ code: ErrorCode.INVALID_TEXT });
      expect(c.closed?.code).toBe(CloseCode.JOIN_REFUSED);
    }
    expect(h.server.rooms.size).toBe(0);
  });
});

describe('seats', () => {
  it('releases at once the seat of a client that joined and dropped without playing', async () => {
    const left: string[] = [];
    const h = harness(gameRoom({ reconnectWindowMs: 60_000, maxClients: 4, onLeave: (_r, _c, why) => void left.push(why) }));
    for (let i = 0; i < 20; i++) {
      const c = h.connect(`10.0.${i}.1`);
      c.hello('r');
      await flush();
      c.transport.close(1006, 'drop');
      await flush();
    }
    expect(left).toHaveLength(20);
    expect(h.server.rooms.get('r')!.size).toBe(0);
    await h.join('r'); // an honest player still finds a seat
  });

  it('keeps a bounded number of waiting seats per address', async () => {
    const h = harness(gameRoom({ reconnectWindowMs: 60_000 }), { limits: { maxDetachedSeatsPerAddress: 2 } });
    const clients: RawClient[] = [];
    for (let i = 0; i < 4; i++) clients.push(await h.join('r'));
    await h.step(100); // every one of them plays
    for (const c of clients) c.transport.close(1006, 'drop');
    await flush();
    const room = h.server.rooms.get('r')!;
    expect(room.size).toBe(2); // two kept for a reconnect, two released
    await h.step(61_000, 1000);
    expect(room.size).toBe(0);
    expect(h.server.addresses.size).toBeGreaterThan(0);
  });

  it('gives one seat per user: a second connection takes it over and the first is told REPLACED', async () => {
    const entered: number[] = [];
    const h = harness(gameRoom({ reconnectWindowMs: 60_000, onJoin: (room, client) => {
      entered.push(client.id);
      return room.entities.create('ship', { pos: { x: 1, y: 1 }, hp: { hp: 1 } });
    } }));
    const me = h.server.anonymous!.issue();
    const first = await h.join('r', me.token);
    const second = await h.join('r', me.token);
    await flush();
    expect(first.errors.at(-1)).toMatchObject({ code: ErrorCode.REPLACED, fatal: true });
    expect(first.closed?.code).toBe(CloseCode.REPLACED);
    expect(second.welcome).toMatchObject({ clientId: first.welcome!.clientId, entity: first.welcome!.entity });
    const room = h.server.rooms.get('r')!;
    expect(room.size).toBe(1);
    expect(room.connectedCount).toBe(1);
    expect(entered).toHaveLength(1);
    await h.step(100);
    expect(second.snapshots[0]!.full).toBe(true);
  });

  it('brings a guest (no token) back with its resume token alone, and only as that guest', async () => {
    const h = harness(gameRoom({ reconnectWindowMs: 60_000 }));
    const guest = await h.join('r');
    await h.step(100);
    guest.transport.close(1006, 'drop');
    await flush();
    const named = h.connect();
    named.hello('r', { resumeToken: guest.welcome!.resumeToken, token: h.server.anonymous!.issue().token });
    await flush();
    expect(named.errors[0]).toMatchObject({ code: ErrorCode.RESUME_FAILED });
    const back = h.connect();
    back.hello('r', { resumeToken: guest.welcome!.resumeToken });
    await flush();
    expect(back.welcome).toMatchObject({ clientId: guest.welcome!.clientId });
  });

  it('refuses forged or unsigned anonymous ids', async () => {
    const h = harness();
    const me = h.server.anonymous!.issue();
    for (const token of ['anon:' + me.userId, me.token.slice(0, -2) + 'AA', 'anon.' + '0'.repeat(32) + '.' + 'A'.repeat(22)]) {
      const c = h.connect();
      c.hello('r', { token });
      await flush();
      expect(c.errors[0], token).toMatchObject({ code: ErrorCode.AUTH_FAILED });
      expect(c.closed?.code).toBe(CloseCode.AUTH_FAILED);
    }
  });
});

describe('clients that stop reading', () => {
  it('are dropped once what waits for them passes maxBufferedBytes, whatever it is (chat here)', async () => {
    const h = harness(gameRoom(), { limits: { maxBufferedBytes: 4096, chatPerSecond: 1000, chatBurst: 1000 } });
    const talker = await h.join();
    // A client whose frames are never delivered: its server-side queue only grows.
    let reading = true;
    const held: (() => void)[] = [];
    const [mine, theirs] = createMemoryPipe((fn) => (reading ? queueMicrotask(fn) : held.push(fn)));
    h.server.accept(theirs, '10.9.9.9');
    const sleeper = new RawClient(mine);
    sleeper.hello('r');
    await flush();
    expect(sleeper.welcome).toBeDefined();
    reading = false;
    const room = h.server.rooms.get('r')!;
    expect(room.connectedCount).toBe(2);
    // In batches, so the talker (which reads) never has more than a few lines waiting.
    for (let i = 0; i < 100; i++) {
      talker.send(talker.frames.chat(`line ${i} ${'x'.repeat(100)}`));
      if (i % 10 === 9) await flush();
    }
    await flush();
    expect(room.connectedCount).toBe(1);
    expect(talker.closed).toBeNull();
    expect(held.length).toBeGreaterThan(0);
    expect(await h.server.metrics.text()).toMatch(/tickwire_errors_total\{code="TOO_SLOW"\} 1/);
  });
});
