/**
 * A fuzz run against a live arena server in a child process: honest players join and their
 * snapshot rate is measured; attackers send a bounded number of hostile frames and requests
 * from several loopback source addresses; one address then floods; at the end the server must
 * be alive, answer /api/health, and still be sending the honest players their snapshots.
 *
 * Used by tests/src/fuzz.test.ts (tens of thousands of frames) and by `npm run fuzz` (as many
 * as asked for). A crash is the child process exiting; with `restartOnCrash` the run records
 * it (exit, stderr tail, last frames sent), starts a new server and carries on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arena } from '@tickwire/arena/protocol';
import { defaultLimits } from '@tickwire/server';
import { Attacker, type AttackTarget } from './attacker.js';
import { flood, type FloodReport } from './flood.js';
import { HonestPlayers, RateWindow, round } from './honest.js';
import { Rng } from './raw.js';
import { ServerChild, type ExitInfo } from './server-child.js';
import { FuzzStats, Pacer, sleep, type Counter, type SentFrame } from './stats.js';

export interface FuzzOptions {
  /** Frames (and raw requests) to send in the fuzz phase. */
  frames: number;
  /** Frames per second, all attackers together. */
  rate: number;
  /** Attackers running at once. */
  attackers: number;
  honest: number;
  seed: number;
  /** How long to measure the honest players' rate before the attack. */
  baselineMs: number;
  /** Keep the arena's durable state in SQLite (in a temporary folder). */
  sqlite: boolean;
  flood: boolean;
  restartOnCrash: boolean;
  progress?: (line: string) => void;
}

/**
 * Server limits for the run. Per connection they sit well above what one attacker sends, so the
 * frames reach the decoders instead of the rate limiter; per address they are what a server
 * facing the internet would set, and the flood phase runs into them. Names the server does not
 * declare are left out (and listed in the summary).
 */
export const FUZZ_LIMITS: Readonly<Record<string, number>> = {
  messagesPerSecond: 2000,
  messageBurst: 4000,
  floodTolerance: 2000,
  maxProtocolErrors: 100,
  maxConnectionsPerAddress: 24,
  roomCreationsPerMinutePerAddress: 600,
  maxDetachedSeatsPerAddress: 32,
  floodPenaltyMs: 10_000,
  // Attackers share out ~3,000 frames a second over eight addresses; one flooding address is far over.
  messagesPerSecondPerAddress: 5000,
};

export const HONEST_ROOM = 'fuzz-main';
const OTHER_ROOMS = ['fuzz-a', 'fuzz-b', 'fuzz-c'];

export interface CrashReport {
  /** Frames sent when the server was found dead. */
  afterFrames: number;
  exit: ExitInfo;
  stderrTail: string[];
  lastFrames: SentFrame[];
}

export interface FuzzSummary {
  seed: number;
  durationMs: number;
  frames: { total: number; byCategory: Counter; ratePerSecond: number };
  attackers: number;
  sourceAddresses: string[];
  connections: { opened: number; refused: Counter; closedBy: Counter };
  crashes: number;
  crashReports: CrashReport[];
  /** ERROR codes attackers received, and the server's own count by code (/metrics). */
  errors: { received: Counter; commandResults: Counter; serverMetrics: Counter };
  /** Error-level lines the server logged, by message. */
  serverErrorLogs: Record<string, { count: number; example: string }>;
  undecodableServerFrames: { count: number; samples: string[] };
  http: { byStatus: Counter; serverErrors: Counter; unanswered: Counter };
  wsFraming: Counter;
  flood: FloodReport | null;
  honest: {
    clients: number;
    disconnected: { name: string; code: number; reason: string }[];
    errors: Counter;
    /** Mean snapshots per second per honest client. */
    before: number;
    during: number;
    duringFlood: number | null;
    ratio: number;
    /** Snapshots each client received during the fuzz phase. */
    duringPerClient: number[];
    /** Each client received snapshots after the run. */
    receivingAfter: boolean;
  };
  health: { status: number | string; body: unknown };
  serverExit: ExitInfo | null;
  limits: Record<string, number>;
  limitsNotDeclared: string[];
}

