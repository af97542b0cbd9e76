/**
 * The feel report: the arena played headless on one manual clock, one local player predicting
 * its ship over a conditioned link (latency, jitter, loss), a few remote players moving about,
 * and a renderer sampling at 60 fps. It measures what a player would notice: how big and how
 * frequent the local corrections are, how fast they blend out, whether remote ships ever stop
 * while packets keep arriving, and how far the rendered remote ships are from the truth they
 * interpolate.
 */
import { connect, type ClientRoom } from '@tickwire/client';
import { ManualClock, createMemoryPipe, seededRandom, type NetworkConditions } from '@tickwire/protocol';
import { createServer, type Entity, type Room } from '@tickwire/server';
import { pino } from 'pino';
import { arena, type Arena } from './shared/protocol.js';
import { moveShip } from './shared/sim.js';
import { arenaRoom } from './server/room.js';

export interface FeelOptions {
  conditions: NetworkConditions;
  /** Simulated seconds measured (after a two-second warm-up). */
  duration?: number;
  remotes?: number;
  seed?: number;
  fps?: number;
}

export interface FeelReport {
  lag_ms: number;
  jitter_ms: number;
  loss_pct: number;
  duration_s: number;
  correction_mean: number;
  correction_p99: number;
  corrections_per_s: number;
  converge_ms_p99: number;
  remote_stalls: number;
  longest_stall_ms: number;
  remote_error_mean: number;
  snapshots_lost: number;
}

