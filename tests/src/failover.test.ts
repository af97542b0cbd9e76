/**
 * One room, one owner, across processes that share a registry and a database (SQLite and
 * PostgreSQL): an owner that stalls past its lease loses the room to another process, which
 * rebuilds it from the last checkpoint; when the stalled one wakes, the database refuses its
 * writes and it closes its copy, so the new owner's state is the only one that lasts.
 *
 * Each process is a server on a clock of its own, so "stalled" is exact: its clock stands still
 * while the registry's and the other process's move on.
 */
import { ManualClock } from '@tickwire/protocol';
import { MemoryRegistry } from '@tickwire/server';
import { afterAll, describe, expect, it } from 'vitest';
import { bank, bankRoom } from './fixtures/bank.js';
import { backends, databases, settleStepping, steppedWorld } from './persistence-support.js';

const dbs = databases();
afterAll(() => dbs.dropAll());

describe.each(backends)('failover on $name', (backend) => {
  it('a stalled owner loses the room, the new owner continues from the checkpoint, the old one is fenced out', async () => {
    const url = await dbs.fresh(backend);
    const registryClock = new ManualClock(0);
    const registry = new MemoryRegistry(registryClock);
    const a = await steppedWorld(url, bankRoom({ checkpointMs: 100 }), undefined, { registry, processId: 'a', leaseMs: 3000 });
    dbs.defer(() => a.close());
    const ada = await a.join(bank, 'vault', 'ada');
    const [deposited] = await settleStepping(a.clock, [ada.sendCommand('bank', 'deposit', { txid: 1, amount: 5 })]);
    expect(deposited?.status).toBe('fulfilled');
    const first = (await registry.lookup('vault'))!;
    expect(first.owner).toBe('a');

    // a stalls; its lease runs out on the registry's clock; b takes the room over.
    registryClock.advance(3500);
    const b = await steppedWorld(url, bankRoom({ checkpointMs: 100 }), undefined, { registry, processId: 'b', leaseMs: 3000 });
    dbs.defer(() => b.close());
    const bob = await b.join(bank, 'vault', 'ada');
    const second = (await registry.lookup('vault'))!;
    expect(second).toMatchObject({ owner: 'b' });
    expect(second.epoch).toBeGreaterThan(first.epoch);
    const [again] = await settleStepping(b.clock, [bob.sendCommand('bank', 'deposit', { txid: 2, amount: 7 })]);
    expect(again?.status).toBe('fulfilled');

    // a wakes: a deposit it takes cannot commit, and it closes its copy of the room.
    const late = a.server.rooms.get('vault')!;
    const [stale] = await settleStepping(a.clock, [ada.sendCommand('bank', 'deposit', { txid: 3, amount: 100 })]);
    expect(stale?.status).toBe('rejected');
    await a.stepUntil(() => late.isDisposed, 5000);
    expect(a.server.rooms.get('vault')).toBeUndefined();

    // Only the new owner's state lasts: 5 (a's, rebuilt from its checkpoint) + 7, never the stale 100.
    await b.step(500);
    const stored = await b.storage.loadRoom('vault');
    expect(stored?.players.find((p) => p.userId === 'ada')?.data).toEqual({ balance: 12 });
  });
});
