import { CloseCode, ErrorCode, TickwireError } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { closedLine, reconnectedLine, reconnectingLine } from './connection-status.js';

describe('connection status line', () => {
  it('counts attempts, and tells an unreachable server from a refused attempt', () => {
    expect(reconnectingLine({ attempt: 1, delayMs: 200, code: 1006, reason: '' })).toEqual({ text: 'connection lost: reconnecting… attempt 1', tone: 'busy' });
    expect(reconnectingLine({ attempt: 2, delayMs: 400, code: 1006, reason: '', error: new Error('WebSocket closed before opening (1006)') }).text).toBe(
      'server unreachable: retrying… attempt 2',
    );
    expect(reconnectingLine({ attempt: 3, delayMs: 800, code: 1006, reason: '', error: new TickwireError(ErrorCode.TIMEOUT, 'no WELCOME') }).text).toBe(
      'connection lost: reconnecting… attempt 3 (TIMEOUT)',
    );
  });

  it('says whether the membership came back', () => {
    expect(reconnectedLine({ resumed: true, attempts: 1 })).toEqual({ text: 'reconnected', tone: 'ok' });
    expect(reconnectedLine({ resumed: false, attempts: 2 }).text).toMatch(/new seat/);
  });

  it('names the end: replaced by another tab, gave up, or the server reason', () => {
    const replaced = new TickwireError(ErrorCode.REPLACED, 'this player joined again from another connection');
    expect(closedLine({ code: CloseCode.REPLACED, reason: 'replaced', error: replaced }).text).toMatch(/^replaced by another tab/);
    expect(closedLine({ code: 1006, reason: 'could not reconnect after 12 attempt(s): connection refused' }).text).toMatch(/^server unreachable: gave up/);
    const closed = new TickwireError(ErrorCode.ROOM_CLOSED, 'the round is over');
    expect(closedLine({ code: CloseCode.ROOM_CLOSED, reason: '', error: closed })).toEqual({ text: 'disconnected (ROOM_CLOSED: the round is over); reload to rejoin', tone: 'bad' });
  });
});
