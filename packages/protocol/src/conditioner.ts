/**
 * A network conditioner: latency, jitter, loss, duplication and reordering applied to a
 * Transport, for development and tests. The SDK wraps its socket in one (`conditions` in
 * connect(), `?lag=120&jitter=30&loss=3` on the arena page), and tests put one on either end
 * of an in-memory pipe.
 *
 * Frames keep their order unless `reorder` says otherwise (a WebSocket rides on TCP, which
 * does not reorder); lost frames are dropped outright, as a datagram transport would, so the
 * protocol's own recovery (redundant inputs, acked baselines, command retries) is what is
 * tested. The handshake (HELLO, WELCOME) and ERROR frames are never dropped.
 */
import type { Clock } from './clock.js';
import { Kind } from './messages.js';
import type { Transport } from './transport.js';

export interface NetworkConditions {
  /** Round-trip latency in ms; each direction gets half. */
  lag?: number;
  /** Each frame's one-way delay varies uniformly by +-jitter/2 ms (round trips by up to +-jitter). */
  jitter?: number;
  /** Percent of frames dropped, each direction. */
  loss?: number;
  /** Percent of frames delivered twice. */
  duplicate?: number;
  /** Percent of frames held back by up to one extra lag, so later frames overtake them. */
  reorder?: number;
}

export interface ConditionerStats {
  sent: number;
  received: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

const PROTECTED = new Set<number>([Kind.HELLO, Kind.WELCOME, Kind.ERROR, Kind.LEAVE]);

/** Parses `lag`, `jitter`, `loss`, `duplicate`, `reorder` from URL query parameters. */
export function conditionsFromQuery(params: URLSearchParams): NetworkConditions | undefined {
  const out: NetworkConditions = {};
  let any = false;
  for (const key of ['lag', 'jitter', 'loss', 'duplicate', 'reorder'] as const) {
    const raw = params.get(key);
    if (raw === null) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${key} must be a non-negative number, got "${raw}"`);
    out[key] = n;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * Wraps `inner` so that frames in both directions go through the conditions.
 *
 * @example
 * const t = conditionTransport(socketTransport, { lag: 150, jitter: 30, loss: 3 }, systemClock, Math.random);
 */
export function conditionTransport(inner: Transport, conditions: NetworkConditions, clock: Clock, random: () => number): Transport & { stats: ConditionerStats } {
  const oneWay = (conditions.lag ?? 0) / 2;
  const jitter = conditions.jitter ?? 0;
  const loss = (conditions.loss ?? 0) / 100;
  const dup = (conditions.duplicate ?? 0) / 100;
  const reorder = (conditions.reorder ?? 0) / 100;
  const stats: ConditionerStats = { sent: 0, received: 0, dropped: 0, duplicated: 0, reordered: 0 };
  let queued = 0;
  const lanes = { up: 0, down: 0 };

  /** Schedules `deliver` for a frame in one direction, keeping order unless reordered. */
  const schedule = (lane: 'up' | 'down', frame: Uint8Array, deliver: (f: Uint8Array) => void) => {
    const protectedFrame = PROTECTED.has(frame[1] ?? -1);
    if (!protectedFrame && random() < loss) {
      stats.dropped++;
      return;
    }
    const copies = !protectedFrame && random() < dup ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      const now = clock.now();
      let at = now + Math.max(0, oneWay + (random() - 0.5) * jitter);
      if (!protectedFrame && random() < reorder) {
        stats.reordered++;
        at += random() * Math.max(oneWay * 2, 20);
      } else {
        at = Math.max(at, lanes[lane]);
        lanes[lane] = at;
      }
      if (lane === 'up') queued += frame.length;
      clock.setTimeout(() => {
        if (lane === 'up') queued -= frame.length;
        deliver(frame);
      }, at - now);
    }
  };

  const outer: Transport & { stats: ConditionerStats } = {
    stats,
    unreliable: loss > 0 || reorder > 0,
    onmessage: null,
    onclose: null,
    get bufferedAmount() {
      return inner.bufferedAmount + queued;
    },
    send(frame) {
      stats.sent++;
      schedule('up', frame.slice(), (f) => inner.send(f));
    },
    close(code, reason) {
      inner.close(code, reason);
    },
  };
  inner.onmessage = (frame) => {
    stats.received++;
    schedule('down', frame, (f) => outer.onmessage?.(f));
  };
  inner.onclose = (code, reason) => {
    // The close travels like a frame, after what is already on the way.
    const at = Math.max(clock.now() + oneWay, lanes.down);
    clock.setTimeout(() => outer.onclose?.(code, reason), at - clock.now());
  };
  return outer;
}
