import { CloseCode, ErrorCode, ManualClock, TickwireError } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECONNECT,
  Reconnector,
  backoffDelay,
  isDrop,
  isTransient,
  planAttempt,
  resolveReconnect,
  type ReconnectingInfo,
  type ReconnectOptions,
} from './reconnect.js';

const policy = (o: Partial<ReconnectOptions> = {}): ReconnectOptions => resolveReconnect(o)!;

describe('reconnect policy', () => {
  it('backs off exponentially up to the cap, with the random share taken off', () => {
    const o = policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 });
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, o, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
    // The most a random draw can take off is the jitter share.
    expect(backoffDelay(3, o, () => 0.999999)).toBe(200);
    expect(backoffDelay(3, policy({ initialDelayMs: 100, jitter: 0 }), () => 0.7)).toBe(400);
  });

  it('gives up after the attempts, or when the next attempt would start after the window', () => {
    const o = policy({ attempts: 3, initialDelayMs: 1000, jitter: 0, windowMs: 10_000 });
    expect(planAttempt(3, 0, o, Math.random)).toBe(4000);
    expect(planAttempt(4, 0, o, Math.random)).toBeNull();
    expect(planAttempt(2, 7999, o, Math.random)).toBe(2000);
    expect(planAttempt(2, 8001, o, Math.random)).toBeNull();
  });

  it('fits its default attempts inside the server reconnect window of 60 s', () => {
    const o = policy();
    let elapsed = 0;
    let attempts = 0;
    for (;;) {
      const d = planAttempt(attempts + 1, elapsed, o, () => 0);
      if (d === null) break;
      elapsed += d + o.attemptTimeoutMs;
      attempts++;
    }
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(elapsed - o.attemptTimeoutMs).toBeLessThanOrEqual(60_000);
    expect(DEFAULT_RECONNECT.windowMs).toBe(60_000);
  });

  it('turns off with false and clamps nonsense to the defaults', () => {
    expect(resolveReconnect(false)).toBeNull();
    expect(resolveReconnect(true)).toEqual(DEFAULT_RECONNECT);
    const o = policy({ attempts: -3, jitter: 7, initialDelayMs: Number.NaN, rejoin: false });
    expect(o.attempts).toBe(DEFAULT_RECONNECT.attempts);
    expect(o.jitter).toBe(1);
    expect(o.initialDelayMs).toBe(DEFAULT_RECONNECT.initialDelayMs);
    expect(o.rejoin).toBe(false);
  });

  it('tells drops from refusals by close code and by the fatal error before it', () => {
    for (const code of [1001, 1005, 1006, 1011, 1012, CloseCode.TOO_SLOW]) expect(isDrop(code)).toBe(true);
    for (const code of [1000, 1008, CloseCode.REPLACED, CloseCode.ROOM_CLOSED, CloseCode.AUTH_FAILED, CloseCode.FLOOD, CloseCode.PROTOCOL_ERROR, 4999]) {
      expect(isDrop(code)).toBe(false);
    }
    // The fatal ERROR before the close decides: a server going away may come back, whatever
    // the code; a refusal stays one even when the socket is then cut (1006).
    expect(isDrop(1000, ErrorCode.SHUTTING_DOWN)).toBe(true);
    expect(isDrop(1006, ErrorCode.TOO_SLOW)).toBe(true);
    expect(isDrop(1006, ErrorCode.REPLACED)).toBe(false);
    expect(isDrop(1006, ErrorCode.FLOOD)).toBe(false);
  });

  it('retries attempts that failed on the way, not ones the server refused', () => {
    expect(isTransient(new Error('WebSocket closed before opening (1006)'))).toBe(true);
    expect(isTransient(new TickwireError(ErrorCode.TIMEOUT, ''))).toBe(true);
    expect(isTransient(new TickwireError(ErrorCode.SHUTTING_DOWN, ''))).toBe(true);
    expect(isTransient(new TickwireError(ErrorCode.RATE_LIMITED, ''))).toBe(true);
    expect(isTransient(new TickwireError(ErrorCode.ROOM_ELSEWHERE, ''))).toBe(true);
    expect(isTransient(new TickwireError(ErrorCode.AUTH_FAILED, ''))).toBe(false);
    expect(isTransient(new TickwireError(ErrorCode.ROOM_FULL, ''))).toBe(false);
    expect(isTransient(new TickwireError(ErrorCode.FLOOD, ''))).toBe(false);
  });
});

