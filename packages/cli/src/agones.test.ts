/**
 * The Agones integration against a stand-in for the SDK sidecar (agones-sidecar.test-support.ts:
 * a real HTTP server on 127.0.0.1 port 0 answering the sidecar's REST paths as Agones does), so
 * what is tested is the wire protocol the process speaks. Time is a ManualClock.
 */
import { ManualClock } from '@tickwire/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgonesSidecar as Sidecar } from './agones-sidecar.test-support.js';
import { AgonesError, AgonesReporter, AgonesSdk, agonesPublicUrl, type AgonesLoad } from './agones.js';

let sidecar: Sidecar;
async function startSidecar(): Promise<Sidecar> {
  sidecar = new Sidecar();
  sidecar.counters.set('rooms', { count: 0, capacity: 10 });
  sidecar.counters.set('players', { count: 0, capacity: 100 });
  await sidecar.listen();
  return sidecar;
}

afterEach(async () => {
  await sidecar?.close();
});

describe('AgonesSdk', () => {
  it('is found from AGONES_SDK_HTTP_PORT, which Agones sets, and refuses a value that is not a port', () => {
    expect(AgonesSdk.fromEnv({})).toBeUndefined();
    expect(AgonesSdk.fromEnv({ AGONES_SDK_HTTP_PORT: '' })).toBeUndefined();
    expect(AgonesSdk.fromEnv({ AGONES_SDK_HTTP_PORT: '9358' })?.baseUrl).toBe('http://127.0.0.1:9358');
    for (const bad of ['0', '70000', 'abc', '93 58', '-1']) expect(() => AgonesSdk.fromEnv({ AGONES_SDK_HTTP_PORT: bad })).toThrow(RangeError);
  });

  it("reads the GameServer's public address and the host port of its default port", async () => {
    const s = await startSidecar();
    const sdk = new AgonesSdk(s.port);
    expect(await sdk.address()).toEqual({ address: '10.0.0.7', port: 7654 });
    expect(await sdk.address('metrics')).toEqual({ address: '10.0.0.7', port: 7001 });
    s.address = '';
    expect(await sdk.address()).toBeUndefined();
  });

  it('makes the public URL from the address once the GameServer is scheduled, waiting until it is', async () => {
    const s = await startSidecar();
    const clock = new ManualClock();
    s.address = '';
    const url = agonesPublicUrl(new AgonesSdk(s.port), { clock });
    await vi.waitFor(() => expect(clock.pending).toBe(1));
    s.address = '2001:db8::7';
    clock.advance(250);
    expect(await url).toBe('ws://[2001:db8::7]:7654/ws');
    s.address = '10.0.0.7';
    expect(await agonesPublicUrl(new AgonesSdk(s.port), { clock })).toBe('ws://10.0.0.7:7654/ws');
  });

  it('does not wait on a sidecar that refuses (a 4xx), only on one that is not up yet', async () => {
    const s = await startSidecar();
    const clock = new ManualClock();
    s.refuse = '/ready';
    const r = new AgonesReporter(new AgonesSdk(s.port), { load: () => ({ rooms: 0, players: 0 }), capacity: { rooms: 1, players: 1 }, clock });
    await expect(r.start()).rejects.toMatchObject({ name: 'AgonesError', status: 403 });
    expect(clock.pending).toBe(0);
    expect(s.calls('POST', '/ready')).toHaveLength(1);
  });

  it('refuses an address or port from the sidecar that is not one, and an answer too large to be a GameServer', async () => {
    const s = await startSidecar();
    const sdk = new AgonesSdk(s.port);
    s.ports = [{ name: 'default', port: 70000 }];
    await expect(sdk.address()).rejects.toThrow(/not a port number/);
    s.ports = [{ name: 'default', port: '7654' }];
    await expect(sdk.address()).rejects.toThrow(/not a port number/);
    s.ports = [{ name: 'default', port: 7654 }];
    s.address = 'evil host/path';
    await expect(sdk.address()).rejects.toThrow(/not a host name/);
    s.address = '10.0.0.7';
    s.padding = 2 * 1024 * 1024;
    await expect(sdk.address()).rejects.toThrow(/larger than/);
  });

  it('sets counters with int64 strings and reports what Agones refuses with its status', async () => {
    const s = await startSidecar();
    const sdk = new AgonesSdk(s.port);
    expect(await sdk.setCounter('rooms', 3, 12)).toEqual({ name: 'rooms', count: 3, capacity: 12 });
    expect(s.seen.at(-1)).toEqual({ method: 'PATCH', path: '/v1beta1/counters/rooms', body: { name: 'rooms', count: '3', capacity: '12' } });
    await expect(sdk.setCounter('rooms', 13)).rejects.toMatchObject({ name: 'AgonesError', status: 400 });
    await expect(sdk.setCounter('sessions', 1)).rejects.toMatchObject({ status: 404 });
    await expect(sdk.setCounter('../ready', 1)).rejects.toThrow(RangeError);
    await expect(sdk.setCounter('rooms', -1)).rejects.toThrow(RangeError);
  });

  it('says which sidecar did not answer when nothing listens', async () => {
    const s = await startSidecar();
    const port = s.port;
    await s.close();
    const err = await new AgonesSdk(port, { timeoutMs: 500 }).ready().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgonesError);
    expect(err).toMatchObject({ status: undefined, message: expect.stringContaining(`127.0.0.1:${port}`) });
  });
});

