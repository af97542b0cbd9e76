/**
 * One run: one system on one transport, one workload, one size. Starts the server process,
 * joins the clients (generator.ts), warms up, then measures a window: the server's CPU and
 * memory from /proc, the clients' traffic, the server's input and tick counts, and how well the
 * generator kept up. A tickwire run also returns its recording for the raw replay.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BRIDGE_SIZE } from './bridge-protocol.js';
import { LoadGenerator, type GeneratorReport } from './generator.js';
import type { Progress } from './progress.js';
import type { Recording } from './replay.js';
import type { Measurement } from './results.js';
import { ARENA_SIZE, openWorldSize, ROOM_CLIENTS } from './rules.js';
import { ServerProcess } from './server-process.js';
import { isColyseus, type Contender, type Workload } from './types.js';

export interface RunSpec extends Contender {
  workload: Workload;
  clients: number;
}

export interface RunOptions {
  durationS: number;
  warmupS: number;
  /** Worker threads for the generator (default: one per 250 clients, at most 8). */
  workers?: number;
  /** Stop a run whose server grows past this (MB): a server that cannot keep up buffers without end. */
  maxRssMb: number;
  verbose: boolean;
  progress: Progress;
}

export interface RunOutput {
  measurement: Measurement;
  recording?: Recording;
}

export const mapSizeOf = (workload: Workload, clients: number): number =>
  workload === 'open-world' ? openWorldSize(clients) : workload === 'bridge' ? BRIDGE_SIZE : ARENA_SIZE;
export const roomsOf = (workload: Workload, clients: number): number => (workload === 'rooms' ? Math.ceil(clients / ROOM_CLIENTS) : 1);
/**
 * One worker per 250 clients: a thread with 500 SDK clients falls behind on this machine (their
 * snapshots arrive in one burst per tick), which makes acks late and snapshots larger.
 */
