/**
 * `tickwire bots`: headless players built on the SDK. The run joins them at a paced rate, calls
 * the game's bot module to send inputs and commands, and reports what a player would feel:
 * snapshot rate, RTT, the delay from sending an input to the first snapshot that acknowledges
 * it, bandwidth, and what the server accepted and refused. What the bots do is the game's (see
 * define-bot.ts); measuring it is this module's.
 */
import { connect, type ClientRoom } from '@tickwire/client/node';
import { TickwireError, seededRandom, type GameProtocol, type NetworkConditions } from '@tickwire/protocol';
import type { Bot, BotDefinition, Think } from './define-bot.js';
import { summarize } from './percentiles.js';

export interface BotsOptions<P extends GameProtocol> {
  /** What the bots do: the game's bot module (see {@link defineBot}). */
  bot: BotDefinition<P>;
  /** The server's WebSocket URL; or `gateway`, a cluster's gateway, which names the process for each bot. */
  url?: string;
  gateway?: string;
  /** Room code to join (default: the bot module's `room`, or its `create`, else `bots`). */
  room?: string;
  /** Room type the first bot creates; the others join the code it got. Not with `room`. */
  create?: string;
  clients: number;
  /** Seconds the run lasts, joining included. */
  duration: number;
  /** Beats per second per bot: how often its think function runs (and, usually, inputs are sent). */
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
   * Decode every snapshot into a replicated view, as a game client does (default: the bot
   * module's `decode`, else false: bots read only the snapshot head, which carries their own
   * entity, and acknowledge every snapshot).
   */
  decode?: boolean;
  /**
   * How long the first bot may take to join, in ms (default 5000). The run starts with that one
   * join, so a server that is down or does not answer fails the run in seconds.
   */
  connectTimeoutMs?: number;
  /**
   * Bot i's token, for a server that requires one (the CLI signs `bot-<i>` JWTs when
   * TICKWIRE_JWT_SECRET is set). Default: none, which an anonymous-mode server takes as a guest.
   */
  token?: (index: number) => string | Promise<string>;
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
  /** Commands the server accepted, by `"<feature>.<action>"`. */
  commands_acked: Record<string, number>;
  /** Commands the server refused, by `"<feature>.<action>"`. */
  commands_rejected: Record<string, number>;
  /** Joins that failed and errors the server sent, by error code. */
  errors: Record<string, number>;
}

/** The first bot could not join: the server is down, does not answer, or refused the room. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
}

/** The bot module threw: a bug in the game's bot, so the run stops instead of repeating it. */
export class BotFault extends Error {
  override readonly name = 'BotFault';
}

interface Runner<P extends GameProtocol> {
  room: ClientRoom<P>;
  think: Think;
  joinedAt: number;
  leftAt: number;
  /** Sent input seq → when, until a snapshot acknowledges it. */
  inputsSent: Map<number, number>;
}

const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

