import { CloseCode, ErrorCode, Kind, PROTOCOL_VERSION } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { transition } from './connection-state.js';
import { flush, gameRoom, harness } from './harness.test-support.js';
import { TokenBucket } from './limits.js';

describe('connection limits and hostile input', () => {
  it('refuses another protocol version with a clear error and a close', async () => {
    const h = harness();
    const c = h.connect();
    c.send(new Uint8Array([PROTOCOL_VERSION + 1, Kind.HELLO, 0, 1, 2, 3]));
    await flush();
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION, fatal: true });
    expect(c.errors[0]!.message).toMatch(new RegExp(`version ${PROTOCOL_VERSION + 1} is not supported`));
    expect(c.closed?.code).toBe(CloseCode.UNSUPPORTED_VERSION);
  });

  it('refuses a version-1 client, telling it to upgrade', async () => {
    const h = harness();
    const c = h.connect();
    // A v1 HELLO (room 'abc', name 'ada'), as a client built before protocol 2 sends it.
    c.send(Uint8Array.of(0x01, 0x01, 0x00, 0x24, 0x4c, 0x6c, 0x8c, 0x84, 0x91, 0x85, 0x85, 0x67, 0x45, 0x23, 0x01));
    await flush();
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION, fatal: true });
    expect(c.errors[0]!.message).toMatch(/protocol version 1 is not supported: this side speaks tickwire protocol 2; upgrade/);
    expect(c.closed?.code).toBe(CloseCode.UNSUPPORTED_VERSION);
    expect(h.server.rooms.size).toBe(0);
  });

  it('answers anything but HELLO before joining with NOT_JOINED', async () => {
    const h = harness();
    const c = h.connect();
    c.send(c.frames.chat('hi'));
    await flush();
    expect(c.errors[0]?.code).toBe(ErrorCode.NOT_JOINED);
    expect(c.closed).toBeNull();
  });

  it('answers a second HELLO with ALREADY_JOINED', async () => {
    const h = harness();
    const c = await h.join();
    c.hello();
    await flush();
    expect(c.errors.at(-1)?.code).toBe(ErrorCode.ALREADY_JOINED);
  });

  it('closes a connection that never says HELLO', async () => {
    const h = harness(undefined, { limits: { joinTimeoutMs: 2000 } });
    const c = h.connect();
    await h.step(2100, 100);
    expect(c.errors[0]?.code).toBe(ErrorCode.JOIN_TIMEOUT);
    expect(c.closed?.code).toBe(CloseCode.JOIN_TIMEOUT);
  });

  it('answers each malformed frame with a coded error, then closes after too many', async () => {
    const h = harness(undefined, { limits: { maxProtocolErrors: 3 } });
    const c = await h.join();
    const garbage = [new Uint8Array([PROTOCOL_VERSION]), new Uint8Array([PROTOCOL_VERSION, 0x7e, 0]), new Uint8Array([PROTOCOL_VERSION, Kind.CHAT, 0, 0xff, 0xff, 0xff, 0xff])];
    for (const g of garbage) c.send(g);
    await flush();
    expect(c.errors.map((e) => e.code)).toEqual([ErrorCode.TRUNCATED, ErrorCode.UNKNOWN_KIND, expect.any(Number)]);
    expect(c.closed).toBeNull();
    c.send(new Uint8Array([PROTOCOL_VERSION, 0x7f, 0]));
    await flush();
    expect(c.errors.at(-1)?.code).toBe(ErrorCode.TOO_MANY_ERRORS);
    expect(c.closed?.code).toBe(CloseCode.PROTOCOL_ERROR);
  });

  it('refuses oversized frames', async () => {
    const h = harness(undefined, { limits: { maxFrameBytes: 64 } });
    const c = await h.join();
    c.send(c.frames.chat('x'.repeat(100)));
    await flush();
    expect(c.errors.at(-1)?.code).toBe(ErrorCode.FRAME_TOO_LARGE);
  });

  it('answers a malformed command with a rejected result so the sender can settle it', async () => {
    const h = harness();
    const c = await h.join();
    const frame = c.codec.command(5, 'combat', 'fire', 0, 0, { power: 1 });
    c.send(frame.subarray(0, frame.length - 2));
    await flush();
    expect(c.last('commandResult')).toMatchObject({ seq: 5, ok: false, code: ErrorCode.TRUNCATED });
  });

  it('rate limits a burst, then closes a sustained flood while other clients keep their snapshots', async () => {
    const h = harness(undefined, { limits: { messagesPerSecond: 20, messageBurst: 20, floodTolerance: 30 } });
    const honest = await h.join();
    const flooder = await h.join();
    const before = honest.snapshots.length;
    for (let i = 0; i < 30; i++) flooder.send(flooder.frames.ping(i, 0));
    await flush();
    expect(flooder.errors.some((e) => e.code === ErrorCode.RATE_LIMITED)).toBe(true);
    expect(flooder.closed).toBeNull();
    for (let i = 0; i < 100; i++) flooder.send(flooder.frames.ping(i, 0));
    await flush();
    expect(flooder.errors.at(-1)?.code).toBe(ErrorCode.FLOOD);
    expect(flooder.closed?.code).toBe(CloseCode.FLOOD);
    await h.step(500);
    expect(honest.snapshots.length - before).toBe(10);
    expect(honest.closed).toBeNull();
  });

  it('drops inputs beyond the buffer with TOO_MANY_INPUTS', async () => {
    const h = harness(undefined, { limits: { maxBufferedInputs: 4 } });
    const c = await h.join();
    for (let i = 0; i < 8; i++) c.input(1);
    await flush();
    expect(c.errors.at(-1)?.code).toBe(ErrorCode.TOO_MANY_INPUTS);
    expect(h.server.rooms.get('r')!.clients.values().next().value!.inputs.length).toBe(4);
  });

  it('refuses commands beyond the pending limit', async () => {
    const h = harness(undefined, { limits: { maxPendingCommands: 2 } });
    const c = await h.join();
    for (let i = 1; i <= 3; i++) c.send(c.codec.command(i, 'combat', 'fire', 0, 0, { power: 1 }));
    await flush();
    expect(c.last('commandResult')).toMatchObject({ seq: 3, ok: false, code: ErrorCode.RATE_LIMITED });
  });

  it('refuses invalid room codes', async () => {
    const h = harness();
    const c = h.connect();
    c.hello('bad code!');
    await flush();
    expect(c.errors[0]?.code).toBe(ErrorCode.INVALID_ROOM_CODE);
    expect(c.closed).not.toBeNull();
  });

  it('gives a dropped client its seat back with its resume token, within the window only', async () => {
    let left = 0;
    const h = harness(gameRoom({ reconnectWindowMs: 5000, onLeave: () => void left++ }));
    const me = h.server.anonymous!.issue();
    const a = await h.join('r', me.token);
    const token = a.welcome!.resumeToken;
    await h.step(100); // it plays: a snapshot acknowledged (seats that never did are not kept)
    a.transport.close(1006, 'network');
    await flush();
    await h.step(2000, 500);
    expect(left).toBe(0);
    const thief = h.connect();
    thief.hello('r', { resumeToken: token, token: h.server.anonymous!.issue().token }); // someone else's token
    await flush();
    expect(thief.errors[0]).toMatchObject({ code: ErrorCode.RESUME_FAILED, message: expect.stringContaining('another player') });
    const again = h.connect();
    again.hello('r', { resumeToken: token, token: me.token });
    await flush();
    expect(again.welcome).toMatchObject({ clientId: a.welcome!.clientId, entity: a.welcome!.entity });
    await h.step(100);
    expect(again.snapshots[0]!.full).toBe(true);
    again.transport.close(1006, 'network');
    await flush();
    await h.step(6000, 1000);
    expect(left).toBe(1);
    // After the window the membership is gone; the token still proves this user was a member
    // (as it would to another process after a failover), so it joins again as a new member.
    const late = h.connect();
    late.hello('r', { resumeToken: token, token: me.token });
    await flush();
    expect(late.errors).toEqual([]);
    expect(late.welcome!.clientId).not.toBe(a.welcome!.clientId);
    // Anyone else with the token, a forged token, or a guest: refused.
    const stranger = h.connect();
    stranger.hello('r', { resumeToken: token, token: h.server.anonymous!.issue().token });
    const forged = h.connect();
    forged.hello('r', { resumeToken: new Uint8Array(16).fill(7), token: me.token });
    const guest = h.connect();
    guest.hello('r', { resumeToken: token });
    await flush();
    for (const c of [stranger, forged, guest]) expect(c.errors[0]?.code).toBe(ErrorCode.RESUME_FAILED);
  });

  it('runs a command that was still queued when the connection dropped, when it is sent again after a resume', async () => {
    let fired = 0;
    const h = harness(gameRoom({ reconnectWindowMs: 5000, commands: { combat: { fire: () => void fired++ } } }));
    const me = h.server.anonymous!.issue();
    const a = await h.join('r', me.token);
    await h.step(100);
    const command = a.codec.command(7, 'combat', 'fire', 0, 0, { power: 1 });
    a.send(command);
    await flush();
    a.transport.close(1006, 'network'); // before the tick that would have run it
    await flush();
    const again = h.connect();
    again.hello('r', { resumeToken: a.welcome!.resumeToken, token: me.token });
    await flush();
    again.send(command);
    await h.step(100);
    expect(fired).toBe(1);
    expect(again.last('commandResult')).toMatchObject({ seq: 7, ok: true });
  });

  it('runs the lifecycle as a transition table', () => {
    expect(transition('handshake', 'hello')).toBe('authenticating');
    expect(transition('authenticating', 'admitted')).toBe('joined');
    expect(transition('joined', 'hello')).toBeUndefined();
    expect(transition('joined', 'close')).toBe('closed');
    expect(transition('closed', 'hello')).toBeUndefined();
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    const b = new TokenBucket(10, 5, 0);
    expect([1, 2, 3, 4, 5, 6].map(() => b.take(0))).toEqual([true, true, true, true, true, false]);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
    expect(b.take(10_000)).toBe(true);
  });
});
