/**
 * Storage contract, rooms: checkpoints upsert and delete exactly, a failed batch writes
 * nothing, loadRoom and listRooms report the latest committed state.
 */
import { describe, expect, it } from 'vitest';
import { batch, expectStorageError, T0, type WithStorage } from './contract-support.js';

/** Registers the room checkpoint cases. */
export function roomContract(withStorage: WithStorage): void {
  describe('rooms', () => {
    it('loadRoom of an unknown code is undefined', () =>
      withStorage(async (storage) => {
        expect(await storage.loadRoom('nope')).toBeUndefined();
      }));

    it('a first checkpoint stores meta, entities and players; loadRoom returns exactly them', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(
          batch('r1', {
            meta: { name: 'Lobby', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } },
            upsertEntities: [
              { key: 'b', type: 'chest', data: { items: [1, 2, 3] } },
              { key: 'a', type: 'door', data: 'open' },
              { key: 'c', type: 'flag', data: null },
            ],
            upsertPlayers: [
              { userId: 'u2', data: { x: 1, y: -2.25, name: 'Zoë 🐉' } },
              { userId: 'u1', data: 7 },
            ],
          }),
        );
        expect(await storage.loadRoom('r1')).toEqual({
          code: 'r1',
          meta: { name: 'Lobby', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } },
          entities: [
            { key: 'a', type: 'door', data: 'open' },
            { key: 'b', type: 'chest', data: { items: [1, 2, 3] } },
            { key: 'c', type: 'flag', data: null },
          ],
          players: [
            { userId: 'u1', data: 7 },
            { userId: 'u2', data: { x: 1, y: -2.25, name: 'Zoë 🐉' } },
          ],
          checkpointAt: T0,
        });
      }));

    it('later checkpoints upsert, delete and keep meta unless given; loadRoom returns the latest state', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(
          batch('r1', {
            meta: { v: 1 },
            upsertEntities: [
              { key: 'a', type: 't', data: 1 },
              { key: 'b', type: 't', data: 2 },
              { key: 'c', type: 't', data: 3 },
            ],
            upsertPlayers: [
              { userId: 'u1', data: 'first' },
              { userId: 'u2', data: 'first' },
            ],
          }),
        );
        await storage.writeCheckpoint(batch('other', { upsertEntities: [{ key: 'a', type: 't', data: 'other room' }] }));
        await storage.writeCheckpoint(
          batch('r1', {
            upsertEntities: [
              { key: 'b', type: 'changed', data: 20 },
              { key: 'd', type: 't', data: 4 },
            ],
            deleteEntities: ['a', 'never-existed'],
            upsertPlayers: [{ userId: 'u2', data: 'second' }],
            at: T0 + 1000,
          }),
        );
        const room = await storage.loadRoom('r1');
        expect(room).toEqual({
          code: 'r1',
          meta: { v: 1 },
          entities: [
            { key: 'b', type: 'changed', data: 20 },
            { key: 'c', type: 't', data: 3 },
            { key: 'd', type: 't', data: 4 },
          ],
          players: [
            { userId: 'u1', data: 'first' },
            { userId: 'u2', data: 'second' },
          ],
          checkpointAt: T0 + 1000,
        });
        expect(typeof room?.checkpointAt).toBe('number');

        await storage.writeCheckpoint(batch('r1', { meta: { v: 2 }, deleteEntities: ['b', 'c', 'd'], at: T0 + 2000 }));
        const after = await storage.loadRoom('r1');
        expect(after?.meta).toEqual({ v: 2 });
        expect(after?.entities).toEqual([]);
        expect(after?.players).toHaveLength(2);
        expect((await storage.loadRoom('other'))?.entities).toEqual([{ key: 'a', type: 't', data: 'other room' }]);
        expect(await storage.listRooms()).toEqual([
          { code: 'other', checkpointAt: T0, entities: 1, players: 0 },
          { code: 'r1', checkpointAt: T0 + 2000, entities: 0, players: 2 },
        ]);
      }));

    it('a key both deleted and upserted in one batch ends up stored; the last duplicate upsert wins', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(batch('r', { upsertEntities: [{ key: 'k', type: 't', data: 'old' }] }));
        await storage.writeCheckpoint(
          batch('r', {
            deleteEntities: ['k'],
            upsertEntities: [
              { key: 'k', type: 't', data: 'first' },
              { key: 'k', type: 't', data: 'last' },
            ],
          }),
        );
        expect((await storage.loadRoom('r'))?.entities).toEqual([{ key: 'k', type: 't', data: 'last' }]);
      }));

    it('a room checkpointed without meta has meta null', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(batch('bare'));
        expect(await storage.loadRoom('bare')).toEqual({ code: 'bare', meta: null, entities: [], players: [], checkpointAt: T0 });
      }));

    it('large batches are written in full (more rows than one statement takes)', () =>
      withStorage(async (storage) => {
        const upsertEntities = Array.from({ length: 1234 }, (_, i) => ({ key: `e${String(i).padStart(5, '0')}`, type: 't', data: { i } }));
        await storage.writeCheckpoint(batch('big', { upsertEntities, upsertPlayers: Array.from({ length: 600 }, (_, i) => ({ userId: `u${i}`, data: i })) }));
        await storage.writeCheckpoint(batch('big', { deleteEntities: upsertEntities.slice(0, 1100).map((e) => e.key), at: T0 + 1 }));
        const room = await storage.loadRoom('big');
        expect(room?.entities).toHaveLength(134);
        expect(room?.entities[0]).toEqual({ key: 'e01100', type: 't', data: { i: 1100 } });
        expect(room?.players).toHaveLength(600);
      }));

    it('a batch with a value that cannot be serialised writes nothing', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(batch('r', { meta: { v: 1 }, upsertEntities: [{ key: 'a', type: 't', data: 1 }] }));
        const before = await storage.loadRoom('r');
        const err = await expectStorageError(
          storage.writeCheckpoint(
            batch('r', {
              meta: { v: 2 },
              upsertEntities: [
                { key: 'b', type: 't', data: 2 },
                { key: 'bad', type: 't', data: { n: 10n } },
              ],
              deleteEntities: ['a'],
              at: T0 + 1,
            }),
          ),
          'NOT_SERIALISABLE',
        );
        expect(err.message).toContain('entity bad in room r');
        expect(await storage.loadRoom('r')).toEqual(before);
      }));

    it('a batch that fails inside the transaction leaves nothing half-written', () =>
      withStorage(async (storage) => {
        await storage.writeCheckpoint(
          batch('r', { meta: { v: 1 }, upsertEntities: [{ key: 'a', type: 't', data: 1 }], upsertPlayers: [{ userId: 'u1', data: 1 }] }),
        );
        const before = await storage.loadRoom('r');
        // Meta, deletes and entity upserts run first; the player row then breaks a NOT NULL
        // constraint in the database, so the transaction must roll all of them back.
        const broken = batch('r', {
          meta: { v: 2 },
          upsertEntities: [{ key: 'b', type: 't', data: 2 }],
          deleteEntities: ['a'],
          upsertPlayers: [{ userId: null as unknown as string, data: 2 }],
          at: T0 + 1,
        });
        await expect(storage.writeCheckpoint(broken)).rejects.toThrow();
        expect(await storage.loadRoom('r')).toEqual(before);
        expect(await storage.listRooms()).toEqual([{ code: 'r', checkpointAt: T0, entities: 1, players: 1 }]);
      }));

    it('deleteRoom removes the room and its rows, and only that room', () =>
      withStorage(async (storage) => {
        const rows = { upsertEntities: [{ key: 'a', type: 't', data: 1 }], upsertPlayers: [{ userId: 'u', data: 1 }] };
        await storage.writeCheckpoint(batch('gone', rows));
        await storage.writeCheckpoint(batch('stays', rows));
        await storage.deleteRoom('gone');
        await storage.deleteRoom('never-existed');
        expect(await storage.loadRoom('gone')).toBeUndefined();
        expect(await storage.listRooms()).toEqual([{ code: 'stays', checkpointAt: T0, entities: 1, players: 1 }]);
        const orphans = await storage.db.selectFrom('room_entities').select('key').where('room_code', '=', 'gone').execute();
        expect(orphans).toEqual([]);
      }));
  });
}