describe('AgonesReporter', () => {
  function reporter(s: Sidecar, load: { value: AgonesLoad }, clock: ManualClock, capacity: AgonesLoad = { rooms: 10, players: 100 }): AgonesReporter {
    return new AgonesReporter(new AgonesSdk(s.port), { load: () => load.value, capacity, clock, healthMs: 2000 });
  }

  it('sets capacities and counts, marks the GameServer Ready, then pings health and sends the counters that changed', async () => {
    const s = await startSidecar();
    const clock = new ManualClock();
    const load = { value: { rooms: 2, players: 7 } };
    const r = reporter(s, load, clock, { rooms: 8, players: 64 });
    await r.start();
    expect(s.state).toBe('Ready');
    expect(Object.fromEntries(s.counters)).toEqual({ rooms: { count: 2, capacity: 8 }, players: { count: 7, capacity: 64 } });
    expect(s.seen.map((x) => `${x.method} ${x.path}`)).toEqual(['PATCH /v1beta1/counters/rooms', 'PATCH /v1beta1/counters/players', 'POST /ready']);

    load.value = { rooms: 2, players: 9 };
    const health = s.next('POST', '/health');
    const players = s.next('PATCH', '/v1beta1/counters/players');
    clock.advance(1999);
    expect(s.calls('POST', '/health')).toHaveLength(0);
    clock.advance(1);
    await health;
    expect((await players).body).toEqual({ name: 'players', count: '9' });
    expect(s.counters.get('players')).toEqual({ count: 9, capacity: 64 });

    // Nothing changed: a health ping and no counter.
    const before = s.seen.length;
    await r.beat();
    expect(s.seen.slice(before).map((x) => x.path)).toEqual(['/health']);

    await r.stop(true);
    expect(s.state).toBe('Shutdown');
    expect(clock.pending).toBe(0);
    expect(s.calls('PATCH', '/v1beta1/counters/rooms')).toHaveLength(1);
  });

  it('keeps a count within its capacity, which Agones would refuse', async () => {
    const s = await startSidecar();
    const r = reporter(s, { value: { rooms: 15, players: 250.7 } }, new ManualClock());
    await r.start();
    expect(Object.fromEntries(s.counters)).toEqual({ rooms: { count: 10, capacity: 10 }, players: { count: 100, capacity: 100 } });
    await r.stop(false);
    expect(s.state).toBe('Ready');
  });

  it('waits for a sidecar that starts after the game, and gives up after startTimeoutMs', async () => {
    const s = await startSidecar();
    const clock = new ManualClock();
    s.unavailable = 2;
    const r = reporter(s, { value: { rooms: 0, players: 0 } }, clock);
    const started = r.start();
    await vi.waitFor(() => expect(clock.pending).toBe(1));
    clock.advance(250);
    await vi.waitFor(() => expect(s.seen).toHaveLength(2));
    await vi.waitFor(() => expect(clock.pending).toBe(1));
    clock.advance(500);
    await started;
    expect(s.state).toBe('Ready');
    await r.stop(false);

    s.unavailable = 1000;
    const late = new AgonesReporter(new AgonesSdk(s.port), { load: () => ({ rooms: 0, players: 0 }), capacity: { rooms: 1, players: 1 }, clock, startTimeoutMs: 1000 });
    const failed = late.start().catch((e: unknown) => e);
    for (const wait of [250, 500]) {
      await vi.waitFor(() => expect(clock.pending).toBe(1));
      clock.advance(wait);
    }
    expect(await failed).toMatchObject({ name: 'AgonesError', message: expect.stringMatching(/within 1000 ms: .* with 503/) });
  });

  it('goes Ready without a counter the Fleet does not declare, and stops sending it', async () => {
    const s = await startSidecar();
    s.counters.delete('players');
    const load = { value: { rooms: 1, players: 5 } };
    const r = reporter(s, load, new ManualClock());
    await r.start();
    expect(s.state).toBe('Ready');
    load.value = { rooms: 2, players: 6 };
    await r.beat();
    expect(s.calls('PATCH', '/v1beta1/counters/players')).toHaveLength(1);
    expect(s.counters.get('rooms')).toEqual({ count: 2, capacity: 10 });
    await r.stop(false);
  });

  it('goes on pinging when reading the load throws', async () => {
    const s = await startSidecar();
    let fail = false;
    const r = new AgonesReporter(new AgonesSdk(s.port), {
      load: () => {
        if (fail) throw new Error('runtime closed');
        return { rooms: 1, players: 1 };
      },
      capacity: { rooms: 10, players: 10 },
      clock: new ManualClock(),
    });
    await r.start();
    fail = true;
    await r.beat();
    expect(s.calls('POST', '/health')).toHaveLength(1);
    await r.stop(false);
  });
});
