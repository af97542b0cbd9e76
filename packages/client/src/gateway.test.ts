import { ErrorCode } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { gatewayAddress, parseDirection } from './gateway.js';

describe('gateway answers', () => {
  it('reads a direction field by field', () => {
    const v = { room: 'ABC123', url: 'ws://10.0.0.2:7001/ws', ticket: 'eyJ.x.y', process: 'game-2', extra: 1 };
    expect(parseDirection(v, 'POST /api/join')).toEqual({ room: 'ABC123', url: 'ws://10.0.0.2:7001/ws', ticket: 'eyJ.x.y', process: 'game-2' });
  });

  it('refuses what is not a direction: no ticket, a page URL, a bad room code, an oversized ticket', () => {
    const good = { room: 'ABC123', url: 'wss://game.example/ws', ticket: 't', process: 'p' };
    const bad = [
      null,
      [],
      { ...good, ticket: '' },
      { ...good, ticket: 'x'.repeat(4097) },
      { ...good, url: 'http://game.example/' },
      { ...good, url: 'javascript:alert(1)' },
      { ...good, url: 'not a url' },
      { ...good, room: 'two words' },
      { ...good, process: 3 },
    ];
    for (const v of bad) expect(() => parseDirection(v, 'GET /api/where')).toThrowError(expect.objectContaining({ code: ErrorCode.INTERNAL }));
  });

  it('takes the gateway as an http(s) origin, a ws:// address as the same host', () => {
    expect(gatewayAddress('http://gw.example:8080/lobby?x=1').href).toBe('http://gw.example:8080/');
    expect(gatewayAddress('wss://gw.example').href).toBe('https://gw.example/');
    expect(() => gatewayAddress('ftp://gw.example')).toThrow(/http/);
    expect(() => gatewayAddress('gw.example:8080')).toThrow();
  });
});
