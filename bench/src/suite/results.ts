/**
 * From a run's raw measurements to the reported row: per-client figures, whether the figure
 * can be trusted (the load generator kept up), and ratios between systems of the same run.
 */
import type { GeneratorReport } from './generator.js';
import { LATE_MS } from './pacer.js';
import { ratesOf } from './rules.js';
import { isColyseus, type System, type Transport, type Workload } from './types.js';

/** A worker's event loop this late (p99, beyond its timer's own interval) fell behind. */
export const MAX_LOOP_DELAY_MS = LATE_MS;
/** Share of input rounds that may start late before the run is invalid. */
export const MAX_LATE_SHARE = 0.02;

export interface Measurement {
  system: System;
  transport: Transport;
  workload: Workload;
  clients: number;
  rooms: number;
  mapSize: number;
  /** The measured window (s). */
  seconds: number;
  serverCpuSeconds: number;
  rssIdleBytes: number;
  rssEndBytes: number;
  /** Inputs the server received over the window (unknown if it did not answer). */
  serverInputs?: number;
  /** Room ticks the server simulated over the window, all rooms (game servers that count them). */
  serverTicks?: number;
  /** Raw runs: the transport of the tickwire run whose frames it replayed. */
  replayOf?: Transport;
  /** Others within the view radius of each player at the window's end, mean (game servers). */
  neighbours?: number;
  joined: number;
  joinError?: string;
  generator?: GeneratorReport;
  /** Why the run stopped early or could not be measured. */
  aborted?: string;
}

export interface Ratio {
  cpu: number;
  bytes: number;
  rss: number;
}

export interface ResultRow {
  system: System;
  transport: Transport;
  workload: Workload;
  clients: number;
  rooms: number;
  map_size: number;
  duration_s: number;
  server_cpu_cores: number;
  /**
   * Server CPU (ms) per room tick: per tick the server counted, or else per tick the workload
   * asks for (raw: per 1/20 s and room, the replayed run's tick).
   */
  cpu_ms_per_tick: number;
  /** The same per room snapshot (the bridge snapshots every other tick; elsewhere the same as per tick). */
  cpu_ms_per_snapshot: number;
  server_rss_mb: number;
  rss_kb_per_client: number;
  down_bytes_per_client_s: number;
  up_bytes_per_client_s: number;
  frames_per_client_s: number;
  snapshots_per_client_s: number;
  min_snapshots_per_client_s: number;
  /** Inputs the server received (raw: every upstream frame), per client per second. */
  server_inputs_per_client_s: number | null;
  /** What the probe client had in view (entities or players), mean. */
  visible_entities: number | null;
  /** Others within 1,000 units of each player at the window's end, mean, from the server's state. */
  mean_neighbours: number | null;
  generator: {
    workers: number;
    cpu_cores: number;
    input_rounds: number;
    late_input_rounds: number;
    max_late_ms: number;
    loop_delay_p99_ms: number;
    loop_delay_max_ms: number;
  };
  /** Raw rows: the tickwire run whose frames it replayed ('tickwire ws' or 'tickwire uws'). */
  replays?: string;
  valid: boolean;
  invalid_reasons: string[];
  /** tickwire rows: to Colyseus on ws, its default (with StateView where the workload filters). */
  ratio_to_colyseus?: Ratio;
  /** tickwire on uWS: to Colyseus on its uWS transport (with StateView where the workload filters). */
  ratio_to_colyseus_uws?: Ratio;
  /** tickwire rows: to the raw floor on the same transport. */
  ratio_to_raw?: Ratio;
}

/** Rounds to `digits` significant digits, but never past the units (1024 stays 1024). */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return Number.isFinite(x) ? 0 : x;
  const p = Math.max(1, Math.pow(10, digits - Math.ceil(Math.log10(Math.abs(x)))));
  return Math.round(x * p) / p;
}

/** The reasons a run's figures cannot be trusted; empty when they can. */
export function judge(m: Measurement): string[] {
  const reasons: string[] = [];
  if (m.aborted) reasons.push(m.aborted);
  if (m.joined < m.clients) reasons.push(`${m.joined} of ${m.clients} clients joined${m.joinError ? ` (${m.joinError})` : ''}`);
  const g = m.generator;
  if (!g) return reasons.length > 0 ? reasons : ['no measurement'];
  if (g.closed > 0) reasons.push(`${g.closed} clients were disconnected during the window`);
  if (g.traffic.snapshots === 0) reasons.push('clients received no snapshots');
  const lateShare = g.rounds > 0 ? g.lateRounds / g.rounds : 0;
  if (lateShare > MAX_LATE_SHARE) reasons.push(`generator fell behind: ${sig(lateShare * 100, 2)}% of input rounds late (> ${LATE_MS} ms)`);
  if (g.loopDelayP99Ms > MAX_LOOP_DELAY_MS) reasons.push(`generator fell behind: event-loop delay p99 ${sig(g.loopDelayP99Ms, 2)} ms (> ${MAX_LOOP_DELAY_MS} ms)`);
  return reasons;
}

