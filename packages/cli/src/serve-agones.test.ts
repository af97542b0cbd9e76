/**
 * `tickwire serve` run by Agones: with AGONES_SDK_HTTP_PORT set it takes its public address from
 * the GameServer, sets the rooms and players counters to its capacity, goes Ready, and tells
 * Agones Shutdown when it stops. Real Redis, a real process on port 0, and the stand-in sidecar.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connection, dropPrefixes, freshPrefix, redisMissing, redisUrl } from '../../redis/src/redis.test-support.js';
import { AgonesSidecar } from './agones-sidecar.test-support.js';
import { serveCommand } from './serve-command.js';

const gameModule = fileURLToPath(new URL('./serve-rooms.test-support.ts', import.meta.url));

/** Collects what the command writes; `first` resolves with its first line. */
function output() {
  let resolve: (line: string) => void = () => undefined;
  const first = new Promise<string>((r) => (resolve = r));
  const lines: string[] = [];
  return {
    first,
    text: () => lines.join(''),
    write: (s: string) => {
      lines.push(s);
      resolve(s);
    },
  };
}

describe('tickwire serve under Agones: configuration', () => {
  it('refuses an AGONES_SDK_HTTP_PORT that is not a port', async () => {
    const err = output();
    expect(await serveCommand(['--port', '0'], output(), err, { TICKWIRE_SECRET: 's'.repeat(32), AGONES_SDK_HTTP_PORT: 'x' })).toBe(2);
    expect(err.text()).toMatch(/AGONES_SDK_HTTP_PORT must be a port number/);
  });
});

const skip = await redisMissing();
describe.skipIf(skip !== undefined)('tickwire serve under Agones', () => {
  const redis = skip ? undefined : connection();
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-agones-'));
  const sidecar = new AgonesSidecar();
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await sidecar.close();
    if (!redis) return;
    await dropPrefixes(redis);
    await redis.quit();
  });

  it('announces the GameServer address, reports capacity, goes Ready, and shuts the GameServer down when drained', async () => {
    await sidecar.listen();
    sidecar.address = '127.0.0.1';
    sidecar.ports = [{ name: 'default', port: 7654 }];
    sidecar.counters.set('rooms', { count: 0, capacity: 10 });
    sidecar.counters.set('players', { count: 0, capacity: 100 });
    const out = output();
    const err = output();
    const env = {
      REDIS_URL: redisUrl,
      TICKWIRE_REDIS_PREFIX: freshPrefix('serve-agones'),
      DATABASE_URL: join(dir, 'agones.db'),
      TICKWIRE_SECRET: 'the agones test secret of 32 bytes',
      TICKWIRE_ADMIN_TOKEN: 'agones-test-admin-token',
      TICKWIRE_CAPACITY_ROOMS: '5',
      TICKWIRE_CAPACITY_CLIENTS: '40',
      AGONES_SDK_HTTP_PORT: String(sidecar.port),
      LOG_LEVEL: 'silent',
    };
    const exited = serveCommand(['--rooms', gameModule, '--port', '0', '--host', '127.0.0.1'], out, err, env, dir, () => () => undefined);
    const line = await Promise.race([out.first, exited.then((code) => `exited ${code}: ${err.text()}`)]);
    const address: { url: string; httpUrl: string; port: number } = JSON.parse(line);
    expect(address.url).toBe('ws://127.0.0.1:7654/ws');
    expect(address.httpUrl).toBe(`http://127.0.0.1:${address.port}`);

    // The first line is written once the process is in the cluster; Ready follows it.
    const ready = sidecar.state === 'Ready' ? undefined : sidecar.next('POST', '/ready');
    await ready;
    expect(Object.fromEntries(sidecar.counters)).toEqual({ rooms: { count: 0, capacity: 5 }, players: { count: 0, capacity: 40 } });

    const shutdown = sidecar.next('POST', '/shutdown');
    const drain = await fetch(`${address.httpUrl}/api/admin/drain`, { method: 'POST', headers: { authorization: 'Bearer agones-test-admin-token' }, body: '{}' });
    expect(drain.status).toBe(202);
    expect(await exited).toBe(0);
    await shutdown;
    expect(sidecar.state).toBe('Shutdown');
  });
});
