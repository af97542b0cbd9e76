import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, ErrorCode, PROTOCOL_VERSION } from '@tickwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { flush, gameRoom, harness, silent } from './harness.test-support.js';
import { createServer, type TickwireServer } from './server.js';

describe('HTTP API', () => {
  const servers: TickwireServer[] = [];
  afterEach(async () => {
    while (servers.length) await servers.pop()!.close();
  });

  async function start(staticDir?: string) {
    const server = createServer({ rooms: gameRoom(), logger: silent, processMetrics: false, staticDir });
    servers.push(server);
    const addr = await server.listen(0, '127.0.0.1');
    return { server, url: addr.url };
  }

  it('serves health, the room list and Prometheus metrics', async () => {
    const { server, url } = await start();
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', protocol: PROTOCOL_VERSION, rooms: 0, clients: 0 });
    await server.rooms.open('alpha');
    const rooms = (await (await fetch(`${url}/api/rooms`)).json()) as { rooms: unknown[] };
    expect(rooms.rooms).toEqual([expect.objectContaining({ code: 'alpha', players: 0, tickRate: 20, snapshotRate: 20 })]);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    for (const name of [
      'tickwire_rooms 1',
      'tickwire_clients 0',
      'tickwire_tick_duration_seconds_bucket',
      'tickwire_ticks_dropped_total',
      'tickwire_bytes_in_total',
      'tickwire_bytes_out_total',
      'tickwire_snapshots_skipped_total',
      'tickwire_snapshot_bytes_bucket',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('serves static files, falls back to index.html for routes, and refuses to leave the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tickwire-static-'));
    await writeFile(join(dir, 'index.html'), '<h1>arena</h1>');
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const { url } = await start(dir);
    expect(await (await fetch(`${url}/`)).text()).toBe('<h1>arena</h1>');
    const js = await fetch(`${url}/assets/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await (await fetch(`${url}/play`)).text()).toBe('<h1>arena</h1>');
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    // An encoded slash survives URL normalisation, so this really tries to climb out.
    const escape = await new Promise<number>((resolve, reject) => {
      request(`${url}/..%2f..%2f..%2fetc%2fpasswd`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(escape).toBe(404);
    expect((await fetch(`${url}/api/health`, { method: 'POST' })).status).toBe(405);
  });
});

describe('shutdown', () => {
  it('tells clients with an error and close 1001, disposes rooms, and refuses new joins', async () => {
    let disposed = 0;
    const h = harness(gameRoom({ onDispose: () => void disposed++ }));
    const a = await h.join();
    await h.close();
    await flush();
    expect(a.errors.at(-1)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, fatal: true });
    expect(a.closed?.code).toBe(CloseCode.GOING_AWAY);
    expect(disposed).toBe(1);
    const b = h.connect();
    b.hello();
    await flush();
    expect(b.errors[0]?.code).toBe(ErrorCode.SHUTTING_DOWN);
  });

  it('shuts down on the first signal and exits at once on the second', async () => {
    const h = harness();
    await h.join();
    const exits: number[] = [];
    const remove = h.server.handleSignals((code) => exits.push(code));
    try {
      process.emit('SIGTERM');
      process.emit('SIGINT');
      expect(exits).toEqual([1]);
      await flush();
      await flush();
      expect(exits).toEqual([1, 0]);
      expect(h.server.closing).toBe(true);
    } finally {
      remove();
    }
  });
});
