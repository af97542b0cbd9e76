/**
 * The SDK and the server in one process on one manual clock, over in-memory pipes with a
 * fixed latency: interpolation, starvation, clock sync, acks, all without sleeping.
 */
import { connect } from '@tickwire/client';
import { ErrorCode, PROTOCOL_VERSION, createMemoryPipe } from '@tickwire/protocol';
import type { Entity } from '@tickwire/server';
import { world } from './world.js';
import { describe, expect, it } from 'vitest';
import { SPEED, testGame, type TestGame } from './game.js';

describe('SDK on a stepped clock', () => {
  it('syncs the server clock from pings to within a millisecond on a symmetric link', async () => {
    const w = await world(40);
    const a = await w.join('a');
    await w.step(1500);
    expect(a.rtt).toBeGreaterThanOrEqual(40);
    expect(a.rtt).toBeLessThan(50);
    expect(Math.abs(a.serverNow() - w.clock.now())).toBeLessThan(1);
  });

  it('interpolates a remote entity about 100 ms behind, smoothly, and holds it when snapshots stop', async () => {
    const w = await world(40);
    const mover = await w.join('mover');
    const watcher = await w.join('watcher');
    await w.step(500);
    const id = mover.entityId;
    const xs: number[] = [];
    const truth: number[] = [];
    const room = w.server.rooms.get('r')!;
    const ship = room.clients.get(mover.clientId)!.entity as Entity<TestGame, 'ship'>;
    for (let frame = 0; frame < 60; frame++) {
      if (frame % 3 === 0) mover.sendInput({ dx: 1, dy: 0 });
      await w.step(16, 4);
      watcher.interpolate();
      xs.push(watcher.entities.get(id)!.render.position.x);
      truth.push(ship.position.x);
    }
    // Moving at 200 units/s, sampled every 16 ms: each frame advances ~3.2 units, never a jump.
    const steps = xs.slice(20).map((x, i) => x - xs[19 + i]!);
    for (const d of steps) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(8);
    }
    // 100 ms plus the one-way latency (20 ms) behind the server clock: 1.4 to 2.4 ticks of
    // 10 units behind the server's newest tick, depending on where between ticks the frame falls.
    expect(watcher.interpolationDelayMs).toBeCloseTo(120, 5);
    const lag = truth.at(-1)! - xs.at(-1)!;
    expect(lag).toBeGreaterThanOrEqual(14);
    expect(lag).toBeLessThan(40);

    // Starve the watcher: no more snapshots arrive. It goes on along its path for one snapshot
    // interval past the newest snapshot at most, then holds, never running off.
    w.pause();
    await w.step(300);
    watcher.interpolate();
    const held = watcher.entities.get(id)!.render.position.x;
    await w.step(500);
    watcher.interpolate();
    const later = watcher.entities.get(id)!.render.position.x;
    expect(later).toBe(held);
    const latestState = watcher.entities.get(id)!.state.position.x;
    expect(later).toBeGreaterThan(latestState);
    expect(later).toBeLessThanOrEqual(latestState + SPEED / watcher.snapshotRate + 0.1);
    w.resume();
  });

  it('acknowledges snapshots without inputs (lone ACKs) so deltas stay small', async () => {
    const w = await world(20);
    const idle = await w.join('idle');
    await w.step(1000);
    expect(idle.stats.snapshots).toBeGreaterThan(15);
    expect(idle.stats.fullSnapshots).toBe(1);
    expect(w.server.metrics.totals.fullSnapshots).toBe(1);
  });

  it('re-sends unacknowledged inputs so a lost frame loses no input', async () => {
    const w = await world(20);
    const a = await w.join('a');
    const seen: number[] = [];
    const room = w.server.rooms.get('r')!;
    const original = room.definition.onInput!;
    (room.definition as { onInput: typeof original }).onInput = (r, c, input, meta) => {
      seen.push(meta.seq);
      original(r, c, input, meta);
    };
    const transport = (a as unknown as { transport: { send: (f: Uint8Array) => void } }).transport;
    const send = transport.send.bind(transport);
    let n = 0;
    transport.send = (f) => {
      // Lose every second INPUT frame.
      if (f[1] === 0x02 && n++ % 2 === 0) return;
      send(f);
    };
    for (let i = 0; i < 10; i++) {
      a.sendInput({ dx: 1, dy: 0 });
      await w.step(50);
    }
    await w.step(200);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('after a bad frame, drops its view, asks for a full snapshot and ignores deltas until it arrives', async () => {
    const w = await world(20);
    const a = await w.join('a');
    const b = await w.join('b');
    await w.step(300);
    expect(b.entities.size).toBe(2);
    const errors: number[] = [];
    b.on('error', (e) => errors.push(e.code));
    const transport = (b as unknown as { transport: { onmessage: (f: Uint8Array) => void } }).transport;
    // A snapshot whose body is cut short.
    transport.onmessage(new Uint8Array([PROTOCOL_VERSION, 0x42, 0x7f, 0x00, 0x03]));
    expect(errors.length).toBe(1);
    expect(b.entities.size).toBe(0);
    await w.step(300);
    expect(b.entities.size).toBe(2);
    expect(b.entities.has(a.entityId)).toBe(true);
    expect(b.stats.fullSnapshots).toBe(2);
  });

  it('refuses an invalid room code before connecting', async () => {
    const w = await world(20);
    await expect(connect({ transport: createMemoryPipe()[0], room: 'no spaces', protocol: testGame, clock: w.clock })).rejects.toMatchObject({ code: ErrorCode.INVALID_ROOM_CODE });
  });
});
