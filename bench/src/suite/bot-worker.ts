/**
 * One worker thread of the load generator: joins its share of the clients, steps them at
 * 20 Hz (pacer.ts), and on request marks the start of the measured window, reports the window
 * (traffic, how late its input rounds were, its event-loop delay, the probe's view and, for
 * tickwire, the recording the raw replay needs) and stops.
 */
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Bot, Probe } from './bot.js';
import { ColyseusBot, inputFrames } from './colyseus-bot.js';
import { Pacer } from './pacer.js';
import { worldProtocol } from './protocols.js';
import { RawBot } from './raw-bot.js';
import { Recorder, TickwireBot } from './tickwire-bot.js';
import { noTraffic, type FromWorker, type ToWorker, type Traffic, type WorkerConfig, type WorkerReport } from './types.js';

/** Joins in flight at once, per worker. */
const JOIN_CONCURRENCY = 16;
/** Clients not joined by then are counted as failed. */
const JOIN_DEADLINE_MS = 120_000;
/** The event-loop delay sampler's timer (ms); its samples include this interval, taken off below. */
const LOOP_RESOLUTION_MS = 10;
const loopDelayMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

/**
 * The generator's threads yield to the server under test: Linux shares the cores thread by
 * thread, so a one-thread server beside eight busy workers would get a fraction of a core and
 * the benchmark would measure the scheduler. Only on Linux, where this sets the calling
 * thread's nice value alone; elsewhere it would lower the whole process, and the servers it
 * starts after would inherit it. A bench already running above nice 10 may not come back down
 * without privileges: it stays where it is.
 */
const GENERATOR_NICE = 10;
const niced = ((): boolean => {
  if (process.platform !== 'linux') return false;
  try {
    setPriority(0, GENERATOR_NICE);
    return true;
  } catch {
    return false;
  }
})();
if (!niced) console.warn(`load generator: not at nice ${GENERATOR_NICE} (Linux only, and not from above it): the server may be starved of CPU`);

const port = parentPort;
if (!port) throw new Error('bot-worker runs as a worker thread (see generator.ts)');
const config = (workerData as { config: WorkerConfig }).config;
const post = (msg: FromWorker) => port.postMessage(msg);

const recorders = config.indices.map(() => (config.record ? new Recorder() : undefined));
const protocol = worldProtocol(config.mapSize);
const frames = inputFrames();

function join(slot: number): Promise<Bot & Partial<Probe>> {
  const index = config.indices[slot]!;
  const probe = config.probe && slot === 0;
  switch (config.system) {
    case 'tickwire':
      return TickwireBot.join({ url: config.url, workload: config.workload, protocol, index, recorder: recorders[slot], probe });
    case 'colyseus':
    case 'colyseus-view':
      return ColyseusBot.join({ httpUrl: config.url, index, probe, frames });
    case 'raw': {
      const replay = config.replay;
      if (!replay) throw new Error('raw clients need the recording of a tickwire run');
      return RawBot.join({ url: config.url, index, recording: replay.clients[slot]!, periodMs: replay.periodMs });
    }
  }
}

// Join, a few at a time, in index order (the first joiner creates the room).
const bots: (Bot & Partial<Probe>)[] = [];
let joined = 0;
let failed = 0;
let firstError: string | undefined;
let next = 0;
const progress = setInterval(() => post({ type: 'progress', joined, failed }), 250);
// A server that cannot take them all (saturated) must not hold the suite up for ever.
const joinDeadline = performance.now() + JOIN_DEADLINE_MS;
const joinNext = async (): Promise<void> => {
  while (next < config.indices.length) {
    if (performance.now() > joinDeadline) {
      failed += config.indices.length - next;
      firstError ??= `joining took longer than ${JOIN_DEADLINE_MS / 1000} s`;
      next = config.indices.length;
      return;
    }
    const slot = next++;
    try {
      bots[slot] = await join(slot);
      joined++;
    } catch (err) {
      failed++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  }
};
if (config.indices.length > 0) {
  try {
    bots[0] = await join(0);
    joined++;
  } catch (err) {
    failed++;
    firstError = err instanceof Error ? err.message : String(err);
  }
}
next = 1;
await Promise.all(Array.from({ length: JOIN_CONCURRENCY }, joinNext));
clearInterval(progress);
const live = bots.filter((b): b is Bot & Partial<Probe> => b !== undefined);
post({ type: 'joined', joined: live.length, failed, ...(firstError ? { error: firstError } : {}) });

const pacer = new Pacer(live);
pacer.start();
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loop.enable();

const probe = config.probe ? bots[0] : undefined;
let probeSum = 0;
let probeSamples = 0;
const probeTimer = probe?.entities ? setInterval(() => {
  probeSum += probe.entities!();
  probeSamples++;
}, 250) : null;

let baseline: Traffic[] = [];
let openAtMark: boolean[] = [];

const sub = (a: Traffic, b: Traffic): Traffic => ({
  downBytes: a.downBytes - b.downBytes,
  downFrames: a.downFrames - b.downFrames,
  snapshots: a.snapshots - b.snapshots,
  upBytes: a.upBytes - b.upBytes,
  upFrames: a.upFrames - b.upFrames,
});

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'mark') {
    baseline = live.map((b) => b.traffic());
    openAtMark = live.map((b) => b.open);
    pacer.takeStats();
    loop.reset();
    probeSum = probeSamples = 0;
    const now = performance.now();
    for (const r of recorders) r?.start(now);
    post({ type: 'marked' });
  } else if (msg.type === 'report') {
    for (const r of recorders) if (r) r.active = false;
    const deltas = live.map((b, i) => sub(b.traffic(), baseline[i] ?? noTraffic()));
    const traffic = deltas.reduce((acc, d) => {
      acc.downBytes += d.downBytes;
      acc.downFrames += d.downFrames;
      acc.snapshots += d.snapshots;
      acc.upBytes += d.upBytes;
      acc.upFrames += d.upFrames;
      return acc;
    }, noTraffic());
    const pace = pacer.takeStats();
    const report: WorkerReport = {
      clients: live.length,
      closed: live.filter((b, i) => openAtMark[i] && !b.open).length,
      traffic,
      minSnapshots: deltas.length > 0 ? Math.min(...deltas.map((d) => d.snapshots)) : 0,
      rounds: pace.rounds,
      lateRounds: pace.lateRounds,
      maxLateMs: pace.maxLateMs,
      loopDelayP99Ms: loopDelayMs(loop.percentile(99)),
      loopDelayMaxMs: loopDelayMs(loop.max),
      ...(probeSamples > 0 ? { probeEntities: probeSum / probeSamples } : {}),
      ...(config.record ? { recording: recorders.map((r) => r?.data ?? { down: [], up: [] }) } : {}),
    };
    post({ type: 'report', report });
  } else if (msg.type === 'stop') {
    pacer.stop();
    loop.disable();
    if (probeTimer) clearInterval(probeTimer);
    for (const b of live) b.close();
    post({ type: 'stopped' });
  }
});