function errorKey(err: unknown): string {
  if (err instanceof TickwireError) return err.codeName;
  const code = field(err, 'code') ?? field(field(err, 'cause'), 'code');
  return typeof code === 'string' ? code : 'CONNECT_FAILED';
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

/**
 * Runs the bots and resolves with the report. Rejects with a {@link JoinError} when the first
 * bot cannot join (within `connectTimeoutMs`), and with a {@link BotFault} when the bot module
 * throws.
 *
 * @example
 * import arenaBot from '@tickwire/arena/bot';
 * const report = await runBots({ bot: arenaBot, url: 'ws://127.0.0.1:8080/ws', clients: 50, duration: 10, rate: 20, joinRate: 100, log: console.error });
 * console.log(report.rtt_ms.p99);
 */
export async function runBots<P extends GameProtocol>(o: BotsOptions<P>, clock: { now(): number } = performance): Promise<BotsReport> {
  const definition = o.bot;
  const random = seededRandom(o.seed ?? 1);
  if (o.room !== undefined && o.create !== undefined) throw new TypeError('runBots: give room (a code to join) or create (a room type), not both');
  // Where the first bot goes; the others follow it to the code it joined.
  const first: { room: string } | { create: string } =
    o.room !== undefined ? { room: o.room } : o.create !== undefined ? { create: o.create } : definition.room !== undefined ? { room: definition.room } : definition.create !== undefined ? { create: definition.create } : { room: 'bots' };
  let roomCode = 'room' in first ? first.room : '';
  const decode = o.decode ?? definition.decode ?? false;
  const runners: Runner<P>[] = [];
  const rtts: number[] = [];
  const acks: number[] = [];
  const report = { commands_acked: {} as Record<string, number>, commands_rejected: {} as Record<string, number>, errors: {} as Record<string, number> };
  let failed = 0;
  const start = clock.now();
  const end = start + o.duration * 1000;
  const joins: Promise<void>[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];
  let stopEarly: (fault: BotFault) => void = () => undefined;
  const faulted = new Promise<BotFault>((resolve) => (stopEarly = resolve));
  let fault: BotFault | undefined;

  // A throw in the bot module is the game's bug: stop the run and say where, once.
  const guard = <T>(what: string, fn: () => T): T | undefined => {
    if (fault) return undefined;
    try {
      return fn();
    } catch (err) {
      fault = new BotFault(`the bot module's ${what} threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      stopEarly(fault);
      return undefined;
    }
  };

  const handle = (index: number, room: ClientRoom<P>, inputsSent: Map<number, number>): Bot<P> => ({
    index,
    room,
    random,
    sendInput(input) {
      const seq = room.sendInput(input);
      if (seq === 0) return;
      inputsSent.set(seq, clock.now());
      // Inputs that never get an ack (a lost snapshot run) must not pile up.
      if (inputsSent.size > 200) inputsSent.delete(inputsSent.keys().next().value!);
    },
    sendCommand(feature, action, payload, options) {
      const key = `${feature}.${action}`;
      room.sendCommand(feature, action, payload, options).then(
        () => count(report.commands_acked, key),
        () => count(report.commands_rejected, key),
      );
    },
  });

  const tokenFor = o.token;
  const join = async (i: number, timeoutMs: number): Promise<void> => {
    const room = await connect({
      ...(o.gateway !== undefined ? { gateway: o.gateway } : { url: o.url }),
      ...(i === 0 ? first : { room: roomCode }),
      name: `bot-${i}`,
      ...(tokenFor ? { token: () => tokenFor(i) } : {}),
      protocol: definition.protocol,
      interpolation: false,
      decodeEntities: decode,
      conditions: o.conditions,
      random,
      timeoutMs,
    });
    const inputsSent = new Map<number, number>();
    const bot = handle(i, room, inputsSent);
    const now = clock.now();
    const think = guard('spawn()', () => {
      const t = definition.spawn(bot, now);
      // Typed, but a bot module written in JavaScript may return anything.
      if (typeof t !== 'function') throw new TypeError(`it must return the bot's think function, (now) => { ... }, not ${typeof t}`);
      return t;
    }) ?? (() => undefined);
    const runner: Runner<P> = { room, think, joinedAt: now, leftAt: 0, inputsSent };
    runners.push(runner);
    room.on('pong', (rtt) => rtts.push(rtt));
    room.on('error', (e) => count(report.errors, e.codeName));
    room.on('close', () => (runner.leftAt = runner.leftAt || clock.now()));
    room.on('snapshot', () => {
      const at = clock.now();
      for (const [seq, sentAt] of inputsSent) {
        if (seq > room.ackedInput) break;
        acks.push(at - sentAt);
        inputsSent.delete(seq);
      }
    });
  };
  const tryJoin = (i: number) =>
    join(i, 10_000).catch((err: unknown) => {
      failed++;
      count(report.errors, errorKey(err));
    });

  // The first bot joins alone: if the server cannot be reached, say so now, not after the run.
  const firstTimeout = o.connectTimeoutMs ?? 5000;
  try {
    await join(0, firstTimeout);
    if ('create' in first) {
      roomCode = runners[0]!.room.code;
      o.log(`bot-0 created room ${roomCode} (type ${first.create}); the others join it`);
    }
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new JoinError(errorKey(err) === 'TIMEOUT' ? `no answer within ${firstTimeout / 1000} s (${detail})` : detail, { cause: err });
  }

  // Pace the rest of the joins.
  const joinInterval = 1000 / Math.max(1, o.joinRate);
  let launched = 1;
  const joinTimer = setInterval(() => {
    const due = Math.min(o.clients, Math.floor((clock.now() - start) / joinInterval) + 1);
    while (launched < due) joins.push(tryJoin(launched++));
    if (launched >= o.clients) clearInterval(joinTimer);
  }, Math.min(50, joinInterval));
  timers.push(joinTimer);

  timers.push(
    setInterval(() => {
      const now = clock.now();
      for (const r of runners) {
        if (r.room.isOpen) guard('think function', () => r.think(now));
      }
    }, 1000 / o.rate),
  );

  let lastSnaps = 0;
  let lastT = start;
  timers.push(
    setInterval(() => {
      const now = clock.now();
      const snaps = runners.reduce((a, r) => a + r.room.stats.snapshots, 0);
      const open = runners.filter((r) => r.room.isOpen).length;
      const perClient = open > 0 ? (snaps - lastSnaps) / ((now - lastT) / 1000) / open : 0;
      const recent = summarize(rtts.slice(-500));
      o.log(`t=${Math.round((now - start) / 1000)}s connected ${open}/${o.clients} failed ${failed} · ${perClient.toFixed(1)} snapshots/s per client · RTT p50 ${recent.p50} ms`);
      lastSnaps = snaps;
      lastT = now;
    }, 1000),
  );

  let sleep: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([new Promise<void>((resolve) => (sleep = setTimeout(resolve, Math.max(0, end - clock.now())))), faulted]);
  clearTimeout(sleep);
  for (const t of timers) clearInterval(t);
  await Promise.allSettled(joins);
  const stop = clock.now();
  for (const r of runners) {
    if (!r.leftAt) r.leftAt = stop;
    r.room.leave();
  }
  if (fault) throw fault;

  const seconds = runners.reduce((a, r) => a + Math.max(0, r.leftAt - r.joinedAt) / 1000, 0);
  const total = (f: (r: Runner<P>) => number) => runners.reduce((a, r) => a + f(r), 0);
  const perSecond = (n: number) => (seconds > 0 ? Math.round((n / seconds) * 10) / 10 : 0);
  return {
    clients: o.clients,
    connected: runners.length,
    failed,
    duration_s: Math.round((stop - start) / 100) / 10,
    snapshots_per_client_s: perSecond(total((r) => r.room.stats.snapshots)),
    down_bytes_per_client_s: Math.round(perSecond(total((r) => r.room.stats.wireBytesIn))),
    up_bytes_per_client_s: Math.round(perSecond(total((r) => r.room.stats.wireBytesOut))),
    rtt_ms: summarize(rtts),
    input_ack_ms: summarize(acks),
    ...report,
  };
}
