/**
 * From a run's raw measurements to the reported row: per-client figures, whether the figure
 * can be trusted (the load generator kept up), and ratios between systems of the same run.
 */
import type { GeneratorReport } from './generator.js';
import { LATE_MS } from './pacer.js';
import type { System, Workload } from './types.js';

/** A worker's event loop this late (p99, beyond its timer's own interval) fell behind. */
export const MAX_LOOP_DELAY_MS = LATE_MS;
/** Share of input rounds that may start late before the run is invalid. */
export const MAX_LATE_SHARE = 0.02;

export interface Measurement {
  system: System;
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
  workload: Workload;
  clients: number;
  rooms: number;
  map_size: number;
  duration_s: number;
  server_cpu_cores: number;
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
  valid: boolean;
  invalid_reasons: string[];
  ratio_to_colyseus?: Ratio;
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
  return {
    system: m.system,
    workload: m.workload,
    clients: m.clients,
    rooms: m.rooms,
    map_size: m.mapSize,
    duration_s: sig(m.seconds, 3),
    server_cpu_cores: sig(m.serverCpuSeconds / secs),
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

/** A raw row replays its group's tickwire run: if that run was not valid, neither is the replay. */
export function inheritValidity(rows: ResultRow[]): void {
  for (const r of rows) {
    if (r.system !== 'raw') continue;
    const source = rows.find((t) => t.system === 'tickwire' && t.workload === r.workload && t.clients === r.clients);
    if (source && !source.valid) {
      r.valid = false;
      r.invalid_reasons.push('it replays a tickwire run that was not valid');
    }
  }
}

/** Sets tickwire rows' ratios to the Colyseus and raw rows of the same workload and size. */
export function attachRatios(rows: ResultRow[]): void {
  for (const t of rows) {
    if (t.system !== 'tickwire') continue;
    const peer = (system: System) => rows.find((r) => r.system === system && r.workload === t.workload && r.clients === t.clients);
    const colyseus = peer('colyseus');
    const raw = peer('raw');
    if (colyseus) t.ratio_to_colyseus = ratio(t, colyseus);
    if (raw) t.ratio_to_raw = ratio(t, raw);
  }
}
