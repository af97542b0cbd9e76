/**
 * The exactly-once contract of critical transactions (`room.persist.once`), on SQLite and on
 * PostgreSQL: concurrent calls with one key apply once, in memory and in the database; a
 * committed key (also after a restart, also when the process died between its commit and its
 * answer) applies nothing and answers the first result; a failed commit is undone and a retry
 * then applies. A property test drives random batches of keys, concurrency and commit failures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect as connectNode } from '@tickwire/client/node';
import { defineProtocol, t } from '@tickwire/protocol';
import { defineRoom, reject, type CriticalStep } from '@tickwire/server';
import type { RoomRuntime as Room } from '@tickwire/server/internal';
import { openStorage } from '@tickwire/storage';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bank, bankRoom, depositKey } from './fixtures/bank.js';
import { backends, databases, FaultyStore, settleStepping, steppedWorld } from './persistence-support.js';

const dbs = databases();
/** Bank servers started here, killed at the end whatever happened to the test that started them. */
const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await dbs.dropAll();
});

const ledgerProtocol = defineProtocol({ name: 'ledger', components: { tag: { v: t.uint(8) } }, entities: { tag: ['tag'] } });

interface Ledger {
  total: number;
  /** Calls of apply and of undo per key: a key applied twice shows here even if undone later. */
  applies: Map<string, number>;
  undos: Map<string, number>;
}

/** A room whose durable state is one running total, kept in its metadata. */
const ledgerRoom = defineRoom<typeof ledgerProtocol, Ledger>({
  protocol: ledgerProtocol,
  createOnJoin: true,
  reconnectWindowMs: 0,
  emptyGraceMs: 3_600_000,
  setup: () => ({ total: 0, applies: new Map(), undos: new Map() }),
  persistence: {
    meta: {
      save: (room) => ({ total: room.state.total }),
      load: (room, meta) => {
        const saved = meta as { total?: unknown };
        if (typeof saved.total === 'number') room.state.total = saved.total;
      },
    },
  },
});

function ledgerOf(room: Room): Ledger {
  return room.state as Ledger;
}

/** Adding `amount` to the total as a critical step, counting every apply and undo per key. */
function add(ledger: Ledger, key: string, amount: number): CriticalStep<{ total: number }> {
  return {
    apply: () => {
      ledger.total += amount;
      ledger.applies.set(key, (ledger.applies.get(key) ?? 0) + 1);
      return { total: ledger.total };
    },
    undo: () => {
      ledger.total -= amount;
      ledger.undos.set(key, (ledger.undos.get(key) ?? 0) + 1);
    },
  };
}

const bankServer = fileURLToPath(new URL('./fixtures/bank-server.ts', import.meta.url));

/** The bank server in a child process; `dieAfter` makes it SIGKILL itself once that deposit has committed. */
async function startBank(url: string, dieAfter?: number): Promise<{ child: ChildProcess; wsUrl: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bankServer, url, ...(dieAfter === undefined ? [] : [String(dieAfter)])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const wsUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bank server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { wsUrl: string }).wsUrl));
  });
  return { child, wsUrl };
}