function p99(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]!;
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** Runs the scenario; everything is simulated, so 20 s take well under a second of real time. */
export async function runFeel(options: FeelOptions): Promise<FeelReport> {
  const duration = options.duration ?? 20;
  const fps = options.fps ?? 60;
  const frameMs = 1000 / fps;
  const random = seededRandom(options.seed ?? 1);
  const clock = new ManualClock(1_000);
  const server = createServer({ rooms: arenaRoom({ random: seededRandom(2), reconnectWindowMs: 0 }), clock, logger: pino({ level: 'silent' }), processMetrics: false });
  // Deliveries happen on the manual clock, in time order, inside clock.advance().
  const deliver = (fn: () => void) => void clock.setTimeout(fn, 0);
  const settle = () => new Promise<void>((r) => setImmediate(r));

  const join = async (name: string, conditions?: NetworkConditions): Promise<ClientRoom<Arena>> => {
    const [client, srv] = createMemoryPipe(deliver);
    server.accept(srv);
    let joined = false;
    const pending = connect({ transport: client, room: 'feel', name, protocol: arena, clock, conditions, random }).finally(() => (joined = true));
    for (let i = 0; i < 500 && !joined; i++) {
      clock.advance(10);
      await settle();
    }
    return pending;
  };

  const local = await join('local', options.conditions);
  const remotes: ClientRoom<Arena>[] = [];
  for (let i = 0; i < (options.remotes ?? 3); i++) remotes.push(await join(`remote-${i}`));
  const walls = new Set<number>();
  const predictor = local.predict({ type: 'ship', step: moveShip, world: () => ({ walls }) });
  const room = server.rooms.get('feel') as unknown as Room<Arena>;
  // Keep everyone in the middle of the map, away from walls and edges, so movement is all input.
  for (const client of room.clients.values()) {
    const ship = client.entity as Entity<Arena, 'ship'>;
    ship.position.x = 300 + 200 * (client.id % 4);
    ship.position.y = 250 + 100 * (client.id % 3);
  }

  // Scripted players: a new direction every 0.4-1 s, kept within a box so nobody hits an edge.
  const players = [local, ...remotes].map((r) => ({ room: r, dx: 0, dy: 0, next: 0 }));
  const steer = (p: (typeof players)[number], now: number) => {
    const ship = room.clients.get(p.room.clientId)?.entity as Entity<Arena, 'ship'> | undefined;
    if (now >= p.next || !ship) {
      p.dx = Math.floor(random() * 3) - 1;
      p.dy = Math.floor(random() * 3) - 1;
      p.next = now + 400 + random() * 600;
    }
    if (ship) {
      if (ship.position.x < 200) p.dx = 1;
      if (ship.position.x > 1000) p.dx = -1;
      if (ship.position.y < 150) p.dy = 1;
      if (ship.position.y > 650) p.dy = -1;
    }
    p.room.sendInput({ dx: p.dx, dy: p.dy, aim: Math.atan2(p.dy, p.dx) + Math.PI });
  };
  let nextInput = clock.now();

  // Truth: every ship's server position per tick, to compare the rendered remotes with.
  const truth = new Map<number, Map<number, [number, number]>>();
  const recordTruth = () => {
    for (const s of room.entities.ofType('ship')) {
      let m = truth.get(s.id);
      if (!m) truth.set(s.id, (m = new Map()));
      m.set(room.tick, [s.position.x, s.position.y]);
    }
  };
  const truthAt = (id: number, tick: number): [number, number] | undefined => {
    const m = truth.get(id);
    const a = m?.get(Math.floor(tick));
    const b = m?.get(Math.floor(tick) + 1);
    if (!a || !b) return a;
    const f = tick - Math.floor(tick);
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
  };

  const sizes: number[] = [];
  const converge: number[] = [];
  let convergingSince: number | undefined;
  let measuring = false;
  predictor.onCorrection = (size, _snapped, at) => {
    if (!measuring) return;
    sizes.push(size);
    // Time to converge counts from the latest correction until nothing is left to blend out.
    if (size > 0) convergingSince = at;
  };
  const lastRender = new Map<number, [number, number]>();
  const runs = new Map<number, number>();
  let stalls = 0;
  let longestStallFrames = 0;
  const errors: number[] = [];
  let snapshotsBefore = 0;

  const totalFrames = Math.round(((duration + 2) * 1000) / frameMs);
  const warmupFrames = Math.round(2000 / frameMs);
  for (let frame = 0; frame < totalFrames; frame++) {
    const target = 1_000 + (frame + 1) * frameMs + 2000;
    while (nextInput <= target) {
      clock.advance(Math.max(0, nextInput - clock.now()));
      for (const p of players) steer(p, clock.now());
      nextInput += room.tickMs;
      recordTruth();
    }
    clock.advance(Math.max(0, target - clock.now()));
    recordTruth();
    await settle();
    if (frame === warmupFrames) {
      measuring = true;
      snapshotsBefore = local.stats.snapshots;
    }
    const renderTick = local.interpolate();
    if (!measuring) continue;
    const now = clock.now();
    if (convergingSince !== undefined && predictor.residual(now) < 0.01) {
      converge.push(now - convergingSince);
      convergingSince = undefined;
    }
    for (const r of remotes) {
      const e = local.entities.get(r.entityId);
      if (e?.typeName !== 'ship') continue;
      const pos: [number, number] = [e.render.position.x, e.render.position.y];
      const seen = truthAt(r.entityId, renderTick);
      if (seen) errors.push(Math.hypot(seen[0] - pos[0], seen[1] - pos[1]));
      const prev = lastRender.get(e.id);
      const prevTruth = truthAt(r.entityId, renderTick - frameMs / room.tickMs);
      const moving = seen && prevTruth && Math.hypot(seen[0] - prevTruth[0], seen[1] - prevTruth[1]) > 0.5;
      if (prev && moving && prev[0] === pos[0] && prev[1] === pos[1]) {
        const run = (runs.get(e.id) ?? 0) + 1;
        runs.set(e.id, run);
        if (run === 2) stalls++;
        longestStallFrames = Math.max(longestStallFrames, run);
      } else runs.set(e.id, 0);
      lastRender.set(e.id, pos);
    }
  }

  const nonzero = sizes.filter((s) => s > 0);
  const reconciliations = sizes.length;
  const expectedSnapshots = duration * local.snapshotRate;
  const report: FeelReport = {
    lag_ms: options.conditions.lag ?? 0,
    jitter_ms: options.conditions.jitter ?? 0,
    loss_pct: options.conditions.loss ?? 0,
    duration_s: duration,
    correction_mean: round(reconciliations > 0 ? sizes.reduce((a, b) => a + b, 0) / reconciliations : 0, 3),
    correction_p99: round(p99(sizes), 3),
    corrections_per_s: round(nonzero.length / duration),
    converge_ms_p99: round(p99(converge), 1),
    remote_stalls: stalls,
    longest_stall_ms: round(longestStallFrames * frameMs, 1),
    remote_error_mean: round(errors.length > 0 ? errors.reduce((a, b) => a + b, 0) / errors.length : 0, 3),
    snapshots_lost: Math.max(0, Math.round(expectedSnapshots - (local.stats.snapshots - snapshotsBefore))),
  };
  for (const r of [local, ...remotes]) r.disconnect();
  clock.advance(1000);
  await server.close();
  return report;
}
