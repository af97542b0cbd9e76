/**
 * Prometheus metrics for one server instance (its own registry: two servers in one process do
 * not share counters). Byte and frame counts are plain numbers folded into the registry when it
 * is scraped, so counting a frame costs an addition, not a metric-library call.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { errorCodeName } from '@tickwire/protocol';
import type { PersistenceStats } from './persistence.js';
import type { ServerStats } from './stats.js';

export interface MetricsSource {
  rooms(): number;
  clients(): number;
}

/** A counter whose value is kept outside prom-client and reported on scrape. */
function lazyCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v > reported) this.inc(v - reported);
      reported = v;
    },
  });
}

/** One value of a histogram as prom-client's registry reads it when scraped. */
interface HistogramValue {
  labels: { le?: number | '+Inf' };
  sharedLabels: Record<string, never>;
  /** Buckets carry no exemplar, as in prom-client's histograms without them. */
  exemplar?: null;
  value: number;
  metricName: string;
}

/**
 * A histogram counted here, not by prom-client. Snapshot sizes take one observation per frame
 * sent (tick times one per room and tick), so an observation must cost a bucket search and three
 * additions; prom-client's `observe` builds a label object, a hash string and a closure per call,
 * which was 7 % of what a busy server allocated. Exported in prom-client's own format: the
 * registry calls `getForPromString` (the text exposition) and `get` (JSON, derived from it).
 */
const noLabels = (labels: unknown): boolean => labels === undefined || (typeof labels === 'object' && labels !== null && Object.keys(labels).length === 0);

export class CountedHistogram extends Histogram {
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly bounds: readonly number[];
  private readonly counts: Float64Array;
  private total = 0;
  private observations = 0;

  constructor(config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    const bounds = [...config.buckets].sort((a, b) => a - b);
    super({ name: config.name, help: config.help, buckets: bounds, registers: config.registers });
    this.metricName = config.name;
    this.metricHelp = config.help;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
    // prom-client's entry point, for code that has a Histogram in hand (startTimer's end calls
    // it too, with empty labels): this histogram keeps no labels. Histogram's constructor sets
    // its own `observe` on the instance, so this one is set the same way. (Hot paths call `record`.)
    this.observe = (...args: unknown[]): void => {
      const [first, second] = args;
      if (args.length === 1 && typeof first === 'number') return this.record(first);
      if (noLabels(first) && typeof second === 'number') return this.record(second);
      throw new TypeError(`${config.name} has no labels: call observe(value)`);
    };
  }

  override labels(...args: unknown[]): never {
    throw new TypeError(`${this.metricName} has no labels (asked for ${args.length})`);
  }

  override zero(labels: Record<string, string | number>): void {
    if (!noLabels(labels)) throw new TypeError(`${this.metricName} has no labels`);
    this.reset();
  }

  override reset(): void {
    super.reset();
    // Histogram's constructor calls reset() too, before this class's fields exist.
    if (this.counts === undefined) return;
    this.counts.fill(0);
    this.total = 0;
    this.observations = 0;
  }

  /** Counts one observation (a finite number, as prom-client requires). */
  record(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.metricName}: not a finite number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]! += 1;
    this.total += value;
    this.observations++;
  }

  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: HistogramValue[]; aggregator: 'sum' }> {
    const name = this.metricName;
    const bucket = `${name}_bucket`;
    const values: HistogramValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      values.push({ labels: { le: this.bounds[i]! }, sharedLabels: {}, value: cumulative, metricName: bucket, exemplar: null });
    }
    values.push(
      { labels: { le: '+Inf' }, sharedLabels: {}, value: this.observations, metricName: bucket, exemplar: null },
      { labels: {}, sharedLabels: {}, value: this.total, metricName: `${name}_sum` },
      { labels: {}, sharedLabels: {}, value: this.observations, metricName: `${name}_count` },
    );
    return { name, help: this.metricHelp, type: 'histogram', values, aggregator: 'sum' };
  }
}

export class ServerMetrics implements ServerStats, PersistenceStats {
  readonly registry = new Registry();
  private readonly tickHistogram: CountedHistogram;
  private readonly snapshotHistogram: CountedHistogram;
  private readonly errors: Counter<'code'>;
  private readonly gameFaults: Counter<'hook'>;
  private readonly queueDepths = new Map<string, number>();
  private readonly checkpointHistogram: Histogram;
  private readonly checkpointFailures: Counter;
  totals = { bytesIn: 0, bytesOut: 0, snapshots: 0, fullSnapshots: 0, snapshotsSkipped: 0, ticksDropped: 0, ticks: 0, viewDigests: 0, fullSnapshotRequests: 0 };