describe.each(backends)('critical transactions on $name', (backend) => {
  it('N concurrent calls with one key apply once and all answer the first result, in memory and in the database', async () => {
    const url = await dbs.fresh(backend);
    const w = await steppedWorld(url, ledgerRoom);
    try {
      const room = await w.room('ledger');
      const ledger = ledgerOf(room);
      const calls = Array.from({ length: 12 }, () => room.persist!.once('pay-1', add(ledger, 'pay-1', 5)));
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
      for (const o of outcomes) expect(o.result).toEqual({ total: 5 });
      expect(ledger.total).toBe(5);
      expect(ledger.applies.get('pay-1')).toBe(1);
      expect(ledger.undos.get('pay-1')).toBeUndefined();
      await room.persist!.flush();
      expect((await w.storage.loadRoom('ledger'))?.meta).toEqual({ total: 5 });
      expect(await w.storage.committedResult('pay-1')).toEqual({ result: { total: 5 } });
      // A later call with the key is a replay too.
      expect(await room.persist!.once('pay-1', add(ledger, 'pay-1', 5))).toEqual({ result: { total: 5 }, replayed: true });
      expect(ledger.total).toBe(5);
    } finally {
      await w.close();
    }
  });

  it('the same deposit sent many times at once over the wire is applied once; every copy is answered ok', async () => {
    const url = await dbs.fresh(backend);
    const applied: number[] = [];
    const w = await steppedWorld(url, bankRoom({ applied }));
    try {
      const ada = await w.join(bank, 'vault', 'ada');
      const answers = Array.from({ length: 6 }, () => ada.sendCommand('bank', 'deposit', { txid: 42, amount: 7 }).then(() => 'ok'));
      const settled = await settleStepping(w.clock, answers);
      expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).toEqual(Array(6).fill('ok'));
      expect(applied).toEqual([42]);
      const room = await w.room('vault');
      expect((room.state as { balances: Map<string, number> }).balances.get('ada')).toBe(7);
      await room.persist!.flush();
      expect((await w.storage.loadRoom('vault'))?.players).toEqual([{ userId: 'ada', data: { balance: 7 } }]);
      ada.disconnect();
    } finally {
      await w.close();
    }
  });

  it('after a restart, a committed key applies nothing and answers the first result', async () => {
    const url = await dbs.fresh(backend);
    const first = await steppedWorld(url, ledgerRoom);
    const room = await first.room('ledger');
    expect(await room.persist!.once('pay-1', add(ledgerOf(room), 'pay-1', 5))).toEqual({ result: { total: 5 }, replayed: false });
    await first.close();

    const second = await steppedWorld(url, ledgerRoom);
    try {
      const again = await second.room('ledger');
      const ledger = ledgerOf(again);
      expect(ledger.total).toBe(5);
      const replay = await again.persist!.once('pay-1', {
        apply: () => {
          throw new Error('a committed key must not apply again');
        },
        undo: () => undefined,
      });
      expect(replay).toEqual({ result: { total: 5 }, replayed: true });
      expect(ledger.total).toBe(5);
    } finally {
      await second.close();
    }
  });

  it('a failed commit runs undo and rejects; a retry with the key then applies once', async () => {
    const url = await dbs.fresh(backend);
    let faulty: FaultyStore | undefined;
    const w = await steppedWorld(url, ledgerRoom, (storage) => (faulty = new FaultyStore(storage)));
    try {
      const room = await w.room('ledger');
      const ledger = ledgerOf(room);
      faulty!.failKeys.add('pay-1');
      const [failed] = await settleStepping(w.clock, [room.persist!.once('pay-1', add(ledger, 'pay-1', 5))]);
      expect(failed?.status === 'rejected' && String(failed.reason)).toBe('Error: the database went away');
      expect(ledger.total).toBe(0);
      expect(ledger.applies.get('pay-1')).toBe(1);
      expect(ledger.undos.get('pay-1')).toBe(1);
      expect(await w.storage.committedResult('pay-1')).toBeUndefined();
      faulty!.failKeys.clear();
      const [retried] = await settleStepping(w.clock, [room.persist!.once('pay-1', add(ledger, 'pay-1', 5))]);
      expect(retried?.status === 'fulfilled' && retried.value).toEqual({ result: { total: 5 }, replayed: false });
      await settleStepping(w.clock, [room.persist!.flush()]);
      expect((await w.storage.loadRoom('ledger'))?.meta).toEqual({ total: 5 });
    } finally {
      await w.close();
    }
  });

  it('a refusal from apply commits nothing and leaves the key unused', async () => {
    const url = await dbs.fresh(backend);
    const w = await steppedWorld(url, ledgerRoom);
    try {
      const room = await w.room('ledger');
      const refused = room.persist!.once('pay-1', { apply: () => reject('not enough gold'), undo: () => undefined });
      await expect(refused).rejects.toThrow('not enough gold');
      expect(await w.storage.committedResult('pay-1')).toBeUndefined();
      expect(await room.persist!.once('pay-1', add(ledgerOf(room), 'pay-1', 3))).toEqual({ result: { total: 3 }, replayed: false });
      await expect(room.persist!.once('', add(ledgerOf(room), '', 3))).rejects.toThrow(/non-empty key/);
    } finally {
      await w.close();
    }
  });

  it('random batches of keys, concurrency and failed commits: each key applies at most once, and exactly once after retries', async () => {
    const url = await dbs.fresh(backend);
    let faulty: FaultyStore | undefined;
    const w = await steppedWorld(url, ledgerRoom, (storage) => (faulty = new FaultyStore(storage)));
    const room = await w.room('ledger');
    const ledger = ledgerOf(room);
    let run = 0;
    const op = fc.record({ key: fc.integer({ min: 0, max: 4 }), amount: fc.integer({ min: 1, max: 9 }), fails: fc.boolean() });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
          run++;
          const key = (k: number) => `run${run}:k${k}`;
          // The first call with a key is the one that applies; whether its commit fails decides for all.
          const first = new Map<number, { amount: number; fails: boolean }>();
          for (const o of ops) if (!first.has(o.key)) first.set(o.key, o);
          faulty!.failKeys.clear();
          for (const [k, o] of first) if (o.fails) faulty!.failKeys.add(key(k));
          const before = ledger.total;

          const settled = await settleStepping(w.clock, ops.map((o) => room.persist!.once(key(o.key), add(ledger, key(o.key), o.amount))));
          let expected = before;
          for (const [k, o] of first) {
            const mine = settled.filter((_, i) => ops[i]!.key === k);
            if (o.fails) {
              expect(mine.every((s) => s.status === 'rejected')).toBe(true);
              expect([ledger.applies.get(key(k)), ledger.undos.get(key(k))]).toEqual([1, 1]);
              expect(await w.storage.committedResult(key(k))).toBeUndefined();
              continue;
            }
            expected += o.amount;
            const outcomes = mine.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
            expect(outcomes.every((x) => x !== undefined)).toBe(true);
            expect(outcomes.filter((x) => x && !x.replayed)).toHaveLength(1);
            expect(new Set(outcomes.map((x) => JSON.stringify(x?.result))).size).toBe(1);
            expect([ledger.applies.get(key(k)), ledger.undos.get(key(k))]).toEqual([1, undefined]);
            expect(await w.storage.committedResult(key(k))).toEqual({ result: outcomes[0]!.result });
          }
          expect(ledger.total).toBe(expected);

          // Everything again, the database healthy: what committed replays, what failed applies now.
          faulty!.failKeys.clear();
          const retried = await settleStepping(w.clock, ops.map((o) => room.persist!.once(key(o.key), add(ledger, key(o.key), first.get(o.key)!.amount))));
          expect(retried.every((s) => s.status === 'fulfilled')).toBe(true);
          // Once more for each key that failed, never again for one that committed.
          for (const [k, o] of first) expect([ledger.applies.get(key(k)), ledger.undos.get(key(k))]).toEqual(o.fails ? [2, 1] : [1, undefined]);
          const all = before + [...first.values()].reduce((sum, o) => sum + o.amount, 0);
          expect(ledger.total).toBe(all);
          await settleStepping(w.clock, [room.persist!.flush()]);
          expect((await w.storage.loadRoom('ledger'))?.meta).toEqual({ total: all });
        }),
        { numRuns: 25 },
      );
      expect(run).toBe(25);
      console.log(`${backend.name}: exactly-once property, ${run} runs`);
    } finally {
      await w.close();
    }
  }, 60_000);

  it('a server killed between a deposit\'s commit and its answer: the retry after a restart applies nothing', async () => {
    const url = await dbs.fresh(backend);
    const user = 'depositor';
    const dying = await startBank(url, 7);
    const exited = new Promise((r) => dying.child.once('exit', (_code, signal) => r(signal)));
    const first = await connectNode({ url: dying.wsUrl, room: 'vault', name: 'd', token: user, protocol: bank, commandTimeoutMs: 2000 });
    first.on('error', () => undefined);
    await first.sendCommand('bank', 'deposit', { txid: 6, amount: 10 });
    const lost = first.sendCommand('bank', 'deposit', { txid: 7, amount: 25 }).then(
      () => 'answered',
      () => 'never answered',
    );
    expect(await exited).toBe('SIGKILL');
    first.disconnect();
    expect(await lost).toBe('never answered');

    const { child, wsUrl } = await startBank(url);
    try {
      const again = await connectNode({ url: wsUrl, room: 'vault', name: 'd', token: user, protocol: bank });
      // The client retries what it never heard back about, then goes on.
      await again.sendCommand('bank', 'deposit', { txid: 7, amount: 25 });
      await again.sendCommand('bank', 'deposit', { txid: 8, amount: 1 });
      again.disconnect();
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    const storage = await openStorage({ url, logger: { warn: () => undefined } });
    try {
      expect((await storage.loadRoom('vault'))?.players).toEqual([{ userId: user, data: { balance: 36 } }]);
      expect(await storage.committedResult(depositKey(user, 7))).toEqual({ result: { balance: 35 } });
    } finally {
      await storage.close();
    }
  }, 30_000);
});
