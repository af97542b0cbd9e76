/**
 * `tickwire bots`: headless arena players built on the SDK. They join at a paced rate, wander,
 * aim, fire and now and then build, and report what a player would feel: snapshot rate, RTT,
 * the delay from sending an input to the first snapshot that acknowledges it, bandwidth, and
 * what the server accepted and refused.
 */
import { connect, type ClientRoom } from '@tickwire/client/node';
import { arena, BUILD_RANGE, CELL, GRID_H, GRID_W, type Arena } from '@tickwire/arena/protocol';
import { TickwireError, seededRandom, valuesFromWire, type NetworkConditions } from '@tickwire/protocol';
import { summarize } from './percentiles.js';

export interface BotsOptions {
  url: string;
  room: string;
  clients: number;
  /** Seconds the run lasts, joining included. */
  duration: number;
  /** Inputs per second per bot. */
  rate: number;
  /** Joins per second. */
  joinRate: number;
  /** Progress lines (one a second); pass a no-op to silence. */
  log: (line: string) => void;
  /** Seed for the bots' choices. */
  seed?: number;
  /** Network conditions each bot's link goes through (the SDK's conditioner). */
  conditions?: NetworkConditions;
  /**
   * Decode every snapshot into a replicated view, as a game client does (default false: bots
   * read only the snapshot head, which carries their own ship, and acknowledge every snapshot).
   */
  decode?: boolean;
}

export interface BotsReport {
  clients: number;
  connected: number;
  failed: number;
  duration_s: number;
  snapshots_per_client_s: number;
  down_bytes_per_client_s: number;
  up_bytes_per_client_s: number;
  rtt_ms: { p50: number; p99: number };
  input_ack_ms: { p50: number; p99: number };
  commands_acked: Record<string, number>;
  commands_rejected: Record<string, number>;
  errors: Record<string, number>;
}

interface Bot {
  room: ClientRoom<Arena>;
  joinedAt: number;
  leftAt: number;
  inputsSent: Map<number, number>;
  dx: number;
  dy: number;
  aim: number;
  nextTurn: number;
  nextFire: number;
  nextBuild: number;
}

const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

function errorKey(err: unknown): string {
  if (err instanceof TickwireError) return err.codeName;
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : 'CONNECT_FAILED';
}