  constructor(source: MetricsSource, options: { defaultMetrics?: boolean } = {}) {
    const registry = this.registry;
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tickwire_process_' });
    new Gauge({ name: 'tickwire_rooms', help: 'Rooms in this process', registers: [registry], collect() { this.set(source.rooms()); } });
    new Gauge({ name: 'tickwire_clients', help: 'Connected clients', registers: [registry], collect() { this.set(source.clients()); } });
    const totals = this.totals;
    lazyCounter(registry, 'tickwire_bytes_in_total', 'Bytes received from clients', () => totals.bytesIn);
    lazyCounter(registry, 'tickwire_bytes_out_total', 'Bytes sent to clients', () => totals.bytesOut);
    lazyCounter(registry, 'tickwire_snapshots_total', 'Snapshot frames sent', () => totals.snapshots);
    lazyCounter(registry, 'tickwire_full_snapshots_total', 'Snapshot frames sent without a baseline', () => totals.fullSnapshots);
    lazyCounter(registry, 'tickwire_snapshots_skipped_total', 'Snapshots skipped because a client socket was backed up', () => totals.snapshotsSkipped);
    lazyCounter(registry, 'tickwire_ticks_dropped_total', 'Ticks dropped by catch-up when a room fell behind', () => totals.ticksDropped);
    lazyCounter(registry, 'tickwire_ticks_total', 'Ticks simulated', () => totals.ticks);
    lazyCounter(registry, 'tickwire_view_digests_total', 'Snapshots that carried a view digest', () => totals.viewDigests);
    lazyCounter(
      registry,
      'tickwire_full_snapshot_requests_total',
      'ACKs of 0: clients that asked for a full snapshot (a view found wrong by its digest, a missed snapshot, a failed decode, or a lossy link announcing itself)',
      () => totals.fullSnapshotRequests,
    );
    this.tickHistogram = new CountedHistogram({
      name: 'tickwire_tick_duration_seconds',
      help: 'Time to simulate one room tick, snapshots included',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [registry],
    });
    this.snapshotHistogram = new CountedHistogram({
      name: 'tickwire_snapshot_bytes',
      help: 'Size of snapshot frames sent',
      buckets: [16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536],
      registers: [registry],
    });
    this.errors = new Counter({ name: 'tickwire_errors_total', help: 'Errors by code', labelNames: ['code'], registers: [registry] });
    this.gameFaults = new Counter({
      name: 'tickwire_game_faults_total',
      help: 'Exceptions thrown by game code, by hook (caught at the room fault boundary)',
      labelNames: ['hook'],
      registers: [registry],
    });
    const depths = this.queueDepths;
    new Gauge({
      name: 'tickwire_write_queue_depth',
      help: 'Checkpoint and commit jobs waiting for the database, all rooms',
      registers: [registry],
      collect() {
        let n = 0;
        for (const d of depths.values()) n += d;
        this.set(n);
      },
    });
    this.checkpointHistogram = new Histogram({
      name: 'tickwire_checkpoint_seconds',
      help: 'Time to write one checkpoint or critical commit',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    });
    this.checkpointFailures = new Counter({ name: 'tickwire_checkpoint_failures_total', help: 'Checkpoint writes that failed (retried with the next one)', registers: [registry] });
  }

  tickDuration(ms: number): void {
    this.totals.ticks++;
    this.tickHistogram.record(ms / 1000);
    this.recentTicks[this.recentHead] = ms;
    this.recentHead = (this.recentHead + 1) % this.recentTicks.length;
    if (this.recentCount < this.recentTicks.length) this.recentCount++;
  }

  private readonly recentTicks = new Float64Array(8192);
  private recentHead = 0;
  private recentCount = 0;

  /** Exact percentiles (ms) of the last 8192 tick durations, all rooms; `reset` starts a new window. */
  tickPercentiles(reset = false): { count: number; p50: number; p99: number; max: number } {
    const xs = Array.from(this.recentTicks.subarray(0, this.recentCount)).sort((a, b) => a - b);
    const at = (p: number) => (xs.length === 0 ? 0 : xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!);
    const out = { count: xs.length, p50: at(50), p99: at(99), max: xs.at(-1) ?? 0 };
    if (reset) this.recentCount = this.recentHead = 0;
    return out;
  }

  ticksDropped(n: number): void {
    this.totals.ticksDropped += n;
  }

  snapshotSent(bytes: number, full: boolean): void {
    this.totals.snapshots++;
    if (full) this.totals.fullSnapshots++;
    this.snapshotHistogram.record(bytes);
  }

  snapshotSkipped(): void {
    this.totals.snapshotsSkipped++;
  }

  viewDigestSent(): void {
    this.totals.viewDigests++;
  }

  fullSnapshotRequested(): void {
    this.totals.fullSnapshotRequests++;
  }

  error(code: number): void {
    this.errors.inc({ code: errorCodeName(code) });
  }

  gameFault(hook: string): void {
    // Command hooks name their command; label by the hook kind so the series stay few.
    this.gameFaults.inc({ hook: hook.startsWith('command ') ? 'command' : hook });
  }

  queueDepth(room: string, depth: number): void {
    if (depth === 0) this.queueDepths.delete(room);
    else this.queueDepths.set(room, depth);
  }

  checkpointWritten(ms: number): void {
    this.checkpointHistogram.observe(ms / 1000);
  }

  checkpointFailed(): void {
    this.checkpointFailures.inc();
  }

  bytesIn(n: number): void {
    this.totals.bytesIn += n;
  }

  bytesOut(n: number): void {
    this.totals.bytesOut += n;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
