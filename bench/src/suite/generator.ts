/**
 * The load generator, main-thread side: splits the clients over worker threads (bot-worker.ts),
 * waits for them to join, and marks, collects and stops the measured window across all of
 * them. Its own CPU (all threads) is read with process.cpuUsage, so a run can say how much of
 * the shared machine the generator took.
 */
import { Worker } from 'node:worker_threads';
import type { ClientRecording } from './replay.js';
import { noTraffic, type FromWorker, type ToWorker, type WorkerConfig, type WorkerReport } from './types.js';

export interface GeneratorSpec extends Omit<WorkerConfig, 'indices' | 'replay' | 'probe'> {
  clients: number;
  workers: number;
  /** Raw runs: the recording of the tickwire run, one entry per client index. */
  replay?: { periodMs: number; clients: ClientRecording[] };
}

/** The workers' reports merged. */
export interface GeneratorReport extends Omit<WorkerReport, 'recording'> {
  workers: number;
  /** Generator CPU (cores, all threads) over the window. */
  cpuCores: number;
  /** Per client index (tickwire runs). */
  recording?: ClientRecording[];
}

interface Pending {
  type: FromWorker['type'];
  resolve: (msg: FromWorker) => void;
  reject: (err: Error) => void;
}

class WorkerHandle {
  private pending: Pending | null = null;
  failure: Error | null = null;

  constructor(
    readonly worker: Worker,
    readonly indices: number[],
    onProgress: (msg: Extract<FromWorker, { type: 'progress' }>) => void,
  ) {
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'progress') return onProgress(msg);
      const p = this.pending;
      if (p && p.type === msg.type) {
        this.pending = null;
        p.resolve(msg);
      }
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`a load generator worker exited (${code})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }

  /** Waits for the next message of a type, after sending `msg` if given. */
  expect<T extends FromWorker['type']>(type: T, msg?: ToWorker): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { type, resolve: (m) => resolve(m as Extract<FromWorker, { type: T }>), reject };
      if (msg) this.worker.postMessage(msg);
    });
  }
}

export class LoadGenerator {
  private cpuAtMark = process.cpuUsage();
  private markedAt = 0;

  private constructor(private readonly handles: WorkerHandle[]) {}

  /**
   * Starts the workers and resolves once every client has joined (or failed to).
   * `onProgress` gets the number joined so far.
   */
  static async start(spec: GeneratorSpec, onProgress: (joined: number, failed: number) => void): Promise<{ generator: LoadGenerator; joined: number; failed: number; error?: string }> {
    const workers = Math.max(1, Math.min(spec.workers, spec.clients));
    const shares: number[][] = Array.from({ length: workers }, () => []);
    for (let i = 0; i < spec.clients; i++) shares[i % workers]!.push(i);
    const joined = new Array<number>(workers).fill(0);
    const failed = new Array<number>(workers).fill(0);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const handles = shares.map((indices, w) => {
      const { clients: _c, workers: _w, replay, ...rest } = spec;
      const config: WorkerConfig = {
        ...rest,
        indices,
        probe: w === 0,
        ...(replay ? { replay: { periodMs: replay.periodMs, clients: indices.map((i) => replay.clients[i % replay.clients.length]!) } } : {}),
      };
      const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        workerData: { entry: new URL('./bot-worker.ts', import.meta.url).href, config },
      });
      return new WorkerHandle(worker, indices, (msg) => {
        joined[w] = msg.joined;
        failed[w] = msg.failed;
        onProgress(sum(joined), sum(failed));
      });
    });
    const generator = new LoadGenerator(handles);
    try {
      const results = await Promise.all(handles.map((h) => h.expect('joined')));
      const error = results.find((r) => r.error)?.error;
      return { generator, joined: sum(results.map((r) => r.joined)), failed: sum(results.map((r) => r.failed)), ...(error ? { error } : {}) };
    } catch (err) {
      await generator.stop();
      throw err;
    }
  }

  /** Starts the measured window in every worker. */
  async mark(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.expect('marked', { type: 'mark' })));
    this.cpuAtMark = process.cpuUsage();
    this.markedAt = performance.now();
  }

  /** Ends the window: every worker's report, merged. */
  async report(): Promise<GeneratorReport> {
    const cpu = process.cpuUsage(this.cpuAtMark);
    const secs = (performance.now() - this.markedAt) / 1000;
    const reports = (await Promise.all(this.handles.map((h) => h.expect('report', { type: 'report' })))).map((m) => m.report);
    const traffic = noTraffic();
    for (const r of reports) {
      traffic.downBytes += r.traffic.downBytes;
      traffic.downFrames += r.traffic.downFrames;
      traffic.snapshots += r.traffic.snapshots;
      traffic.upBytes += r.traffic.upBytes;
      traffic.upFrames += r.traffic.upFrames;
    }
    const probe = reports.find((r) => r.probeEntities !== undefined)?.probeEntities;
    let recording: ClientRecording[] | undefined;
    if (reports.some((r) => r.recording)) {
      recording = [];
      this.handles.forEach((h, w) => h.indices.forEach((index, k) => (recording![index] = reports[w]!.recording?.[k] ?? { down: [], up: [] })));
    }
    return {
      workers: this.handles.length,
      cpuCores: (cpu.user + cpu.system) / 1e6 / Math.max(1e-9, secs),
      clients: reports.reduce((a, r) => a + r.clients, 0),
      closed: reports.reduce((a, r) => a + r.closed, 0),
      traffic,
      minSnapshots: Math.min(...reports.map((r) => (r.clients > 0 ? r.minSnapshots : Infinity))),
      rounds: reports.reduce((a, r) => a + r.rounds, 0),
      lateRounds: reports.reduce((a, r) => a + r.lateRounds, 0),
      maxLateMs: Math.max(...reports.map((r) => r.maxLateMs)),
      loopDelayP99Ms: Math.max(...reports.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...reports.map((r) => r.loopDelayMaxMs)),
      ...(probe !== undefined ? { probeEntities: probe } : {}),
      ...(recording ? { recording } : {}),
    };
  }

  /** Closes every client and ends the workers. */
  async stop(): Promise<void> {
    await Promise.all(
      this.handles.map(async (h) => {
        try {
          if (!h.failure) await Promise.race([h.expect('stopped', { type: 'stop' }), new Promise((r) => setTimeout(r, 5000))]);
        } catch {
          // a failed worker has nothing to stop
        }
        await h.worker.terminate();
      }),
    );
  }
}
