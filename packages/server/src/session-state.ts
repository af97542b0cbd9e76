/**
 * A session's lifecycle as a pure transition function with its timeouts (the diagram is in
 * docs/sessions.md):
 *
 *   lobby --start--> running --end--> results --lobby--> lobby
 *     |                 |                |
 *     |--idle---------->|--close-------->|--expire--> closed   (close: from any state)
 *
 * `idle` fires when a lobby has seen no activity for `lobbyIdleMs`, `expire` when results have
 * been shown for `resultsMs`. Time is passed in; the Session class around this sets one timer at
 * the deadline this computes and feeds `due` what it finds when it fires.
 */
import type { SessionStateName } from '@tickwire/protocol';

export type SessionState = SessionStateName;
export type SessionEvent = 'start' | 'end' | 'lobby' | 'close' | 'idle' | 'expire';

const table: Record<SessionState, Partial<Record<SessionEvent, SessionState>>> = {
  lobby: { start: 'running', idle: 'closed', close: 'closed' },
  running: { end: 'results', close: 'closed' },
  results: { lobby: 'lobby', expire: 'closed', close: 'closed' },
  closed: {},
};

/** The next state, or undefined when the event is not allowed in `state`. */
export function transition(state: SessionState, event: SessionEvent): SessionState | undefined {
  return table[state][event];
}

/** How long a lobby may sit idle, and how long results are kept, in ms. */
export interface SessionTimeouts {
  lobbyIdleMs: number;
  resultsMs: number;
}

export const defaultTimeouts: Readonly<SessionTimeouts> = Object.freeze({ lobbyIdleMs: 30 * 60_000, resultsMs: 5 * 60_000 });

/** Where a session is: its state, since when, and its last activity (what keeps a lobby open). */
export interface Phase {
  readonly state: SessionState;
  readonly since: number;
  readonly lastActivity: number;
}

/** A session entering `state` at `now`. */
export function enter(state: SessionState, now: number): Phase {
  return { state, since: now, lastActivity: now };
}

/** The phase after `event` at `now`, or undefined when the event is not allowed now. */
export function apply(phase: Phase, event: SessionEvent, now: number): Phase | undefined {
  const next = transition(phase.state, event);
  return next === undefined ? undefined : enter(next, now);
}

/** Activity (a join, a seat taken, a chat line) at `now`: what keeps an idle lobby from closing. */
export function touch(phase: Phase, now: number): Phase {
  return now > phase.lastActivity ? { ...phase, lastActivity: now } : phase;
}

/** When the phase times out by itself, and with which event; undefined when it does not. */
export function deadline(phase: Phase, timeouts: SessionTimeouts): { at: number; event: SessionEvent } | undefined {
  if (phase.state === 'lobby') return { at: phase.lastActivity + timeouts.lobbyIdleMs, event: 'idle' };
  if (phase.state === 'results') return { at: phase.since + timeouts.resultsMs, event: 'expire' };
  return undefined;
}

/** The timeout event that is due at `now`, if any. */
export function due(phase: Phase, now: number, timeouts: SessionTimeouts): SessionEvent | undefined {
  const d = deadline(phase, timeouts);
  return d && now >= d.at ? d.event : undefined;
}
