/**
 * Storage contract, room ownership: acquireRoom hands out ever higher epochs (distinct ones under
 * concurrency), and a fenced checkpoint or critical commit from an owner that lost the room is
 * refused whole, while the new owner's data stays as it wrote it.
 */
import { describe, expect, it } from 'vitest';
import { batch, expectStorageError, T0, type StorageFixture, type WithStorage } from './contract-support.js';
import { StaleOwnerError, StorageError } from './errors.js';
import type { Storage } from './storage.js';

/** A second process on the fixture's database (or the same storage when the adapter cannot open one). */
async function otherProcess(storage: Storage, fixture: StorageFixture): Promise<Storage> {
  return fixture.open ? fixture.open() : storage;
}

/** Awaits a rejection with StaleOwnerError and checks what it says. */
async function expectStale(promise: Promise<unknown>, room: string, epoch: number, storedEpoch: number | null): Promise<StaleOwnerError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a StaleOwnerError').toBeInstanceOf(StaleOwnerError);
  const stale = err as StaleOwnerError;
  expect(stale).toBeInstanceOf(StorageError);
  expect(stale.code).toBe('STALE_OWNER');
  expect({ room: stale.room, epoch: stale.epoch, storedEpoch: stale.storedEpoch }).toEqual({ room, epoch, storedEpoch });
  expect(stale.message).toContain('nothing was written');
  return stale;
}

/** Process A owned room `code` and checkpointed; then process B acquired it and checkpointed. */
async function takenOver(a: Storage, b: Storage, code: string): Promise<{ ea: number; eb: number }> {
  const ea = await a.acquireRoom(code);
  await a.writeCheckpoint(
    batch(code, {
      epoch: ea,
      meta: { owner: 'a' },
      upsertEntities: [
        { key: 'door', type: 'door', data: 'a' },
        { key: 'a-only', type: 'crate', data: 1 },
      ],
      upsertPlayers: [{ userId: 'u1', data: 'a' }],
    }),
  );
  const eb = await b.acquireRoom(code);
  expect(eb).toBeGreaterThan(ea);
  expect((await b.loadRoom(code))?.meta).toEqual({ owner: 'a' });
  await b.writeCheckpoint(
    batch(code, {
      epoch: eb,
      meta: { owner: 'b' },
      upsertEntities: [{ key: 'door', type: 'door', data: 'b' }],
      deleteEntities: ['a-only'],
      upsertPlayers: [{ userId: 'u1', data: 'b' }],
      at: T0 + 10,
    }),
  );
  return { ea, eb };
}

const B_DATA = {
  code: 'r',
  meta: { owner: 'b' },
  entities: [{ key: 'door', type: 'door', data: 'b' }],
  players: [{ userId: 'u1', data: 'b' }],
  checkpointAt: T0 + 10,
};

