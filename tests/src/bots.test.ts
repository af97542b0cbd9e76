/**
 * `tickwire bots` against a real arena server on port 0, driven by the arena's bot module: the
 * report has every documented field; the repository's package.json names the default bot; an
 * unreachable or silent server, a missing or broken bot module and bad arguments each give a
 * clear message and exit code.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import arenaBot from '@tickwire/arena/bot';
import { arena } from '@tickwire/arena/protocol';
import { arenaRoom } from '@tickwire/arena/room';
import { createServer } from '@tickwire/server';
import { BotFault, defineBot, main, normalizeUrl, runBots } from 'tickwire';
import { afterAll, describe, expect, it } from 'vitest';
import { silent } from './game.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const arenaBotSource = fileURLToPath(new URL('../../examples/arena/src/bot.ts', import.meta.url));

function sink(): { text: string; write(chunk: string): void } {
  return {
    text: '',
    write(chunk) {
      this.text += chunk;
    },
  };
}

async function withArena<T>(fn: (wsUrl: string, port: number) => Promise<T>): Promise<T> {
  const server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0 }), logger: silent, processMetrics: false });
  const addr = await server.listen(0, '127.0.0.1');
  try {
    return await fn(addr.wsUrl, addr.port);
  } finally {
    await server.close();
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'tickwire-bots-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('tickwire bots', () => {
  it('runs the arena bot module against a server and reports what the bots saw', async () => {
    await withArena(async (wsUrl) => {
      const lines: string[] = [];
      const report = await runBots({ bot: arenaBot, url: wsUrl, room: 'bots-1', clients: 6, duration: 3, rate: 20, joinRate: 50, log: (l) => lines.push(l) });
      expect(report).toMatchObject({ clients: 6, connected: 6, failed: 0, errors: {} });
      expect(report.snapshots_per_client_s).toBeGreaterThan(10);
      expect(report.down_bytes_per_client_s).toBeGreaterThan(0);
      expect(report.up_bytes_per_client_s).toBeGreaterThan(0);
      expect(report.rtt_ms.p99).toBeGreaterThanOrEqual(report.rtt_ms.p50);
      expect(report.input_ack_ms.p50).toBeGreaterThan(0);
      expect(report.commands_acked['combat.fire']).toBeGreaterThan(0);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines[0]).toMatch(/connected \d+\/6/);
    });
  }, 20_000);

  it('drives the bot the repository package.json names, and prints one JSON object with --json', async () => {
    await withArena(async (_wsUrl, port) => {
      const out = sink();
      const err = sink();
      const code = await main(['bots', '--url', `ws://127.0.0.1:${port}`, '--clients', '2', '--duration', '2', '--json'], out, err, join(repoRoot, 'docs'));
      expect(err.text).not.toMatch(/bot module/);
      expect(code).toBe(0);
      const report = JSON.parse(out.text) as Record<string, unknown>;
      for (const k of ['clients', 'connected', 'failed', 'duration_s', 'snapshots_per_client_s', 'down_bytes_per_client_s', 'up_bytes_per_client_s', 'rtt_ms', 'input_ack_ms', 'commands_acked', 'commands_rejected', 'errors']) {
        expect(report).toHaveProperty(k);
      }
      expect(report).toMatchObject({ connected: 2, failed: 0 });
      expect(out.text.trim().split('\n')).toHaveLength(1);
    });
  }, 20_000);

  it('finds the bot module through "tickwire.bot" in the nearest package.json that has one', async () => {
    const project = join(scratch, 'game');
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'game', tickwire: { bot: arenaBotSource } }));
    // A package.json without the field in between does not stop the search.
    writeFileSync(join(project, 'src', 'package.json'), JSON.stringify({ type: 'module' }));
    await withArena(async (wsUrl) => {
      const out = sink();
      const code = await main(['bots', '--url', wsUrl, '--room', 'found-1', '--clients', '1', '--duration', '1', '--json'], out, sink(), join(project, 'src', 'deep'));
      expect(code).toBe(0);
      expect(JSON.parse(out.text)).toMatchObject({ connected: 1 });
    });
  }, 20_000);

  it('says how to provide a bot module when there is none, or it is missing, or it exports no bot', async () => {
    const none = sink();
    expect(await main(['bots', '--url', 'ws://127.0.0.1:1'], sink(), none, scratch)).toBe(2);
    expect(none.text).toMatch(/no bot module: pass --bot <file\.js>.*or add "tickwire": \{ "bot": "dist\/bot\.js" \} to your package\.json/);

    const missing = sink();
    expect(await main(['bots', '--url', 'ws://127.0.0.1:1', '--bot', 'dist/nope.js'], sink(), missing, scratch)).toBe(2);
    expect(missing.text).toContain(`the bot module ${join(scratch, 'dist', 'nope.js')} (given by --bot) does not exist (is it built?`);

    const notABot = join(scratch, 'not-a-bot.mjs');
    writeFileSync(notABot, 'export default { think() {} };\n');
    const wrong = sink();
    expect(await main(['bots', '--url', 'ws://127.0.0.1:1', '--bot', notABot], sink(), wrong, scratch)).toBe(2);
    expect(wrong.text).toMatch(/does not export a bot: its default export must be defineBot\(\{ protocol, spawn/);
  });

  it('creates a room where joining does not open one, and the other bots follow the first into it', async () => {
    const server = createServer({ rooms: { ...arenaRoom({ reconnectWindowMs: 0 }), createOnJoin: false }, logger: silent, processMetrics: false });
    const addr = await server.listen(0, '127.0.0.1');
    try {
      const joining = sink();
      expect(await main(['bots', '--url', addr.wsUrl, '--bot', arenaBotSource, '--clients', '1', '--duration', '1'], sink(), joining)).toBe(1);
      expect(joining.text).toMatch(/could not join .*no room 'arena-1' is open here.*pass --create <room type>/);

      const codes = new Set<string>();
      const recorder = defineBot({
        protocol: arena,
        spawn(bot, now) {
          codes.add(bot.room.code);
          return arenaBot.spawn(bot, now);
        },
      });
      const lines: string[] = [];
      const report = await runBots({ bot: recorder, url: addr.wsUrl, create: 'arena', clients: 3, duration: 2, rate: 20, joinRate: 50, log: (l) => lines.push(l) });
      expect(report).toMatchObject({ connected: 3, failed: 0 });
      expect(codes.size).toBe(1);
      expect(lines[0]).toBe(`bot-0 created room ${[...codes][0]} (type arena); the others join it`);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('stops the run and names the bot module when it throws', async () => {
    const broken = defineBot({
      protocol: arena,
      spawn: () => () => {
        throw new Error('no idea what to do');
      },
    });
    await withArena(async (wsUrl) => {
      const run = runBots({ bot: broken, url: wsUrl, room: 'broken-1', clients: 2, duration: 30, rate: 20, joinRate: 50, log: () => undefined });
      await expect(run).rejects.toThrow(BotFault);
      await expect(run).rejects.toThrow("the bot module's think function threw: no idea what to do");
    });
  }, 20_000);

  it('says clearly when the server cannot be reached, and exits non-zero', async () => {
    const out = sink();
    const err = sink();
    const code = await main(['bots', '--url', 'ws://127.0.0.1:1', '--bot', arenaBotSource, '--clients', '1', '--duration', '30'], out, err);
    expect(code).toBe(1);
    expect(err.text).toMatch(/could not join ws:\/\/127\.0\.0\.1:1.*is the server running/);
    expect(out.text).toBe('');
  });

  it('gives up on a server that accepts the connection and never answers, without waiting out the run', async () => {
    const held: Socket[] = [];
    const silentServer = createTcpServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    const address = silentServer.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    try {
      const err = sink();
      const code = await main(['bots', '--url', `ws://127.0.0.1:${address.port}`, '--bot', arenaBotSource, '--duration', '600', '--connect-timeout', '0.5'], sink(), err);
      expect(code).toBe(1);
      expect(err.text).toMatch(/could not join .*no answer within 0\.5 s.*is the server running/);
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => silentServer.close(resolve));
    }
  });

  it('refuses bad arguments and unknown flags with usage', async () => {
    const err = sink();
    expect(await main(['bots', '--clients', '3'], sink(), err)).toBe(2);
    expect(err.text).toMatch(/--url is required/);
    expect(await main(['bots', '--url', 'ws://x', '--clients', 'many'], sink(), sink())).toBe(2);
    const unknown = sink();
    expect(await main(['bots', '--url', 'ws://127.0.0.1:8080', '--clinets', '3'], sink(), unknown)).toBe(2);
    expect(unknown.text).toMatch(/unknown flag --clinets; the flags are --url, --bot, --room, --create, --clients/);
    expect(unknown.text).toMatch(/usage: tickwire bots/);
    expect(await main(['bots', '--url', 'ws://127.0.0.1:8080', '--json=yes'], sink(), sink())).toBe(2);
    expect(await main(['launch'], sink(), sink())).toBe(2);
    const both = sink();
    expect(await main(['bots', '--url', 'ws://127.0.0.1:8080', '--room', 'a', '--create', 'arena'], sink(), both)).toBe(2);
    expect(both.text).toMatch(/give one of them/);
    expect(normalizeUrl('http://localhost:8080')).toBe('ws://localhost:8080/ws');
  });
});
