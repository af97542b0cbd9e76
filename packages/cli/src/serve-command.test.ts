import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisProcessRegistry } from '@tickwire/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { connection, dropPrefixes, freshPrefix, redisMissing, redisUrl } from '../../redis/src/redis.test-support.js';
import { clusterFromEnv, serveCommand, type Signals } from './serve-command.js';

const gameModule = fileURLToPath(new URL('./serve-rooms.test-support.ts', import.meta.url));

function capture() {
  const lines: string[] = [];
  return { lines, write: (s: string) => lines.push(s), text: () => lines.join('') };
}

describe('tickwire serve: configuration', () => {
  it('reads the cluster settings from the environment, range-checked', () => {
    expect(clusterFromEnv({ PUBLIC_URL: 'wss://game-1.example.com/ws', INTERNAL_URL: 'http://10.0.0.5:9001', TICKWIRE_CAPACITY_CLIENTS: '500', TICKWIRE_HEARTBEAT_MS: '1000', TICKWIRE_REQUIRE_TICKETS: '0' })).toMatchObject({
      url: 'wss://game-1.example.com/ws',
      httpUrl: 'http://10.0.0.5:9001',
      capacity: { clients: 500, rooms: undefined },
      heartbeatMs: 1000,
      requireTickets: false,
    });
    expect(clusterFromEnv({})).toMatchObject({ url: undefined, requireTickets: true });
    expect(() => clusterFromEnv({ TICKWIRE_HEARTBEAT_MS: '5' })).toThrow(/TICKWIRE_HEARTBEAT_MS must be a whole number from 10/);
    expect(() => clusterFromEnv({ TICKWIRE_CAPACITY_ROOMS: '1.5' })).toThrow(/TICKWIRE_CAPACITY_ROOMS/);
    expect(() => clusterFromEnv({ TICKWIRE_REQUIRE_TICKETS: 'yes' })).toThrow(/1 or 0/);
  });

  it('refuses to start without the shared secret, with a bad flag, or without a game module', async () => {
    const out = capture();
    const err = capture();
    expect(await serveCommand(['--port', '0'], out, err, {})).toBe(2);
    expect(err.text()).toMatch(/TICKWIRE_SECRET is not set/);
    expect(await serveCommand(['--port', '99999'], out, err, { TICKWIRE_SECRET: 's'.repeat(32) })).toBe(2);
    expect(await serveCommand(['extra'], out, err, { TICKWIRE_SECRET: 's'.repeat(32) })).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-serve-'));
    try {
      expect(await serveCommand(['--port', '0'], out, err, { TICKWIRE_SECRET: 's'.repeat(32) }, dir)).toBe(2);
      expect(err.text()).toMatch(/no game module: pass --rooms <file\.js>/);
      expect(await serveCommand(['--rooms', 'missing.js'], out, err, { TICKWIRE_SECRET: 's'.repeat(32) }, dir)).toBe(2);
      expect(err.text()).toMatch(/game module .*missing\.js \(given by --rooms\) does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await serveCommand(['--help'], out, err, {})).toBe(0);
    expect(out.text()).toMatch(/usage: tickwire serve/);
  });
});

const skip = await redisMissing();
describe.skipIf(skip !== undefined)('tickwire serve: a process of a cluster', () => {
  const redis = skip ? undefined : connection();
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-serve-'));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (!redis) return;
    await dropPrefixes(redis);
    await redis.quit();
  });

  const start = async (name: string, signals: Signals) => {
    const prefix = freshPrefix('serve');
    const out = capture();
    const err = capture();
    const env = {
      REDIS_URL: redisUrl,
      TICKWIRE_REDIS_PREFIX: prefix,
      DATABASE_URL: join(dir, `${name}.db`),
      TICKWIRE_SECRET: 'the serve test secret of 32 bytes',
      TICKWIRE_ADMIN_TOKEN: 'serve-test-admin-token',
      TICKWIRE_PROCESS_ID: name,
      TICKWIRE_HEARTBEAT_MS: '100',
      TICKWIRE_PROCESS_TTL_MS: '300',
      LOG_LEVEL: 'silent',
    };
    const exited = serveCommand(['--rooms', gameModule, '--port', '0', '--host', '127.0.0.1'], out, err, env, dir, signals);
    for (let i = 0; i < 500 && out.lines.length === 0; i++) {
      if (await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10))])) break;
    }
    if (out.lines.length === 0) throw new Error(`serve did not start: ${err.text()}`);
    const address: { process: string; url: string; httpUrl: string; port: number } = JSON.parse(out.lines[0]!);
    return { address, exited, processes: new RedisProcessRegistry(redis!, { prefix }), err };
  };

  it('joins the cluster, prints where it is, and stops when drained through its admin endpoint', async () => {
    const p = await start('serve-a', () => () => undefined);
    expect(p.address).toMatchObject({ process: 'serve-a', url: `ws://127.0.0.1:${p.address.port}/ws`, httpUrl: `http://127.0.0.1:${p.address.port}` });
    expect(await p.processes.get('serve-a')).toMatchObject({ url: p.address.url, draining: false });
    const health = await fetch(`${p.address.httpUrl}/api/health`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const drain = await fetch(`${p.address.httpUrl}/api/admin/drain`, { method: 'POST', headers: { authorization: 'Bearer serve-test-admin-token' }, body: '{}' });
    expect(drain.status).toBe(202);
    expect(await p.exited).toBe(0);
    expect(await p.processes.get('serve-a')).toBeUndefined();
  });

  it('drains on SIGTERM and exits 0; a second signal exits at once with 1', async () => {
    let signal: (s: 'SIGTERM' | 'SIGINT') => void = () => undefined;
    const p = await start('serve-b', (on) => {
      signal = on;
      return () => undefined;
    });
    signal('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(await p.processes.get('serve-b')).toBeUndefined();
    const q = await start('serve-c', (on) => {
      signal = on;
      return () => undefined;
    });
    signal('SIGINT');
    signal('SIGINT');
    expect(await q.exited).toBe(1);
  });
});