/** Registers the ownership cases. */
export function ownershipContract(withStorage: WithStorage): void {
  describe('room ownership', () => {
    it('acquireRoom creates an empty room at epoch 1, raises the epoch on every call and honours atLeast', () =>
      withStorage(async (storage) => {
        expect(await storage.acquireRoom('r')).toBe(1);
        expect(await storage.loadRoom('r')).toEqual({ code: 'r', meta: null, entities: [], players: [], checkpointAt: null });
        expect(await storage.acquireRoom('r')).toBe(2);
        expect(await storage.acquireRoom('r', 10)).toBe(10);
        expect(await storage.acquireRoom('r', 3)).toBe(11);
        expect(await storage.acquireRoom('r', 12)).toBe(12);
        expect(await storage.acquireRoom('fresh', 7)).toBe(7);
        // Past 32 bits: registry epochs (a Redis counter) may get there.
        expect(await storage.acquireRoom('big', 2 ** 40)).toBe(2 ** 40);
        expect(await storage.acquireRoom('big')).toBe(2 ** 40 + 1);
        expect((await storage.listRooms()).map((r) => r.code)).toEqual(['big', 'fresh', 'r']);
      }));

    it('acquiring a stored room keeps its data', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(batch('kept', { meta: { v: 1 }, upsertEntities: [{ key: 'a', type: 't', data: [1] }], upsertPlayers: [{ userId: 'u', data: 2 }] }));
        const before = await storage.loadRoom('kept');
        expect(await storage.acquireRoom('kept')).toBe(1);
        expect(await storage.loadRoom('kept')).toEqual(before);
      }));

    it('refuses an empty code and an atLeast that is not a whole number >= 0', () =>
      withStorage(async (storage) => {
        await expectStorageError(storage.acquireRoom(''), 'INVALID_ARGUMENT');
        for (const atLeast of [-1, 1.5, Number.NaN, 2 ** 53]) {
          const err = await expectStorageError(storage.acquireRoom('r', atLeast), 'INVALID_ARGUMENT');
          expect(err.message).toContain("acquireRoom's atLeast for room r");
        }
        for (const epoch of [0, -1, 1.5]) await expectStorageError(storage.writeCheckpoint(batch('r', { epoch })), 'INVALID_ARGUMENT');
        expect(await storage.listRooms()).toEqual([]);
      }));

    it('concurrent acquires, from several processes, get distinct epochs; only the last one can write', () =>
      withStorage(async (storage, fixture) => {
        const processes = [storage, await otherProcess(storage, fixture), await otherProcess(storage, fixture)];
        const epochs = await Promise.all(processes.flatMap((p) => [1, 2, 3, 4].map(() => p.acquireRoom('contested', 1))));
        expect([...epochs].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        const last = Math.max(...epochs);
        for (const epoch of epochs.filter((e) => e !== last)) {
          await expectStale(storage.writeCheckpoint(batch('contested', { epoch, meta: { by: epoch } })), 'contested', epoch, last);
        }
        await processes[1]!.writeCheckpoint(batch('contested', { epoch: last, meta: { by: last } }));
        expect((await storage.loadRoom('contested'))?.meta).toEqual({ by: last });
      }));

    it("after another process acquired the room, the old owner's checkpoint is refused and writes nothing", () =>
      withStorage(async (a, fixture) => {
        const b = await otherProcess(a, fixture);
        const { ea, eb } = await takenOver(a, b, 'r');
        expect(await a.loadRoom('r')).toEqual(B_DATA);
        const stale = await expectStale(
          a.writeCheckpoint(
            batch('r', {
              epoch: ea,
              meta: { owner: 'a, again' },
              upsertEntities: [
                { key: 'door', type: 'door', data: 'a, again' },
                { key: 'new', type: 'crate', data: 2 },
              ],
              deleteEntities: ['door'],
              upsertPlayers: [{ userId: 'u2', data: 'a' }],
              at: T0 + 20,
            }),
          ),
          'r',
          ea,
          eb,
        );
        expect(stale.message).toContain(`room r is owned by a newer process (epoch ${eb} > ${ea}): this process lost it`);
        expect(await b.loadRoom('r')).toEqual(B_DATA);
        expect(await b.listRooms()).toEqual([{ code: 'r', checkpointAt: T0 + 10, entities: 1, players: 1 }]);
        // The new owner goes on writing.
        await b.writeCheckpoint(batch('r', { epoch: eb, upsertPlayers: [{ userId: 'u2', data: 'b' }], at: T0 + 30 }));
        expect((await a.loadRoom('r'))?.players).toEqual([
          { userId: 'u1', data: 'b' },
          { userId: 'u2', data: 'b' },
        ]);
      }));

    it("after another process acquired the room, the old owner's critical commit is refused: nothing written, key unused", () =>
      withStorage(async (a, fixture) => {
        const b = await otherProcess(a, fixture);
        const { ea, eb } = await takenOver(a, b, 'r');
        let ran = false;
        await expectStale(
          a.transact(
            'buy-1',
            async (tx) => {
              ran = true;
              await tx.insertInto('rooms').values({ code: 'side-effect', meta: null, checkpoint_at: null }).execute();
              return { bought: 'a' };
            },
            { checkpoint: batch('r', { epoch: ea, upsertEntities: [{ key: 'door', type: 'door', data: 'a, critical' }], at: T0 + 20 }) },
          ),
          'r',
          ea,
          eb,
        );
        // Ownership is checked before the callback runs: a stale owner does no work at all.
        expect(ran).toBe(false);
        expect(await b.isCommitted('buy-1')).toBe(false);
        expect(await b.loadRoom('side-effect')).toBeUndefined();
        expect(await b.loadRoom('r')).toEqual(B_DATA);
        // The key is still free for the owner (a client retrying against the room's new process).
        const outcome = await b.transact('buy-1', async () => ({ bought: 'b' }), {
          checkpoint: batch('r', { epoch: eb, upsertEntities: [{ key: 'door', type: 'door', data: 'b, critical' }], at: T0 + 30 }),
        });
        expect(outcome).toEqual({ result: { bought: 'b' }, replayed: false });
        expect((await a.loadRoom('r'))?.entities).toEqual([{ key: 'door', type: 'door', data: 'b, critical' }]);
        // A replay writes nothing, so it is answered whoever asks: the old owner learns the result.
        expect(await a.transact('buy-1', async () => ({ bought: 'a' }), { checkpoint: batch('r', { epoch: ea }) })).toEqual({ result: { bought: 'b' }, replayed: true });
      }));

    it('an acquire waits for a fenced write in flight, and the new owner loads what it wrote', () =>
      withStorage(async (a, fixture) => {
        // On PostgreSQL the second process waits on the room row's lock. A SQLite connection in
        // this process cannot wait on another one's lock without blocking the event loop (its
        // busy timeout is 0), so there the second process shares the connection, whose queue
        // makes it wait for the transaction the same way.
        const b = a.kind === 'postgres' ? await otherProcess(a, fixture) : a;
        const ea = await a.acquireRoom('r');
        let release = () => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        let started = () => {};
        const inside = new Promise<void>((resolve) => (started = resolve));
        const writing = a.transact(
          'in-flight',
          async () => {
            started();
            await gate;
            return 'written';
          },
          { checkpoint: batch('r', { epoch: ea, upsertEntities: [{ key: 'door', type: 'door', data: 'a' }] }) },
        );
        await inside;
        let acquired: number | undefined;
        const acquiring = b.acquireRoom('r').then((epoch) => (acquired = epoch));
        // Give the acquire ample time to overtake the transaction, if it could.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(acquired).toBeUndefined();
        release();
        expect(await writing).toEqual({ result: 'written', replayed: false });
        const eb = await acquiring;
        expect(eb).toBe(ea + 1);
        expect((await b.loadRoom('r'))?.entities).toEqual([{ key: 'door', type: 'door', data: 'a' }]);
        await expectStale(a.writeCheckpoint(batch('r', { epoch: ea, upsertEntities: [{ key: 'door', type: 'door', data: 'late' }] })), 'r', ea, eb);
      }));

    it('unfenced batches are written whoever owns the room', () =>
      withStorage(async (storage) => {
        const epoch = await storage.acquireRoom('r');
        await storage.acquireRoom('r');
        await storage.writeCheckpoint(batch('r', { meta: { unfenced: true } }));
        await storage.transact('k', async () => 1, { checkpoint: batch('r', { upsertEntities: [{ key: 'e', type: 't', data: 1 }] }) });
        expect(await storage.loadRoom('r')).toMatchObject({ meta: { unfenced: true }, entities: [{ key: 'e', type: 't', data: 1 }] });
        // And they leave the owner epoch alone.
        expect(await storage.acquireRoom('r')).toBe(epoch + 2);
      }));

    it('a fenced write to a room never acquired, or deleted since, is refused', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(batch('unowned', { meta: { v: 1 } }));
        const never = await expectStale(storage.writeCheckpoint(batch('unowned', { epoch: 1, meta: { v: 2 } })), 'unowned', 1, 0);
        expect(never.message).toContain('room unowned has owner epoch 0 in storage, not 1');
        await expectStale(storage.writeCheckpoint(batch('absent', { epoch: 1 })), 'absent', 1, null);
        const epoch = await storage.acquireRoom('gone');
        await storage.deleteRoom('gone');
        const deleted = await expectStale(
          storage.transact('k', async () => 1, { checkpoint: batch('gone', { epoch, upsertEntities: [{ key: 'e', type: 't', data: 1 }] }) }),
          'gone',
          epoch,
          null,
        );
        expect(deleted.message).toContain('room gone was deleted after this process acquired it');
        expect(await storage.isCommitted('k')).toBe(false);
        expect((await storage.listRooms()).map((r) => r.code)).toEqual(['unowned']);
        expect((await storage.loadRoom('unowned'))?.meta).toEqual({ v: 1 });
      }));
  });
}