describe('Reconnector on a stepped clock', () => {
  const transport = { close: () => undefined };
  const flush = () => new Promise<void>((r) => setImmediate(r));

  function harness(o: Partial<ReconnectOptions>, answers: ((token: Uint8Array | undefined) => unknown)[]) {
    const clock = new ManualClock();
    const log: string[] = [];
    const tokens: (string | undefined)[] = [];
    const scheduled: ReconnectingInfo[] = [];
    let calls = 0;
    const r = new Reconnector<{ transport: typeof transport; n: number }>(
      policy({ jitter: 0, initialDelayMs: 100, maxDelayMs: 800, ...o }),
      (token) => {
        tokens.push(token ? 'token' : undefined);
        const answer = answers[calls++]!(token);
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve({ transport, n: calls });
      },
      clock,
      () => 0,
      {
        resumeToken: () => new Uint8Array(16),
        scheduled: (info) => {
          scheduled.push(info);
          log.push(`wait ${info.delayMs}`);
        },
        joined: (j, resumed, attempts) => log.push(`joined #${j.n} resumed=${resumed} after ${attempts}`),
        failed: (code, reason, error) => log.push(`failed ${code} ${error?.codeName ?? '-'}: ${reason}`),
      },
    );
    const step = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        clock.advance(50);
        await flush();
      }
    };
    return { r, log, tokens, scheduled, step };
  }

  const unreachable = () => new Error('connection refused');

  it('waits, doubles, and comes back with the resume token', async () => {
    const h = harness({}, [unreachable, unreachable, () => 'ok']);
    h.r.start(1006, 'gone');
    await h.step(1000);
    expect(h.log).toEqual(['wait 100', 'wait 200', 'wait 400', 'joined #3 resumed=true after 3']);
    expect(h.tokens).toEqual(['token', 'token', 'token']);
    expect(h.scheduled[1]!.error?.message).toBe('connection refused');
    expect(h.scheduled.every((s) => s.code === 1006 && s.reason === 'gone')).toBe(true);
    expect(h.r.running).toBe(false);
  });

  it('joins as a new seat at once when the server no longer holds the old one', async () => {
    const h = harness({}, [() => new TickwireError(ErrorCode.RESUME_FAILED, 'expired'), () => 'ok']);
    h.r.start(1006, 'gone');
    await h.step(200);
    expect(h.tokens).toEqual(['token', undefined]);
    expect(h.log).toEqual(['wait 100', 'joined #2 resumed=false after 1']);
  });

  it('does not rejoin as a new seat when the policy says not to', async () => {
    const h = harness({ rejoin: false }, [() => new TickwireError(ErrorCode.RESUME_FAILED, 'expired')]);
    h.r.start(1006, 'gone');
    await h.step(200);
    expect(h.log).toEqual(['wait 100', `failed ${CloseCode.JOIN_REFUSED} RESUME_FAILED: could not reconnect: expired`]);
  });

  it('stops at a refusal that waiting will not change', async () => {
    const h = harness({}, [unreachable, () => new TickwireError(ErrorCode.AUTH_FAILED, 'bad token')]);
    h.r.start(1001, 'restart');
    await h.step(1000);
    expect(h.log).toEqual(['wait 100', 'wait 200', `failed ${CloseCode.AUTH_FAILED} AUTH_FAILED: could not reconnect: bad token`]);
  });

  it('gives up when the window closes, saying why the last attempt failed', async () => {
    const h = harness({ windowMs: 1000 }, Array.from({ length: 10 }, () => unreachable));
    h.r.start(1006, 'gone');
    await h.step(3000);
    // 100 + 200 + 400 = 700 ms; the next wait (800) would end past 1000 ms.
    expect(h.log).toEqual(['wait 100', 'wait 200', 'wait 400', 'failed 1006 -: could not reconnect after 3 attempt(s): connection refused']);
  });

  it('cancel stops the attempts, and a join that lands afterwards is closed', async () => {
    let closed = 0;
    const h = harness({}, [unreachable]);
    h.r.start(1006, 'gone');
    h.r.cancel();
    await h.step(1000);
    expect(h.log).toEqual(['wait 100']);
    expect(h.tokens).toEqual([]);

    // An attempt in flight when cancel comes: its connection is closed, not adopted.
    const clock = new ManualClock();
    let land: (j: { transport: typeof transport }) => void = () => undefined;
    const joined: string[] = [];
    const late = new Reconnector<{ transport: typeof transport }>(policy({ jitter: 0, initialDelayMs: 100 }), () => new Promise((r) => (land = r)), clock, () => 0, {
      resumeToken: () => new Uint8Array(16),
      scheduled: () => undefined,
      joined: () => joined.push('joined'),
      failed: () => joined.push('failed'),
    });
    transport.close = () => void closed++;
    late.start(1006, 'gone');
    clock.advance(100);
    late.cancel();
    land({ transport });
    await flush();
    expect(joined).toEqual([]);
    expect(closed).toBe(1);
  });
});
