/**
 * Netcode that feels local: prediction equals the server's path, corrections stay small and
 * blend out, remote entities never stall while packets arrive, rollback keeps remotes at the
 * present, and a lag-compensated shot hits what the shooter saw. Stepped clocks and in-memory
 * links through the conditioner; the prediction scenario also over real sockets.
 */
import { connect as connectNode } from '@tickwire/client/node';
import { arena, type Arena } from '@tickwire/arena/protocol';
import { runFeel } from '@tickwire/arena/feel';
import { arenaRoom } from '@tickwire/arena/room';
import { moveShip } from '@tickwire/arena/sim';
import { defineProtocol, t, type Step } from '@tickwire/protocol';
import { createServer, defineRoom, type Entity } from '@tickwire/server';
import type { RoomRuntime as Room } from '@tickwire/server/internal';
import { describe, expect, it } from 'vitest';
import { silent } from './game.js';
import { waitFor } from './wait.js';
import { world } from './world.js';

const noWalls = { walls: new Set<number>() };

describe('prediction and reconciliation', () => {
  it('with no loss and no other players, the predicted path equals the server path exactly', async () => {
    const w = await world(60, arenaRoom({ reconnectWindowMs: 0 }), arena);
    const a = await w.join('solo');
    const predictor = a.predict({ type: 'ship', step: moveShip, world: () => noWalls });
    await w.step(300);
    const room = w.server.rooms.get('r') as unknown as Room<Arena>;
    const ship = room.clients.get(a.clientId)!.entity as Entity<Arena, 'ship'>;
    // What the client predicted after each input, and what the server had after applying it.
    const predicted = new Map<number, [number, number]>();
    const server = new Map<number, [number, number]>();
    const dirs = [
      [1, 0],
      [1, 1],
      [0, 1],
      [-1, 1],
      [-1, 0],
      [0, -1],
    ] as const;
    for (let i = 0; i < 60; i++) {
      const [dx, dy] = dirs[Math.floor(i / 10)]!;
      const seq = a.sendInput({ dx, dy, aim: i / 10 });
      predicted.set(seq, [predictor.state!.position.x, predictor.state!.position.y]);
      await w.step(50);
      const applied = room.clients.get(a.clientId)!.lastInputSeq;
      server.set(applied, [ship.position.x, ship.position.y]);
    }
    await w.step(500);
    expect(predictor.stats.corrections).toBe(0);
    let compared = 0;
    for (const [seq, pos] of server) {
      if (!predicted.has(seq)) continue;
      expect(predicted.get(seq)).toEqual(pos);
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('blends a small correction out within blendMs and snaps a large one', async () => {
    const w = await world(60, arenaRoom({ reconnectWindowMs: 0 }), arena);
    const a = await w.join('solo');
    const predictor = a.predict({ type: 'ship', step: moveShip, world: () => noWalls, blendMs: 100 });
    const room = w.server.rooms.get('r') as unknown as Room<Arena>;
    const ship = room.clients.get(a.clientId)!.entity as Entity<Arena, 'ship'>;
    await w.step(300);
    a.interpolate();
    // Knock the ship 6 units sideways on the server: the client could not have predicted it.
    ship.position.y += 6;
    const corrections: { size: number; snapped: boolean; at: number }[] = [];
    predictor.onCorrection = (size, snapped, at) => size > 0 && corrections.push({ size, snapped, at });
    let before = predictor.render.position.y;
    let maxJump = 0;
    for (let i = 0; i < 30; i++) {
      await w.step(1000 / 60, 1000 / 60);
      a.interpolate();
      maxJump = Math.max(maxJump, Math.abs(predictor.render.position.y - before));
      before = predictor.render.position.y;
    }
    expect(corrections).toHaveLength(1);
    expect(corrections[0]!.size).toBeCloseTo(6, 5);
    expect(corrections[0]!.snapped).toBe(false);
    // Blended: no frame moved the ship by more than a fraction of the correction...
    expect(maxJump).toBeLessThan(6 / 3);
    // ...and it was gone within 100 ms of the correction.
    expect(predictor.residual(corrections[0]!.at + 100)).toBe(0);
    // (the client holds the quantized value: 0.1 units)
    expect(Math.abs(predictor.render.position.y - ship.position.y)).toBeLessThanOrEqual(0.05 + 1e-9);

    // A teleport (respawn) is beyond the snap distance.
    ship.position.x = ship.position.x > 600 ? 100 : 1100;
    await w.step(400);
    a.interpolate();
    expect(corrections.at(-1)!.snapped).toBe(true);
    expect(Math.abs(predictor.render.position.x - ship.position.x)).toBeLessThanOrEqual(0.05 + 1e-9);
  });

  it('under 150 ms RTT, +-30 ms jitter and 3% loss, local corrections stay small and converge', async () => {
    const report = await runFeel({ conditions: { lag: 150, jitter: 30, loss: 3 }, duration: 10, seed: 3 });
    expect(report.snapshots_lost).toBeGreaterThan(0); // the loss was real
    expect(report.correction_p99).toBeLessThan(5);
    expect(report.blend_ms_p99).toBeLessThanOrEqual(100);
  });

  it('remote entities never stall longer than one frame while packets arrive', async () => {
    for (const seed of [1, 2]) {
      const report = await runFeel({ conditions: { lag: 150, jitter: 30 }, duration: 10, seed });
      expect(report.longest_stall_ms).toBeLessThanOrEqual(1000 / 60 + 0.1);
      expect(report.remote_stalls).toBe(0);
      expect(report.remote_error_mean).toBeLessThan(1);
    }
  });
});

describe('lag compensation', () => {
  /**
   * A target flies down across the line of fire at 200 units/s; the shooter, 200 ms RTT away,
   * fires when its screen shows the target where a bullet will meet it (leading by the
   * bullet's flight time, as a player must with projectiles). Returns the hits.
   */
  async function duel(maxRewindMs: number): Promise<unknown[]> {
    const w = await world(200, arenaRoom({ reconnectWindowMs: 0, maxRewindMs }), arena);
    const shooter = await w.join('shooter');
    const target = await w.join('target');
    const room = w.server.rooms.get('r') as unknown as Room<Arena>;
    const s = room.clients.get(shooter.clientId)!.entity as Entity<Arena, 'ship'>;
    const tg = room.clients.get(target.clientId)!.entity as Entity<Arena, 'ship'>;
    s.position.x = 200;
    s.position.y = 400;
    tg.position.x = 500;
    tg.position.y = 150;
    await w.step(600);
    const hits: unknown[] = [];
    shooter.on('event', (e) => e.name === 'hit' && hits.push(e.payload));
    // Muzzle at x = 218; the bullet needs (500 - 218) / 600 s to reach x = 500, in which the
    // target moves a further 94 units: fire when it is seen 94 units above the line.
    const lead = ((500 - 218) / 600) * 200;
    for (let i = 0; i < 60; i++) {
      target.sendInput({ dx: 0, dy: 1, aim: 0 });
      await w.step(50, 10);
      shooter.interpolate();
      const seen = shooter.entities.get(target.entityId);
      if (seen?.typeName === 'ship' && seen.render.position.y >= 400 - lead) {
        const fired = shooter.sendCommand('combat', 'fire', { angle: 0 }).then(
          () => 'ok',
          (e: Error) => e.message,
        );
        for (let j = 0; j < 20; j++) {
          target.sendInput({ dx: 0, dy: 1, aim: 0 });
          await w.step(50, 10);
        }
        expect(await fired).toBe('ok');
        break;
      }
    }
    await w.step(500);
    return hits;
  }

  it('a bullet hits where the shooter saw the target; without rewinding the same shot misses', async () => {
    expect(await duel(400)).toEqual([expect.objectContaining({ damage: 20 })]);
    expect(await duel(0)).toEqual([]);
  });
});

// A tiny racing game: karts with velocity; input is acceleration. Remotes extrapolate by velocity.
const racing = defineProtocol({
  name: 'kart-test',
  components: {
    pos: { x: t.float({ min: 0, max: 10000, precision: 0.01 }) },
    vel: { vx: t.float({ min: -500, max: 500, precision: 0.01 }) },
  },
  entities: { kart: ['pos', 'vel'] },
  input: { accel: t.int({ min: -1, max: 1 }) },
});
type Racing = typeof racing;
const drive: Step<Racing, 'kart'> = (kart, input, dt) => {
  kart.vel.vx = Math.max(-500, Math.min(500, kart.vel.vx + input.accel * 100 * dt));
  kart.pos.x += kart.vel.vx * dt;
};
const coast = (kart: { pos: { x: number }; vel: { vx: number } }, dt: number) => {
  kart.pos.x += kart.vel.vx * dt;
};

describe('rollback for racing-style games', () => {
  it('simulates remote karts at the present, not in the interpolated past, and corrects them smoothly', async () => {
    const room = defineRoom<Racing, undefined>({
      protocol: racing,
      createOnJoin: true,
      maxInputsPerTick: 1,
      sendOwnState: true,
      reconnectWindowMs: 0,
      onJoin: (r) => r.entities.create('kart', { pos: { x: 1000 } }),
      onInput: (_r, client, input) => drive(client.entity as Entity<Racing, 'kart'>, input, 0.05, undefined),
    });
    const w = await world(120, room, racing);
    const me = await w.join('me');
    const rival = await w.join('rival');
    const predictor = me.predict({ type: 'kart', step: drive, remotes: { types: ['kart'], step: coast } });
    const server = w.server.rooms.get('r') as unknown as Room<Racing>;
    const rivalKart = server.clients.get(rival.clientId)!.entity as Entity<Racing, 'kart'>;
    for (let i = 0; i < 60; i++) {
      me.sendInput({ accel: 0 });
      rival.sendInput({ accel: i < 30 ? 1 : 0 });
      await w.step(50);
      me.interpolate();
    }
    const rolled = predictor.remoteRender(rival.entityId)!.pos!.x as number;
    const interpolated = me.entities.get(rival.entityId)!.render.pos.x;
    const truth = rivalKart.pos.x;
    // Rollback shows the rival where it is now; interpolation shows where it was ~160 ms ago.
    expect(Math.abs(rolled - truth)).toBeLessThan(Math.abs(interpolated - truth) / 2);
    expect(Math.abs(rolled - truth)).toBeLessThan(10);
    expect(predictor.stats.corrections).toBe(0);
  });
});

describe('over real sockets', () => {
  it('the predicted path equals the server path over a real WebSocket through the conditioner', async () => {
    const server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0 }), logger: silent, processMetrics: false });
    const addr = await server.listen(0, '127.0.0.1');
    try {
      const a = await connectNode({ url: addr.wsUrl, room: 'net', name: 'solo', protocol: arena, conditions: { lag: 60, jitter: 10 } });
      const predictor = a.predict({ type: 'ship', step: moveShip, world: () => noWalls });
      await waitFor(() => predictor.state !== undefined, 3000, 'the first own state');
      const timer = setInterval(() => a.sendInput({ dx: 1, dy: 0, aim: 0 }), 50);
      await new Promise((r) => setTimeout(r, 1200));
      clearInterval(timer);
      await waitFor(() => predictor.unacknowledged === 0, 3000, 'every input acknowledged');
      const room = server.rooms.get('net') as unknown as Room<Arena>;
      const ship = room.clients.get(a.clientId)!.entity as Entity<Arena, 'ship'>;
      expect(predictor.stats.corrections).toBe(0);
      expect(predictor.state!.position.x).toBe(ship.position.x);
      a.disconnect();
    } finally {
      await server.close();
    }
  });
});
