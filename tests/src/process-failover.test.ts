/**
 * Three game processes sharing a real Redis and a real PostgreSQL, on real sockets. One dies
 * (its timers stop and its sockets are cut, without releasing anything): every room it ran is
 * open again on the other two within a few seconds, rebuilt from its checkpoints, and each
 * player resumes there by itself with a fresh ticket; every acknowledged deposit is there. The
 * dead one, woken up, cannot write: its critical commit is refused, and the room it thought it
 * owned closes. No room is ever open in two live processes.
 */
import { connect, webSocketTransport, type ClientRoom } from '@tickwire/client';
import { JoinTickets } from '@tickwire/server';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterServicesMissing, freshServices } from './cluster-services.js';
import { eventually, socketTo, startProcess, SwitchableStore, type Deployment, type GameProcess } from './process-failover-support.js';
import { bank, bankRoom, depositKey, type Bank } from './fixtures/bank.js';

const skip = await clusterServicesMissing();

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

/** A fresh PostgreSQL schema and Redis prefix, removed after the tests. */
async function deployment(name: string): Promise<Deployment> {
  return { ...(await freshServices(name, cleanup)), secret: 'a deployment secret, 32 bytes ok' };
}

describe.skipIf(skip !== undefined)('a cluster on Redis and PostgreSQL', () => {
  it('reopens a dead process\u2019s rooms elsewhere from their checkpoints; players resume; the dead one, woken, cannot write', { timeout: 60_000 }, async () => {
    const d = await deployment('cluster');
    const procs: GameProcess[] = [];
    for (const id of ['a', 'b', 'c']) {
      const p = await startProcess(d, id, { bank: bankRoom({ checkpointMs: 100 }) }, { heartbeatMs: 250, processTtlMs: 1000 });
      procs.push(p);
      cleanup.push(() => p.close());
    }
    const [a, b, c] = procs as [GameProcess, GameProcess, GameProcess];
    const registry = a.server.registry;
    const processes = a.server.cluster!.processes;
    expect((await processes.list()).map((p) => p.id).sort()).toEqual(['a', 'b', 'c']);

    // What a gateway does for the SDK, done here by the test: the first join is placed on `a`
    // (a ticket with the room type opens the room there); later attempts go to the room's live
    // owner with a fresh ticket, and fail (the SDK retries after its backoff) while it has none.
    const tickets = new JoinTickets(d.secret);
    const join = (code: string, user: string): Promise<ClientRoom<Bank>> => {
      let target = '';
      let placed = false;
      return connect({
        protocol: bank,
        room: code,
        name: user,
        token: async () => {
          if (!placed) {
            placed = true;
            target = (await processes.get('a'))!.url;
            return tickets.issue({ userId: user, name: user, room: code, type: 'bank', process: 'a' });
          }
          const claim = await registry.lookup(code);
          const owner = claim && (await processes.get(claim.owner));
          if (!owner) throw new Error(`no live process owns ${code} yet`);
          target = owner.url;
          return tickets.issue({ userId: user, name: user, room: code, process: owner.id });
        },
        transport: async () => {
          const { transport, opened } = webSocketTransport(socketTo(target));
          await opened;
          return transport;
        },
        reconnect: { initialDelayMs: 100, maxDelayMs: 400, windowMs: 30_000 },
      });
    };

    const codes = ['vault', 'room-1', 'room-2', 'room-3', 'room-4', 'room-5'];
    const players = new Map<string, ClientRoom<Bank>>();
    for (const code of codes) players.set(code, await join(code, code === 'vault' ? 'ada' : `u-${code}`));
    for (const p of players.values()) cleanup.push(async () => p.leave());
    expect(a.server.rooms.size).toBe(codes.length);
    // Acknowledged deposits: committed before their answers came back.
    await players.get('vault')!.sendCommand('bank', 'deposit', { txid: 1, amount: 5 });
    for (const code of codes.slice(1)) await players.get(code)!.sendCommand('bank', 'deposit', { txid: 1, amount: 3 });
    const before = new Map(await Promise.all(codes.map(async (code) => [code, (await registry.lookup(code))!.epoch] as const)));
    const stale = a.server.rooms.get('vault')!;

    // a dies.
    const killedAt = Date.now();
    a.kill();
    const owners = await eventually(
      async () => {
        const found = new Map<string, string>();
        for (const code of codes) {
          const claim = await registry.lookup(code);
          const open = [b, c].find((p) => claim && p.id === claim.owner && p.server.rooms.get(code));
          if (!claim || !open || claim.epoch <= before.get(code)!) return undefined;
          found.set(code, open.id);
        }
        return found;
      },
      'every room of a open on b or c',
    );
    const failoverMs = Date.now() - killedAt;
    expect(failoverMs).toBeLessThan(5000);
    console.log(`cluster failover: ${codes.length} rooms reopened on ${[...new Set(owners.values())].sort().join(' and ')} in ${failoverMs} ms`);

    // Every player is back by itself, at the room's new owner, with its deposit.
    await eventually(() => ([...players.values()].every((p) => p.status === 'connected') ? true : undefined), 'every player to resume');
    const resumedMs = Date.now() - killedAt;
    console.log(`cluster failover: every player resumed ${resumedMs} ms after the kill`);
    const ada = players.get('vault')!;
    expect(await ada.sendCommand('bank', 'deposit', { txid: 2, amount: 7 })).toBeUndefined();
    const owner = [b, c].find((p) => p.id === owners.get('vault'))!;
    await eventually(async () => ((await owner.storage.loadRoom('vault'))?.players.find((p) => p.userId === 'ada')?.data as { balance?: number } | undefined)?.balance === 12 || undefined, 'the checkpoint of 5 + 7');

    // a wakes up: the room it still holds in memory can commit nothing, and it closes.
    a.resume();
    await expect(stale.persist!.once(depositKey('ada', 99), { apply: () => ({ balance: 100 }), undo: () => undefined })).rejects.toThrow();
    await eventually(() => (a.server.rooms.get('vault') === undefined ? true : undefined), 'the stale copy to close');
    expect(await owner.storage.committedResult(depositKey('ada', 99))).toBeUndefined();
    expect(await owner.storage.committedResult(depositKey('ada', 1))).toBeDefined();
    const stored = await owner.storage.loadRoom('vault');
    expect(stored?.players.find((p) => p.userId === 'ada')?.data).toEqual({ balance: 12 });

    // One room, one owner: each code is open in exactly one live process, the one the registry names.
    for (const code of codes) {
      const open = [b, c].filter((p) => p.server.rooms.get(code));
      expect(open.map((p) => p.id)).toEqual([(await registry.lookup(code))!.owner]);
    }
    for (const code of codes.slice(1)) {
      const at = [b, c].find((p) => p.id === owners.get(code))!;
      await eventually(async () => ((await at.storage.loadRoom(code))?.players[0]?.data as { balance?: number } | undefined)?.balance === 3 || undefined, `${code}'s deposit`);
    }
  });

  it('leaves a room it cannot load (its database unreachable) an orphan, and takes it over once the database is back', { timeout: 30_000 }, async () => {
    const d = await deployment('cluster-db-down');
    const timing = { heartbeatMs: 100, processTtlMs: 400 };
    const a = await startProcess(d, 'a', { bank: bankRoom() }, timing);
    cleanup.push(() => a.close());
    let store: SwitchableStore | undefined;
    const b = await startProcess(d, 'b', { bank: bankRoom() }, timing, (s) => (store = new SwitchableStore(s)));
    cleanup.push(() => b.close());
    const opened = await a.server.rooms.open({ room: 'cellar', create: false, type: 'bank', protocolHash: bank.hash });
    expect(opened).toHaveProperty('code', 'cellar');
    store!.down = true;
    a.kill();
    await eventually(() => (store!.attempts >= 3 ? true : undefined), 'b to try the orphan a few times');
    expect(b.server.rooms.get('cellar')).toBeUndefined();
    expect((await b.server.registry.orphans()).map((o) => o.code)).toEqual(['cellar']);
    store!.down = false;
    await eventually(() => (b.server.rooms.get('cellar') ? true : undefined), 'b to take the room over once the database is back');
    expect(await b.server.registry.lookup('cellar')).toMatchObject({ owner: 'b', type: 'bank' });
  });
});
