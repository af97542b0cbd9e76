/**
 * Room ownership end to end, on SQLite and on PostgreSQL: two processes' persistence for one room
 * on one database. The old owner pauses (a long GC, a frozen VM) while its lease runs out and a
 * new process takes the room over, hydrates and writes; when the old one wakes up, its writes are
 * refused by the database, it is told (onFenced) and stops, and the new owner's data is intact.
 *
 * Each "process" is a room and its RoomPersistence with a storage connection of its own, driven
 * by hand on a clock of its own, so the pause is exact rather than a race.
 */
import { ManualClock } from '@tickwire/protocol';
import { defaultLimits, type Entity } from '@tickwire/server';
import { RoomPersistence, RoomRuntime, type RoomHost } from '@tickwire/server/internal';
import { openStorage, type Storage } from '@tickwire/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { bank, bankRoom, type Bank } from './fixtures/bank.js';
import { silent } from './game.js';
import { backends, databases, quiet } from './persistence-support.js';

const dbs = databases();
afterAll(() => dbs.dropAll());

const CODE = 'vault-1';

type Persistence = ConstructorParameters<typeof RoomPersistence>[2];
type StaleOwner = Parameters<NonNullable<ConstructorParameters<typeof RoomPersistence>[5]['onFenced']>>[0];

const noStats: RoomHost['stats'] = {
  tickDuration: () => undefined,
  ticksDropped: () => undefined,
  snapshotSent: () => undefined,
  snapshotSkipped: () => undefined,
  viewDigestSent: () => undefined,
  fullSnapshotRequested: () => undefined,
  error: () => undefined,
  gameFault: () => undefined,
  queueDepth: () => undefined,
  checkpointWritten: () => undefined,
  checkpointFailed: () => undefined,
};

/** One process running room CODE: its clock, its storage connection, the room and its persistence. */
async function owner(url: string, name: string, registryEpoch: number) {
  const clock = new ManualClock(1000);
  const storage = await openStorage({ url, logger: quiet });
  // Every write that reaches the storage, refused or not.
  let attempts = 0;
  const store = {
    loadRoom: (code: string) => storage.loadRoom(code),
    acquireRoom: (code: string, atLeast: number) => storage.acquireRoom(code, atLeast),
    committedResult: <T>(key: string) => storage.committedResult<T>(key),
    writeCheckpoint: (batch: Parameters<Storage['writeCheckpoint']>[0]) => {
      attempts++;
      return storage.writeCheckpoint(batch);
    },
    transact: <T>(key: string, fn: (tx: unknown) => Promise<T>, options?: Parameters<Storage['transact']>[2]) => {
      attempts++;
      return storage.transact(key, fn, options);
    },
  };
  const host: RoomHost = { clock, logger: silent, limits: defaultLimits, stats: noStats, roomIdle: () => undefined };
  // The room itself has no store: its persistence is made here, with this process's options.
  const room = new RoomRuntime(CODE, bankRoom(), host);
  const meta = { owner: name };
  const definition: Persistence = {
    durable: ['vault'],
    meta: {
      save: () => meta,
      load: (_room, stored) => Object.assign(meta, stored),
    },
  };
  const fenced: StaleOwner[] = [];
  const persist = new RoomPersistence(room, store, definition, silent, noStats, { clock, ownerEpoch: registryEpoch, onFenced: (err) => void fenced.push(err) });
  const vault = (): Entity<Bank, 'vault'> => {
    for (const e of room.entities.all()) if (e.type === 'vault') return e as Entity<Bank, 'vault'>;
    throw new Error(`${name} has no vault`);
  };
  return {
    storage,
    persist,
    room,
    meta,
    fenced,
    vault,
    attempts: () => attempts,
    /** One checkpoint period passes on this process's clock; resolves once its writes settled. */
    async checkpoint() {
      clock.advance(persist.checkpointMs);
      persist.tick(clock.now());
      await persist.flush();
    },
    async close() {
      await room.dispose();
      await storage.close();
    },
  };
}

