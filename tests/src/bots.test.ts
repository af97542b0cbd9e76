/**
 * `tickwire bots` against a real arena server on port 0: the report has every documented
 * field, and an unreachable server or bad arguments give a clear message and exit code.
 */
import { Writable } from 'node:stream';
import { arenaRoom } from '@tickwire/arena/room';
import { createServer } from '@tickwire/server';
import { main, normalizeUrl, runBots } from 'tickwire';
import { describe, expect, it } from 'vitest';
import { silent } from './game.js';

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, done) {
      w.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

describe('tickwire bots', () => {
  it('runs bots against a server and reports what they saw', async () => {
    const server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0 }), logger: silent, processMetrics: false });
    const addr = await server.listen(0, '127.0.0.1');
    try {
      const lines: string[] = [];
      const report = await runBots({ url: addr.wsUrl, room: 'bots-1', clients: 6, duration: 3, rate: 20, joinRate: 50, log: (l) => lines.push(l) });
      expect(report).toMatchObject({ clients: 6, connected: 6, failed: 0, errors: {} });
      expect(report.snapshots_per_client_s).toBeGreaterThan(10);
      expect(report.down_bytes_per_client_s).toBeGreaterThan(0);
      expect(report.up_bytes_per_client_s).toBeGreaterThan(0);
      expect(report.rtt_ms.p99).toBeGreaterThanOrEqual(report.rtt_ms.p50);
      expect(report.input_ack_ms.p50).toBeGreaterThan(0);
      expect(report.commands_acked.fire).toBeGreaterThan(0);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines[0]).toMatch(/connected \d+\/6/);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('prints one JSON object with --json', async () => {
    const server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0 }), logger: silent, processMetrics: false });
    const addr = await server.listen(0, '127.0.0.1');
    try {
      const out = sink();
      const err = sink();
      const code = await main(['bots', '--url', `ws://127.0.0.1:${addr.port}`, '--clients', '2', '--duration', '2', '--json'], out, err);
      expect(code).toBe(0);
      const report = JSON.parse(out.text) as Record<string, unknown>;
      for (const k of ['clients', 'connected', 'failed', 'duration_s', 'snapshots_per_client_s', 'down_bytes_per_client_s', 'up_bytes_per_client_s', 'rtt_ms', 'input_ack_ms', 'commands_acked', 'commands_rejected', 'errors']) {
        expect(report).toHaveProperty(k);
      }
      expect(out.text.trim().split('\n')).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('says clearly when the server cannot be reached, and exits non-zero', async () => {
    const out = sink();
    const err = sink();
    const code = await main(['bots', '--url', 'ws://127.0.0.1:1', '--clients', '1', '--duration', '1'], out, err);
    expect(code).toBe(1);
    expect(err.text).toMatch(/could not join ws:\/\/127\.0\.0\.1:1.*is the server running/);
  });

  it('refuses bad arguments with usage', async () => {
    const err = sink();
    expect(await main(['bots', '--clients', '3'], sink(), err)).toBe(2);
    expect(err.text).toMatch(/--url is required/);
    expect(await main(['bots', '--url', 'ws://x', '--clients', 'many'], sink(), sink())).toBe(2);
    expect(normalizeUrl('http://localhost:8080')).toBe('ws://localhost:8080/ws');
  });
});