/** Loopback addresses other than 127.0.0.1 work as source addresses on Linux; not everywhere. */
async function aliasesWork(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function getJson(url: string): Promise<{ status: number | string; body: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body };
  } catch (err) {
    return { status: (err as Error).message, body: null };
  }
}

/** tickwire_errors_total by code, from the Prometheus text. */
async function errorMetrics(url: string): Promise<Counter> {
  const out: Counter = {};
  const { body } = await getJson(`${url}/metrics`);
  if (typeof body !== 'string') return out;
  for (const m of body.matchAll(/^tickwire_errors_total\{code="([^"]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const log = o.progress ?? (() => undefined);
  const started = performance.now();
  const rng = new Rng(o.seed);
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-fuzz-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>fuzz</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  const limits = Object.fromEntries(Object.entries(FUZZ_LIMITS).filter(([k]) => k in defaultLimits));
  const limitsNotDeclared = Object.keys(FUZZ_LIMITS).filter((k) => !(k in defaultLimits));
  const maxFrameBytes = defaultLimits.maxFrameBytes;
  const serverConfig = { limits, staticDir: dir, db: o.sqlite ? join(dir, 'fuzz.db') : undefined };

  let server = await ServerChild.start(serverConfig);
  const crashReports: CrashReport[] = [];
  const stats = new FuzzStats();
  const segments: { players: HonestPlayers; window: RateWindow }[] = [];
  let players: HonestPlayers | undefined;
  let flooded: FloodReport | null = null;
  let duringFlood: number | null = null;
  let before = 0;
  let receivingAfter = false;
  let health: FuzzSummary['health'] = { status: 'not checked', body: null };
  let serverMetrics: Counter = {};
  let serverExit: ExitInfo | null = null;
  const allErrorLogs = new Map<string, { count: number; example: string }>();
  const collectLogs = (s: ServerChild) => {
    for (const [k, v] of s.errorLogs) {
      const seen = allErrorLogs.get(k);
      if (seen) seen.count += v.count;
      else allErrorLogs.set(k, { ...v });
    }
  };

  try {
    const aliases = await aliasesWork(server.port);
    const attackerAddresses = aliases ? Array.from({ length: 8 }, (_, i) => `127.0.0.${10 + i}`) : [undefined];
    const floodAddress = aliases ? '127.0.0.99' : undefined;
    log(`server pid ${server.pid} at ${server.url}; attackers from ${aliases ? attackerAddresses.join(', ') : '127.0.0.1 only (no loopback aliases here)'}`);

    players = await HonestPlayers.join(server.wsUrl, HONEST_ROOM, o.honest);
    await sleep(500);
    const baseline = new RateWindow(players);
    await sleep(o.baselineMs);
    before = baseline.read().rate;
    log(`honest baseline: ${before} snapshots/s per client`);

    // The fuzz phase.
    const targets: AttackTarget[] = [];
    const pacer = new Pacer(o.rate);
    let halted = false;
    const going = () => !halted && stats.total < o.frames && server.alive;
    segments.push({ players, window: new RateWindow(players) });
    const runAttackers = () =>
      Array.from({ length: o.attackers }, (_, i) => {
        const t: AttackTarget = {
          host: '127.0.0.1',
          port: server.port,
          wsPath: '/ws',
          wsUrl: server.wsUrl,
          localAddress: attackerAddresses[i % attackerAddresses.length],
          game: arena,
          maxFrameBytes,
          honestRoom: HONEST_ROOM,
          otherRooms: OTHER_ROOMS,
        };
        targets.push(t);
        return new Attacker(t, stats, pacer, rng.fork(), going).run();
      });
    const fuzzStart = performance.now();
    const ticker = setInterval(() => {
      const s = (performance.now() - fuzzStart) / 1000;
      const seg = segments[segments.length - 1]!;
      log(`${stats.total}/${o.frames} frames, ${Math.round(stats.total / s)}/s, ${stats.connections.opened} connections, honest ${seg.window.read().rate} snapshots/s, crashes ${crashReports.length}`);
    }, 2000);
    try {
      while (stats.total < o.frames) {
        await Promise.all(runAttackers());
        if (server.alive) break;
        // The server died under us.
        const exit = await server.exited;
        crashReports.push({ afterFrames: stats.total, exit, stderrTail: [...server.stderrTail], lastFrames: stats.lastFrames(40) });
        collectLogs(server);
        log(`CRASH after ${stats.total} frames: exit ${exit.code ?? exit.signal}; ${server.stderrTail.slice(-3).join(' / ')}`);
        if (!o.restartOnCrash) {
          halted = true;
          break;
        }
        players.close();
        server = await ServerChild.start(serverConfig);
        players = await HonestPlayers.join(server.wsUrl, HONEST_ROOM, o.honest);
        segments.push({ players, window: new RateWindow(players) });
      }
    } finally {
      clearInterval(ticker);
    }
    const fuzzMs = performance.now() - fuzzStart;
    const seg = segments.map((s) => s.window.read());
    const duringPerClient = seg[seg.length - 1]!.perClient;
    const during = round(seg.reduce((a, s) => a + s.rate * s.seconds, 0) / Math.max(1e-9, seg.reduce((a, s) => a + s.seconds, 0)), 2);
    log(`fuzz phase: ${stats.total} frames in ${round(fuzzMs / 1000, 1)} s; honest ${during} snapshots/s per client`);

    if (o.flood && server.alive) {
      const w = new RateWindow(players);
      flooded = await flood({
        wsUrl: server.wsUrl,
        game: arena,
        room: HONEST_ROOM,
        localAddress: floodAddress,
        connections: (limits.maxConnectionsPerAddress ?? 24) + 16,
        flooders: 4,
        framesPerFlooder: 20_000,
      });
      duringFlood = w.read().rate;
      log(`flood: ${flooded.frames} frames; honest ${duringFlood} snapshots/s per client`);
    }

    // Still serving the honest players?
    if (server.alive) {
      const at = players.snapshots();
      const deadline = performance.now() + 5000;
      while (performance.now() < deadline && !players.snapshots().every((n, i) => n >= at[i]! + 5)) await sleep(20);
      receivingAfter = players.snapshots().every((n, i) => n >= at[i]! + 5);
      health = await getJson(`${server.url}/api/health`);
      serverMetrics = await errorMetrics(server.url);
    }
    const report = players.report();
    const result: FuzzSummary = {
      seed: o.seed,
      durationMs: 0,
      frames: { total: stats.total, byCategory: stats.frames, ratePerSecond: Math.round(stats.total / (fuzzMs / 1000)) },
      attackers: o.attackers,
      sourceAddresses: attackerAddresses.map((a) => a ?? '127.0.0.1'),
      connections: stats.connections,
      crashes: crashReports.length,
      crashReports,
      errors: { received: stats.errors, commandResults: stats.commandResults, serverMetrics },
      serverErrorLogs: {},
      undecodableServerFrames: { count: stats.undecodable, samples: stats.undecodableSamples },
      http: { byStatus: stats.http, serverErrors: stats.http5xx, unanswered: stats.httpUnanswered },
      wsFraming: stats.wsFraming,
      flood: flooded,
      honest: {
        clients: report.clients,
        disconnected: report.disconnected,
        errors: report.errors,
        before,
        during,
        duringFlood,
        ratio: before > 0 ? round(during / before, 3) : 0,
        duringPerClient,
        receivingAfter,
      },
      health,
      serverExit: null,
      limits,
      limitsNotDeclared,
    };
    players.close();
    players = undefined;
    const wasAlive = server.alive;
    serverExit = await server.stop();
    if (!wasAlive && crashReports.every((c) => c.exit !== serverExit)) {
      crashReports.push({ afterFrames: stats.total, exit: serverExit, stderrTail: [...server.stderrTail], lastFrames: stats.lastFrames(40) });
    }
    collectLogs(server);
    result.crashes = crashReports.length;
    result.serverExit = serverExit;
    result.serverErrorLogs = Object.fromEntries(allErrorLogs);
    result.durationMs = Math.round(performance.now() - started);
    return result;
  } finally {
    players?.close();
    if (server.alive) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