describe.each(backends)('room ownership on $name', (backend) => {
  it('a paused old owner that wakes up after a takeover is refused, told, and stops; the new owner keeps its data', async () => {
    const url = await dbs.fresh(backend);
    const a = await owner(url, 'a', 1);
    dbs.defer(a.close);
    await a.persist.hydrate();
    expect(a.persist.fencingEpoch).toBe(1);
    a.room.entities.create('vault', { vault: { deposits: 5 } });
    await a.checkpoint();
    expect((await a.storage.loadRoom(CODE))?.meta).toEqual({ owner: 'a' });

    // A stops ticking. Its lease runs out; the registry gives the room to B with epoch 2.
    const b = await owner(url, 'b', 2);
    dbs.defer(b.close);
    await b.persist.hydrate();
    expect(b.persist.fencingEpoch).toBe(2);
    expect(b.vault().vault.deposits).toBe(5);
    expect(b.meta).toEqual({ owner: 'a' });
    b.meta.owner = 'b';
    b.vault().vault.deposits = 9;
    await b.checkpoint();
    const bonus = await b.persist.once('bonus', { apply: () => (b.vault().vault.deposits += 1), undo: () => void (b.vault().vault.deposits -= 1) });
    expect(bonus).toEqual({ result: 10, replayed: false });
    const taken = await b.storage.loadRoom(CODE);
    expect(taken?.meta).toEqual({ owner: 'b' });
    expect(taken?.entities.map((e) => e.data)).toEqual([{ vault: { deposits: 10 } }]);

    // A wakes up and checkpoints what it did meanwhile.
    a.meta.owner = 'a, resumed';
    a.vault().vault.deposits = 6;
    await a.checkpoint();
    expect(a.fenced).toHaveLength(1);
    expect(a.fenced[0]?.code).toBe('STALE_OWNER');
    expect(a.fenced[0]?.message).toContain(`room ${CODE} is owned by a newer process (epoch 2 > 1): this process lost it`);
    expect(a.persist.fenced).toBe(a.fenced[0]);
    expect(await b.storage.loadRoom(CODE)).toEqual(taken);

    // From then on A writes nothing, and its critical transactions are refused before they apply.
    const tried = a.attempts();
    a.vault().vault.deposits = 7;
    await a.checkpoint();
    await a.checkpoint();
    expect(a.attempts()).toBe(tried);
    let applied = false;
    const late = await a.persist.once('late', { apply: () => (applied = true), undo: () => undefined }).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'STALE_OWNER', name: 'OwnershipLostError' });
    expect((late as Error).message).toContain(`critical change late in room ${CODE} was not committed`);
    expect(applied).toBe(false);
    expect(a.fenced).toHaveLength(1);

    // B goes on as the owner.
    b.vault().vault.deposits = 11;
    await b.checkpoint();
    expect(b.fenced).toEqual([]);
    expect((await a.storage.loadRoom(CODE))?.entities.map((e) => e.data)).toEqual([{ vault: { deposits: 11 } }]);
    expect(await b.storage.isCommitted('late')).toBe(false);
  });

  it("a paused old owner's critical transaction is refused and undone, even when the new owner's registry restarted at epoch 1", async () => {
    const url = await dbs.fresh(backend);
    const a = await owner(url, 'a', 1);
    dbs.defer(a.close);
    await a.persist.hydrate();
    a.room.entities.create('vault', { vault: { deposits: 5 } });
    await a.checkpoint();

    // B's registry is a fresh in-memory one: it hands out epoch 1 again. The database does not.
    const b = await owner(url, 'b', 1);
    dbs.defer(b.close);
    await b.persist.hydrate();
    expect(b.persist.fencingEpoch).toBe(2);
    b.meta.owner = 'b';
    b.vault().vault.deposits = 50;
    await b.checkpoint();
    const taken = await b.storage.loadRoom(CODE);

    const buying = a.persist.once('buy:ada:1', {
      apply: () => (a.vault().vault.deposits += 100),
      undo: () => void (a.vault().vault.deposits -= 100),
    });
    const err = await buying.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STALE_OWNER', name: 'OwnershipLostError' });
    expect((err as Error).message).toContain(`critical change buy:ada:1 in room ${CODE} was not committed`);
    expect((err as Error).message).toContain('epoch 2 > 1');
    expect(a.vault().vault.deposits).toBe(5);
    expect(a.fenced).toHaveLength(1);
    expect(await b.storage.isCommitted('buy:ada:1')).toBe(false);
    expect(await b.storage.loadRoom(CODE)).toEqual(taken);

    // The client retries with the same key on the new owner: it applies there, once.
    const retried = await b.persist.once('buy:ada:1', {
      apply: () => (b.vault().vault.deposits += 100),
      undo: () => void (b.vault().vault.deposits -= 100),
    });
    expect(retried).toEqual({ result: 150, replayed: false });
    expect((await b.storage.loadRoom(CODE))?.entities.map((e) => e.data)).toEqual([{ vault: { deposits: 150 } }]);
  });
});
