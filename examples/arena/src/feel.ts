/**
 * The feel report: the arena played headless on one manual clock, one local player predicting
 * its ship over a conditioned link (latency, jitter, loss), a few remote players, and a renderer
 * sampling at 60 fps. It measures what a player would notice (see feel/meter.ts): local
 * corrections and how fast they blend out, remote ships that stall, jump or stray from the truth,
 * a render time that steps back, removed entities still shown, views found to differ from the
 * server's digest of them (desyncs) and repaired.
 *
 * Two scenarios. `calm`: players wander apart, away from walls, so prediction never disagrees
 * with the server. `interactive`: walls go up in the local ship's path, remote players shoot it
 * dead and it respawns elsewhere, and they turn every 100-200 ms (feel/players.ts).
 * Everything is simulated and seeded: the same options give the same report.
 */
import { connect, type ClientRoom } from '@tickwire/client';
import { ManualClock, createMemoryPipe, seededRandom, type NetworkConditions } from '@tickwire/protocol';
import { createServer } from '@tickwire/server';
import { pino } from 'pino';
import { FeelMeter } from './feel/meter.js';
import { Director, pilot, shoot, steerCalm, steerErratic, steerLocal, type Pilot } from './feel/players.js';
import { Truth, withSystems } from './feel/truth.js';
import { trackWalls } from './client/walls.js';
import { moveShip } from './shared/sim.js';
import { arena, SHIP_SPEED, type Arena } from './shared/protocol.js';
import { arenaRoom } from './server/room.js';

export type FeelScenario = 'calm' | 'interactive';

export interface FeelOptions {
  conditions: NetworkConditions;
  /** Simulated seconds measured (after a two-second warm-up; default 20). */
  duration?: number;
  /** `calm` (default) or `interactive`. */
  scenario?: FeelScenario;
  remotes?: number;
  seed?: number;
  fps?: number;
}

export interface FeelReport {
  scenario: FeelScenario;
  lag_ms: number;
  jitter_ms: number;
  loss_pct: number;
  duration_s: number;
  /** Local corrections blended out (snaps apart), their sizes (world units; angles in radians). */
  corrections: number;
  corrections_per_s: number;
  correction_mean: number;
  correction_p99: number;
  /** Corrections that came while an earlier one was still being blended out. */
  repeat_corrections: number;
  /** Time from a correction until the picture has caught up (ms). */
  blend_ms_p50: number;
  blend_ms_p99: number;
  snaps: number;
  /** Respawns of the local ship, and those that did not bring exactly one correction. */
  respawns: number;
  unclean_respawns: number;
  walls: number;
  /** Largest distance a correction moves the local ship in one frame (units). */
  local_jump_max: number;
  /** Largest per-frame difference between a remote ship's drawn motion and its true motion (units). */
  remote_jump_max: number;
  remote_stalls: number;
  longest_stall_ms: number;
  /** Distance of drawn remote ships from the truth at the render time (units). */
  remote_error_mean: number;
  remote_error_p99: number;
  remote_error_max: number;
  render_back_steps: number;
  render_back_ms_max: number;
  /** Removed entities still shown well after their removal, and the longest any was shown (ms). */
  ghosts: number;
  removal_shown_ms_max: number;
  snapshots_lost: number;
  starvations: number;
  /**
   * View digests the local client checked, views it found to differ from them (a desync) and
   * repaired by a full snapshot (docs/netcode.md section 9), and desyncs the remote players found
   * over their clean links. Nothing here corrupts a view: every one counted is a fault.
   */
  digests: number;
  desyncs: number;
  desyncs_repaired: number;
  remote_desyncs: number;
}

/** The conditions `npm run feel -- --grid` runs: every combination. */
export const FEEL_GRID = { lag: [0, 150, 300], jitter: [0, 30, 60], loss: [0, 3, 10] } as const;

const BLEND_MS = 100;
const WARMUP_MS = 2000;

