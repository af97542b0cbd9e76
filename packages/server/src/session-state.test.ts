import { ManualClock } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { apply, deadline, defaultTimeouts, due, enter, touch, transition, type Phase, type SessionEvent, type SessionState } from './session-state.js';

const STATES: SessionState[] = ['lobby', 'running', 'results', 'closed'];
const EVENTS: SessionEvent[] = ['start', 'end', 'lobby', 'close', 'idle', 'expire'];
const t = { lobbyIdleMs: 30 * 60_000, resultsMs: 5 * 60_000 };

describe('session lifecycle: the transition function', () => {
  it('allows exactly the transitions of the diagram', () => {
    const allowed = new Map<string, SessionState>([
      ['lobby start', 'running'],
      ['lobby idle', 'closed'],
      ['lobby close', 'closed'],
      ['running end', 'results'],
      ['running close', 'closed'],
      ['results lobby', 'lobby'],
      ['results expire', 'closed'],
      ['results close', 'closed'],
    ]);
    for (const state of STATES) {
      for (const event of EVENTS) expect(transition(state, event), `${state} --${event}-->`).toBe(allowed.get(`${state} ${event}`));
    }
  });

  it('defaults to 30 minutes of lobby idleness and 5 minutes of results', () => {
    expect(defaultTimeouts).toEqual(t);
  });

  it('apply() enters the next state at that time and refuses what is not allowed', () => {
    const lobby = enter('lobby', 100);
    const running = apply(lobby, 'start', 250)!;
    expect(running).toEqual({ state: 'running', since: 250, lastActivity: 250 });
    expect(apply(running, 'start', 300)).toBeUndefined();
    expect(apply(enter('closed', 0), 'close', 1)).toBeUndefined();
  });
});

describe('session lifecycle: timeouts on a stepped clock', () => {
  /** Steps a clock and feeds `due` whatever it says, the way the Session class does with its one timer. */
  function run(start: Phase, steps: readonly (number | 'touch')[]) {
    const clock = new ManualClock(start.since);
    let phase = start;
    const seen: string[] = [];
    for (const s of steps) {
      if (s === 'touch') {
        phase = touch(phase, clock.now());
        continue;
      }
      clock.advance(s);
      const event = due(phase, clock.now(), t);
      if (event) {
        phase = apply(phase, event, clock.now())!;
        seen.push(`${event}@${clock.now()}`);
      }
    }
    return { phase, seen };
  }

  it('an idle lobby closes 30 minutes after its last activity, not before', () => {
    const { phase, seen } = run(enter('lobby', 0), [30 * 60_000 - 1, 1]);
    expect(seen).toEqual([`idle@${30 * 60_000}`]);
    expect(phase.state).toBe('closed');
  });

  it('activity moves the lobby deadline', () => {
    const lobby = touch(enter('lobby', 0), 10 * 60_000);
    expect(deadline(lobby, t)).toEqual({ at: 40 * 60_000, event: 'idle' });
    const { seen } = run(enter('lobby', 0), [20 * 60_000, 'touch', 29 * 60_000, 'touch', 29 * 60_000, 60_000]);
    expect(seen).toEqual([`idle@${(20 + 29 + 29 + 1) * 60_000}`]);
    // touch never moves time backwards
    expect(touch(lobby, 5)).toBe(lobby);
  });

  it('results close 5 minutes after the round ended, whatever happens meanwhile', () => {
    const results = enter('results', 1000);
    expect(deadline(touch(results, 200_000), t)).toEqual({ at: 301_000, event: 'expire' });
    const { seen } = run(results, [299_999, 'touch', 1]);
    expect(seen).toEqual(['expire@301000']);
  });

  it('a running session and a closed one have no timeout', () => {
    expect(deadline(enter('running', 0), t)).toBeUndefined();
    expect(deadline(enter('closed', 0), t)).toBeUndefined();
    expect(due(enter('running', 0), 1e12, t)).toBeUndefined();
  });

  it('timeouts are configurable', () => {
    const short = { lobbyIdleMs: 1000, resultsMs: 50 };
    expect(due(enter('lobby', 0), 999, short)).toBeUndefined();
    expect(due(enter('lobby', 0), 1000, short)).toBe('idle');
    expect(due(enter('results', 0), 50, short)).toBe('expire');
  });
});
