/**
 * One room, one owner: runtimes that share a registry never run the same room at once, a room
 * is released when disposed, and a process that stalled past its lease while another took the
 * room closes its copy instead of running on.
 */
import { CloseCode, ErrorCode, ManualClock } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { flush, gameRoom, harness } from './harness.test-support.js';
import { MemoryRegistry } from './registry.js';

describe('room ownership', () => {
  it('opens a room in one process only; the other is told where it is not, until it is released', async () => {
    const registryClock = new ManualClock(0);
    const registry = new MemoryRegistry(registryClock);
    const a = harness(gameRoom({ createOnJoin: true, emptyGraceMs: 1000 }), { registry, processId: 'a' });
    const b = harness(gameRoom({ createOnJoin: true, emptyGraceMs: 1000 }), { registry, processId: 'b' });
    const player = await a.join('x');
    expect((await registry.lookup('x'))?.owner).toBe('a');
    const other = b.connect();
    other.hello('x');
    await flush();
    expect(other.errors[0]).toMatchObject({ code: ErrorCode.ROOM_ELSEWHERE, fatal: true });
    expect(b.server.rooms.size).toBe(0);
    player.send(player.frames.leave());
    await flush();
    await a.step(1500, 250); // empty for its grace period: disposed, claim released
    expect(a.server.rooms.size).toBe(0);
    expect(await registry.lookup('x')).toBeUndefined();
    await b.join('x');
    expect((await registry.lookup('x'))?.owner).toBe('b');
  });

  it('closes its copy of a room that another process took while it was stalled past its lease', async () => {
    const registryClock = new ManualClock(0);
    const registry = new MemoryRegistry(registryClock);
    const a = harness(gameRoom({ createOnJoin: true }), { registry, processId: 'a', leaseMs: 3000 });
    const b = harness(gameRoom({ createOnJoin: true }), { registry, processId: 'b', leaseMs: 3000 });
    const player = await a.join('x');
    const first = (await registry.lookup('x'))!;
    // a stalls: its clock stands still while the registry's runs past the lease; b takes over.
    registryClock.advance(3500);
    await b.join('x');
    const second = (await registry.lookup('x'))!;
    expect(second.owner).toBe('b');
    expect(second.epoch).toBeGreaterThan(first.epoch);
    // a wakes: its renewal fails, and it closes the room rather than run a second copy.
    await a.step(1100, 100);
    await flush();
    // Told as a server going away: the SDK reconnects, and finds the room at its new owner.
    expect(player.errors.at(-1)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, message: expect.stringContaining('moved') });
    expect(player.closed?.code).toBe(CloseCode.GOING_AWAY);
    expect(a.server.rooms.get('x')).toBeUndefined();
    expect((await registry.lookup('x'))?.owner).toBe('b');
  });

  it('keeps renewing the rooms it runs', async () => {
    const h = harness(gameRoom({ createOnJoin: true }), { leaseMs: 1000 });
    const c = await h.join('x');
    const epoch = (await h.server.registry.lookup('x'))!.epoch;
    await h.step(5000, 100);
    expect(await h.server.registry.lookup('x')).toMatchObject({ owner: h.server.processId, epoch });
    expect(c.closed).toBeNull();
  });
});