export const defaultWorkers = (clients: number): number => Math.max(1, Math.min(8, Math.ceil(clients / 250)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server process of a run: its script and arguments. */
function serverCommand(spec: RunSpec, mapSize: number, replayFile: string | undefined): { script: string; args: string[] } {
  const { system, transport, workload, clients } = spec;
  const on = ['--transport', transport];
  if (system === 'tickwire') {
    return { script: 'tickwire-server.ts', args: [...on, '--workload', workload, '--size', String(mapSize), '--players', String(clients)] };
  }
  if (isColyseus(system)) return { script: 'colyseus-server.ts', args: [...on, '--size', String(mapSize), ...(system === 'colyseus-view' ? ['--view'] : [])] };
  if (!replayFile) throw new Error('a raw run replays a tickwire run of the same workload: run tickwire first');
  return { script: 'raw-server.ts', args: [...on, '--replay', replayFile] };
}

export async function runOne(spec: RunSpec, o: RunOptions, replay?: Recording): Promise<RunOutput> {
  const { system, transport, workload, clients } = spec;
  const mapSize = mapSizeOf(workload, clients);
  const label = `${system} ${transport} ${workload} ${clients}`;
  const m: Measurement = {
    system,
    transport,
    workload,
    clients,
    rooms: roomsOf(workload, clients),
    mapSize,
    seconds: 0,
    serverCpuSeconds: 0,
    rssIdleBytes: 0,
    rssEndBytes: 0,
    joined: 0,
  };
  let tmp: string | undefined;
  let server: ServerProcess | undefined;
  let generator: LoadGenerator | undefined;
  const script = (name: string) => new URL(`./${name}`, import.meta.url);
  try {
    o.progress.status(`${label}: starting the server`);
    let replayFile: string | undefined;
    if (system === 'raw' && replay) {
      tmp = mkdtempSync(join(tmpdir(), 'tickwire-bench-'));
      replayFile = join(tmp, 'replay.json');
      writeFileSync(replayFile, JSON.stringify(replay));
    }
    const command = serverCommand(spec, mapSize, replayFile);
    server = await ServerProcess.start(script(command.script), command.args, o);
    const srv = server;
    m.rssIdleBytes = srv.rssBytes();
    const url = system === 'tickwire' ? `ws://127.0.0.1:${srv.port}/ws` : isColyseus(system) ? `http://127.0.0.1:${srv.port}` : `ws://127.0.0.1:${srv.port}/`;

    const started = await LoadGenerator.start(
      { system, workload, url, mapSize, clients, workers: o.workers ?? defaultWorkers(clients), record: system === 'tickwire', ...(replay ? { replay } : {}) },
      (joined, failed) => o.progress.status(`${label}: joining ${joined}/${clients}${failed ? ` (${failed} failed)` : ''}`),
    );
    generator = started.generator;
    m.joined = started.joined;
    if (started.error) m.joinError = started.error;
    if (started.joined === 0) {
      m.aborted = 'no client could join';
      return { measurement: m };
    }

    // Watch the server while waiting: it must stay up and within the memory guard.
    const guard = (): string | undefined => {
      if (!srv.alive) return 'the server process exited';
      const mb = srv.rssBytes() / 1048576;
      return mb > o.maxRssMb ? `the server grew past ${o.maxRssMb} MB (${Math.round(mb)} MB): stopped` : undefined;
    };
    const wait = async (seconds: number, status: (elapsed: number) => string): Promise<string | undefined> => {
      const end = performance.now() + seconds * 1000;
      for (;;) {
        const left = end - performance.now();
        if (left <= 0) return undefined;
        await sleep(Math.min(1000, left));
        const problem = guard();
        if (problem) return problem;
        o.progress.status(status(seconds - Math.max(0, end - performance.now()) / 1000));
      }
    };

    const warm = await wait(o.warmupS, (s) => `${label}: warming up ${Math.round(s)}/${o.warmupS} s`);
    if (warm) {
      m.aborted = warm;
      return { measurement: m };
    }
    await generator.mark();
    const cpu0 = srv.cpuSeconds();
    const t0 = performance.now();
    // A saturated server answers late (or not at all): never hold the window up for it.
    const stats = (detail: boolean) => srv.stats(detail).catch(() => undefined);
    const before = stats(false);
    let lastCpu = cpu0;
    let lastT = t0;
    const problem = await wait(o.durationS, (s) => {
      const cpu = srv.alive ? srv.cpuSeconds() : lastCpu;
      const now = performance.now();
      const cores = (cpu - lastCpu) / ((now - lastT) / 1000);
      lastCpu = cpu;
      lastT = now;
      return `${label}: measuring ${Math.round(s)}/${o.durationS} s · server ${cores.toFixed(2)} cores`;
    });
    const alive = srv.alive;
    m.serverCpuSeconds = (alive ? srv.cpuSeconds() : lastCpu) - cpu0;
    m.seconds = (performance.now() - t0) / 1000;
    m.rssEndBytes = alive ? srv.rssBytes() : 0;
    // After the CPU reading: the open world's neighbour count costs the server a little.
    const [start, after] = await Promise.all([before, alive ? stats(workload === 'open-world') : undefined]);
    if (start && after) m.serverInputs = after.inputs - start.inputs;
    if (start?.ticks !== undefined && after?.ticks !== undefined) m.serverTicks = after.ticks - start.ticks;
    if (after?.neighbours !== undefined) m.neighbours = after.neighbours;
    const report: GeneratorReport = await generator.report();
    m.generator = report;
    if (problem) m.aborted = problem;
    const out: RunOutput = { measurement: m };
    if (report.recording) {
      const recorded = report.recording;
      out.recording = { periodMs: m.seconds * 1000, clients: Array.from({ length: clients }, (_, i) => recorded[i] ?? { down: [], up: [] }) };
    }
    return out;
  } finally {
    o.progress.status(`${label}: stopping`);
    await generator?.stop();
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
