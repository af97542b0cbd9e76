/**
 * The line the page shows about its connection, from the SDK's reconnect events. Pure, so the
 * wording can be tested without a browser; main.ts only puts it on screen.
 */
import { type CloseInfo, type ReconnectedInfo, type ReconnectingInfo } from '@tickwire/client';
import { CloseCode, ErrorCode, TickwireError } from '@tickwire/protocol';

/** `ok`: playing. `busy`: on the way back. `bad`: stopped, the player must act. */
export type Tone = 'ok' | 'busy' | 'bad';

export interface StatusLine {
  text: string;
  tone: Tone;
}

/** A drop, or a failed attempt: say which attempt comes next, and whether the server answers at all. */
export function reconnectingLine(info: ReconnectingInfo): StatusLine {
  // An error without a code is a socket that would not open: nothing is listening.
  if (info.error && !(info.error instanceof TickwireError)) return { text: `server unreachable: retrying… attempt ${info.attempt}`, tone: 'busy' };
  const why = info.error instanceof TickwireError ? ` (${info.error.codeName})` : '';
  return { text: `connection lost: reconnecting… attempt ${info.attempt}${why}`, tone: 'busy' };
}

export function reconnectedLine(info: ReconnectedInfo): StatusLine {
  return { text: info.resumed ? 'reconnected' : 'reconnected (as a new seat: the old one had expired, or the room moved to another server)', tone: 'ok' };
}

/** Closed for good: why, and what the player can do. */
export function closedLine(info: CloseInfo): StatusLine {
  if (info.error?.code === ErrorCode.REPLACED || info.code === CloseCode.REPLACED) {
    return { text: 'replaced by another tab playing this pilot: reload to play here', tone: 'bad' };
  }
  if (/^could not reconnect after/.test(info.reason)) return { text: `server unreachable: gave up (${info.reason}); reload to try again`, tone: 'bad' };
  const what = info.error ? `${info.error.codeName}: ${info.error.message}` : `${info.code}${info.reason ? ` ${info.reason}` : ''}`;
  return { text: `disconnected (${what}); reload to rejoin`, tone: 'bad' };
}

/** The first join failed and will be tried again. */
export function unreachableLine(attempt: number, error: unknown): StatusLine {
  const why = error instanceof TickwireError ? ` (${error.codeName})` : '';
  return { text: `server unreachable: retrying… attempt ${attempt}${why}`, tone: 'busy' };
}