/** Runs the bots and resolves with the report. Rejects if the server cannot be reached at all. */
export async function runBots(o: BotsOptions, clock: { now(): number } = performance): Promise<BotsReport> {
  const random = seededRandom(o.seed ?? 1);
  const bots: Bot[] = [];
  const rtts: number[] = [];
  const acks: number[] = [];
  const report = { commands_acked: {} as Record<string, number>, commands_rejected: {} as Record<string, number>, errors: {} as Record<string, number> };
  let failed = 0;
  let firstFailure: unknown;
  const start = clock.now();
  const end = start + o.duration * 1000;
  const joins: Promise<void>[] = [];

  const join = async (i: number) => {
    try {
      const room = await connect({
        url: o.url,
        room: o.room,
        name: `bot-${i}`,
        protocol: arena,
        interpolation: false,
        decodeEntities: o.decode === true,
        conditions: o.conditions,
        random,
        timeoutMs: 10_000,
      });
      const bot: Bot = { room, joinedAt: clock.now(), leftAt: 0, inputsSent: new Map(), dx: 0, dy: 0, aim: 0, nextTurn: 0, nextFire: clock.now() + random() * 1000, nextBuild: clock.now() + 3000 + random() * 10_000 };
      bots.push(bot);
      room.on('pong', (rtt) => rtts.push(rtt));
      room.on('error', (e) => count(report.errors, e.codeName));
      room.on('close', () => (bot.leftAt = bot.leftAt || clock.now()));
      room.on('snapshot', () => {
        const now = clock.now();
        for (const [seq, at] of bot.inputsSent) {
          if (seq > room.ackedInput) break;
          acks.push(now - at);
          bot.inputsSent.delete(seq);
        }
      });
    } catch (err) {
      failed++;
      firstFailure ??= err;
      count(report.errors, errorKey(err));
    }
  };

  // Pace the joins.
  const joinInterval = 1000 / Math.max(1, o.joinRate);
  let launched = 0;
  const joinTimer = setInterval(() => {
    const due = Math.min(o.clients, Math.floor((clock.now() - start) / joinInterval) + 1);
    while (launched < due) joins.push(join(launched++));
    if (launched >= o.clients) clearInterval(joinTimer);
  }, Math.min(50, joinInterval));

  const act = (bot: Bot, now: number) => {
    const room = bot.room;
    if (!room.isOpen) return;
    if (now >= bot.nextTurn) {
      bot.dx = Math.floor(random() * 3) - 1;
      bot.dy = Math.floor(random() * 3) - 1;
      bot.nextTurn = now + 500 + random() * 1000;
      // Like a player, aim where you go, give or take.
      if (bot.dx !== 0 || bot.dy !== 0) bot.aim = (Math.atan2(bot.dy, bot.dx) + (random() - 0.5) + Math.PI * 2) % (Math.PI * 2);
    }
    const aim = bot.aim;
    bot.inputsSent.set(room.sendInput({ dx: bot.dx, dy: bot.dy, aim }), now);
    if (bot.inputsSent.size > 200) bot.inputsSent.delete(bot.inputsSent.keys().next().value!);
    const command = (action: 'fire' | 'build', p: Promise<void>) =>
      p.then(
        () => count(report.commands_acked, action),
        () => count(report.commands_rejected, action),
      );
    if (now >= bot.nextFire) {
      bot.nextFire = now + 600 + random() * 800;
      command('fire', room.sendCommand('combat', 'fire', { angle: aim }));
    }
    if (now >= bot.nextBuild) {
      bot.nextBuild = now + 8000 + random() * 8000;
      // The snapshot head carries our ship's exact state, decoded or not.
      const own = room.ownState;
      if (own) {
        const me = valuesFromWire<Arena, 'ship'>(own.type, own.wire);
        const r = random() * (BUILD_RANGE - CELL);
        const a = random() * Math.PI * 2;
        const cx = Math.min(GRID_W - 1, Math.max(0, Math.floor((me.position.x + Math.cos(a) * r) / CELL)));
        const cy = Math.min(GRID_H - 1, Math.max(0, Math.floor((me.position.y + Math.sin(a) * r) / CELL)));
        command('build', room.sendCommand('build', 'wall', { cx, cy }));
      }
    }
  };

  const inputTimer = setInterval(() => {
    const now = clock.now();
    for (const bot of bots) act(bot, now);
  }, 1000 / o.rate);

  let lastSnaps = 0;
  let lastT = start;
  const progress = setInterval(() => {
    const now = clock.now();
    const snaps = bots.reduce((a, b) => a + b.room.stats.snapshots, 0);
    const open = bots.filter((b) => b.room.isOpen).length;
    const perClient = open > 0 ? (snaps - lastSnaps) / ((now - lastT) / 1000) / open : 0;
    const recent = summarize(rtts.slice(-500));
    o.log(`t=${Math.round((now - start) / 1000)}s connected ${open}/${o.clients} failed ${failed} · ${perClient.toFixed(1)} snapshots/s per client · RTT p50 ${recent.p50} ms`);
    lastSnaps = snaps;
    lastT = now;
  }, 1000);

  await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, end - clock.now())));
  clearInterval(joinTimer);
  clearInterval(inputTimer);
  clearInterval(progress);
  await Promise.allSettled(joins);
  const stop = clock.now();
  for (const bot of bots) {
    if (!bot.leftAt) bot.leftAt = stop;
    bot.room.leave();
  }
  if (bots.length === 0 && firstFailure) throw firstFailure;

  const seconds = bots.reduce((a, b) => a + Math.max(0, b.leftAt - b.joinedAt) / 1000, 0);
  const total = (f: (b: Bot) => number) => bots.reduce((a, b) => a + f(b), 0);
  const perSecond = (n: number) => (seconds > 0 ? Math.round((n / seconds) * 10) / 10 : 0);
  return {
    clients: o.clients,
    connected: bots.length,
    failed,
    duration_s: Math.round((stop - start) / 100) / 10,
    snapshots_per_client_s: perSecond(total((b) => b.room.stats.snapshots)),
    down_bytes_per_client_s: Math.round(perSecond(total((b) => b.room.stats.wireBytesIn))),
    up_bytes_per_client_s: Math.round(perSecond(total((b) => b.room.stats.wireBytesOut))),
    rtt_ms: summarize(rtts),
    input_ack_ms: summarize(acks),
    ...report,
  };
}