export function toRow(m: Measurement): ResultRow {
  const g = m.generator;
  const secs = Math.max(1e-9, m.seconds);
  const n = Math.max(1, m.clients);
  const perClientS = (x: number) => x / n / secs;
  const reasons = judge(m);
  const { tickHz, snapshotHz } = ratesOf(m.workload);
  const ticks = m.serverTicks !== undefined && m.serverTicks > 0 ? m.serverTicks : secs * tickHz * Math.max(1, m.rooms);
  const msPerTick = (m.serverCpuSeconds * 1000) / ticks;
  return {
    system: m.system,
    transport: m.transport,
    workload: m.workload,
    clients: m.clients,
    rooms: m.rooms,
    map_size: m.mapSize,
    duration_s: sig(m.seconds, 3),
    server_cpu_cores: sig(m.serverCpuSeconds / secs),
    cpu_ms_per_tick: sig(msPerTick),
    cpu_ms_per_snapshot: sig((msPerTick * tickHz) / snapshotHz),
    server_rss_mb: sig(m.rssEndBytes / 1048576),
    rss_kb_per_client: sig(Math.max(0, m.rssEndBytes - m.rssIdleBytes) / 1024 / n),
    down_bytes_per_client_s: Math.round(perClientS(g?.traffic.downBytes ?? 0)),
    up_bytes_per_client_s: Math.round(perClientS(g?.traffic.upBytes ?? 0)),
    frames_per_client_s: sig(perClientS(g?.traffic.downFrames ?? 0)),
    snapshots_per_client_s: sig(perClientS(g?.traffic.snapshots ?? 0)),
    min_snapshots_per_client_s: sig(Number.isFinite(g?.minSnapshots) ? (g?.minSnapshots ?? 0) / secs : 0),
    server_inputs_per_client_s: m.serverInputs !== undefined ? sig(perClientS(m.serverInputs)) : null,
    visible_entities: g?.probeEntities !== undefined ? sig(g.probeEntities) : null,
    mean_neighbours: m.neighbours !== undefined ? sig(m.neighbours) : null,
    generator: {
      workers: g?.workers ?? 0,
      cpu_cores: sig(g?.cpuCores ?? 0),
      input_rounds: g?.rounds ?? 0,
      late_input_rounds: g?.lateRounds ?? 0,
      max_late_ms: sig(g?.maxLateMs ?? 0),
      loop_delay_p99_ms: sig(g?.loopDelayP99Ms ?? 0),
      loop_delay_max_ms: sig(g?.loopDelayMaxMs ?? 0),
    },
    ...(m.replayOf ? { replays: `tickwire ${m.replayOf}` } : {}),
    valid: reasons.length === 0,
    invalid_reasons: reasons,
  };
}

function ratio(a: ResultRow, b: ResultRow): Ratio {
  const div = (x: number, y: number) => (y > 0 ? sig(x / y) : Number.NaN);
  return {
    cpu: div(a.server_cpu_cores, b.server_cpu_cores),
    bytes: div(a.down_bytes_per_client_s, b.down_bytes_per_client_s),
    rss: div(a.server_rss_mb, b.server_rss_mb),
  };
}

/** A run that measured a window (one that stopped before it has nothing to compare). */
const measured = (r: ResultRow): boolean => r.duration_s > 0;

const REPLAYED_INVALID = 'it replays a tickwire run that was not valid';

/** A raw row replays a tickwire run of its group: if that run was not valid, neither is the replay. */
export function inheritValidity(rows: ResultRow[]): void {
  for (const r of rows) {
    if (r.system !== 'raw') continue;
    const source = rows.find((t) => `${t.system} ${t.transport}` === r.replays && t.workload === r.workload && t.clients === r.clients);
    if (source && !source.valid && !r.invalid_reasons.includes(REPLAYED_INVALID)) {
      r.valid = false;
      r.invalid_reasons.push(REPLAYED_INVALID);
    }
  }
}

/**
 * The Colyseus row tickwire is compared with on a transport: Colyseus filtering with StateView
 * where the group has it (the workload filters), else Colyseus as usually run.
 */
export function colyseusPeer(rows: readonly ResultRow[], of: ResultRow, transport: Transport): ResultRow | undefined {
  const same = rows.filter((r) => measured(r) && isColyseus(r.system) && r.transport === transport && r.workload === of.workload && r.clients === of.clients);
  return same.find((r) => r.system === 'colyseus-view') ?? same.find((r) => r.system === 'colyseus');
}

/**
 * Sets tickwire rows' ratios, same workload and size: to Colyseus on ws (its default), to
 * Colyseus on uWS for tickwire on uWS, and to the raw floor on the same transport.
 */
export function attachRatios(rows: ResultRow[]): void {
  for (const t of rows) {
    if (t.system !== 'tickwire' || !measured(t)) continue;
    const colyseus = colyseusPeer(rows, t, 'ws');
    const colyseusUws = t.transport === 'uws' ? colyseusPeer(rows, t, 'uws') : undefined;
    const raw = rows.find((r) => measured(r) && r.system === 'raw' && r.transport === t.transport && r.workload === t.workload && r.clients === t.clients);
    if (colyseus) t.ratio_to_colyseus = ratio(t, colyseus);
    if (colyseusUws) t.ratio_to_colyseus_uws = ratio(t, colyseusUws);
    if (raw) t.ratio_to_raw = ratio(t, raw);
  }
}