/** Runs the scenario; everything is simulated, so 20 s take a second or two of real time. */
export async function runFeel(options: FeelOptions): Promise<FeelReport> {
  const scenario = options.scenario ?? 'calm';
  const duration = options.duration ?? 20;
  const frameMs = 1000 / (options.fps ?? 60);
  const seed = options.seed ?? 1;
  // One stream each, so that a change in what the netcode sends does not change what the players do.
  const linkRandom = seededRandom(seed);
  const playRandom = seededRandom(seed * 7919 + 1);
  const directorRandom = seededRandom(seed * 104729 + 3);
  const clock = new ManualClock(1_000);
  const truth = new Truth(() => clock.now(), (SHIP_SPEED * 50) / 1000);
  const builders: Pilot[] = [];
  const director = new Director(truth, builders, directorRandom);
  const base = arenaRoom({ random: seededRandom(seed + 1), reconnectWindowMs: 0 });
  const systems = scenario === 'interactive' ? [director.system] : [];
  const rooms = withSystems(base, ...systems, (room) => truth.record(room));
  const server = createServer({ rooms, clock, logger: pino({ level: 'silent' }), processMetrics: false });
  // Deliveries happen on the manual clock, in time order, inside clock.advance().
  const deliver = (fn: () => void) => void clock.setTimeout(fn, 0);
  const settle = () => new Promise<void>((r) => setImmediate(r));

  const join = async (name: string, conditions?: NetworkConditions): Promise<ClientRoom<Arena>> => {
    const [client, srv] = createMemoryPipe(deliver);
    server.accept(srv);
    let joined = false;
    const pending = connect({ transport: client, room: 'feel', name, protocol: arena, clock, conditions, random: linkRandom }).finally(() => (joined = true));
    for (let i = 0; i < 500 && !joined; i++) {
      clock.advance(10);
      await settle();
    }
    return pending;
  };

  const local = await join('local', options.conditions);
  const remotes: ClientRoom<Arena>[] = [];
  for (let i = 0; i < (options.remotes ?? 3); i++) remotes.push(await join(`remote-${i}`));

  // The walls the movement step collides with, kept from the replicated view as the page does.
  const walls = trackWalls(local);
  const predictor = local.predict({ type: 'ship', step: moveShip, world: () => ({ walls }), blendMs: BLEND_MS });
  director.target = local.entityId;

  const lag = options.conditions.lag ?? 0;
  const jitter = options.conditions.jitter ?? 0;
  const meter = new FeelMeter({ blendMs: BLEND_MS, frameMs, tickMs: local.tickMs, lingerMs: lag / 2 + jitter + 300 }, truth);
  let measuring = false;
  predictor.onCorrection = (size, snapped, at) => {
    if (measuring) meter.correction(size, snapped, at, predictor.residual(at));
  };

  const players: Pilot[] = [local, ...remotes].map(pilot);
  builders.push(...players.slice(1));
  const where = (p: Pilot) => truth.latest(p.room.entityId);
  const steer = (now: number) => {
    const target = where(players[0]!);
    for (const [i, p] of players.entries()) {
      if (scenario === 'calm') steerCalm(p, where(p), now, playRandom);
      else if (i === 0) steerLocal(p, target, now, playRandom);
      else steerErratic(p, where(p), target, now, playRandom);
    }
  };

  let nextInput = clock.now();
  let snapshotsBefore = 0;
  let starvationsBefore = 0;
  let digestStats = { ...local.stats };
  let remoteDesyncsBefore = 0;
  const remoteDesyncs = () => remotes.reduce((n, r) => n + r.stats.desyncs, 0);
  const origin = clock.now();
  const start = origin + WARMUP_MS;
  const totalFrames = Math.round((WARMUP_MS + duration * 1000) / frameMs);
  for (let frame = 1; frame <= totalFrames; frame++) {
    const target = origin + frame * frameMs;
    while (nextInput <= target) {
      clock.advance(Math.max(0, nextInput - clock.now()));
      steer(clock.now());
      if (scenario === 'interactive') director.direct(clock.now());
      nextInput += local.tickMs;
    }
    clock.advance(Math.max(0, target - clock.now()));
    await settle();
    const now = clock.now();
    if (!measuring && now >= start) {
      measuring = true;
      snapshotsBefore = local.stats.snapshots;
      starvationsBefore = local.starvations;
      digestStats = { ...local.stats };
      remoteDesyncsBefore = remoteDesyncs();
    }
    const renderTick = local.interpolate();
    if (scenario === 'interactive') {
      for (const p of players.slice(1)) {
        p.room.interpolate();
        shoot(p, local.entityId, now, playRandom);
      }
    }
    if (!measuring) continue;
    const idealTick = (now - local.interpolationDelayMs - local.tickEpoch) / local.tickMs;
    const drawn = [];
    for (const r of remotes) {
      const e = local.entities.get(r.entityId);
      if (e?.typeName === 'ship') drawn.push({ id: e.id, x: e.render.position.x, y: e.render.position.y });
    }
    meter.frame(now, renderTick, idealTick, drawn, local.entities.keys());
  }

  const respawns = (truth.teleports.get(local.entityId) ?? []).filter((t) => t >= start);
  const report: FeelReport = {
    scenario,
    lag_ms: lag,
    jitter_ms: jitter,
    loss_pct: options.conditions.loss ?? 0,
    duration_s: duration,
    ...meter.summary(duration),
    respawns: respawns.length,
    unclean_respawns: meter.uncleanRespawns(respawns, Math.max(0, lag / 2 - jitter / 2), lag + jitter + 600),
    walls: director.walls,
    snapshots_lost: Math.max(0, Math.round(duration * local.snapshotRate - (local.stats.snapshots - snapshotsBefore))),
    starvations: local.starvations - starvationsBefore,
    digests: local.stats.digests - digestStats.digests,
    desyncs: local.stats.desyncs - digestStats.desyncs,
    desyncs_repaired: local.stats.desyncsRepaired - digestStats.desyncsRepaired,
    remote_desyncs: remoteDesyncs() - remoteDesyncsBefore,
  };
  for (const r of [local, ...remotes]) r.disconnect();
  clock.advance(1000);
  await server.close();
  return report;
}

/** Runs every condition of the grid (lag x jitter x loss), one report each. */
export async function runFeelGrid(options: Omit<FeelOptions, 'conditions'>, grid: { lag: readonly number[]; jitter: readonly number[]; loss: readonly number[] } = FEEL_GRID): Promise<FeelReport[]> {
  const out: FeelReport[] = [];
  for (const lag of grid.lag) for (const jitter of grid.jitter) for (const loss of grid.loss) out.push(await runFeel({ ...options, conditions: { lag, jitter, loss } }));
  return out;
}
