/**
 * Storage contract, player data: accounts, characters and the default backfill, items that are
 * always in exactly one slot, stats, and balances that never go below zero.
 */
import { describe, expect, it } from 'vitest';
import { expectStorageError, newCharacter, type WithStorage } from './contract-support.js';
import { InsufficientFunds, type StorageError } from './errors.js';

/** Registers the player-data cases. */
export function playerContract(withStorage: WithStorage): void {
  describe('players', () => {
    it('accounts: ensureAccount creates, then updates the name; getAccount reads', () =>
      withStorage(async (storage) => {
        expect(await storage.players.getAccount('u1')).toBeUndefined();
        const created = await storage.players.ensureAccount('u1', 'Ann');
        expect(created).toEqual({ id: 'u1', name: 'Ann', createdAt: expect.any(Number) });
        const renamed = await storage.players.ensureAccount('u1', 'Anna');
        expect(renamed).toEqual({ ...created, name: 'Anna' });
        expect(await storage.players.getAccount('u1')).toEqual(renamed);
      }));

    it('characters: create, list, unique names per account, and an account is required', () =>
      withStorage(async (storage) => {
        await expectStorageError(storage.players.createCharacter('ghost', 'x'), 'NOT_FOUND');
        await storage.players.ensureAccount('u1', 'Ann');
        await storage.players.ensureAccount('u2', 'Bob');
        const a = await storage.players.createCharacter('u1', 'Knight', { level: 3 });
        const b = await storage.players.createCharacter('u1', 'Mage');
        await storage.players.createCharacter('u2', 'Knight');
        await expectStorageError(storage.players.createCharacter('u1', 'Knight'), 'ALREADY_EXISTS');
        expect(a).toEqual({ id: expect.any(String), accountId: 'u1', name: 'Knight', data: { level: 3 }, createdAt: expect.any(Number) });
        const listed = await storage.players.listCharacters('u1');
        expect(listed.map((c) => c.name).sort()).toEqual(['Knight', 'Mage']);
        expect(listed.find((c) => c.id === b.id)).toEqual(b);
      }));

    it('activeCharacter backfills a default character once; setActiveCharacter selects only own characters', () =>
      withStorage(async (storage) => {
        await expectStorageError(storage.players.activeCharacter('ghost'), 'NOT_FOUND');
        await storage.players.ensureAccount('u1', 'Ann');
        await storage.players.ensureAccount('u2', 'Bob');
        const fallback = await storage.players.activeCharacter('u1');
        expect(fallback).toMatchObject({ accountId: 'u1', name: 'default', data: {} });
        expect(await storage.players.activeCharacter('u1')).toEqual(fallback);
        expect(await storage.players.listCharacters('u1')).toEqual([fallback]);

        const knight = await storage.players.createCharacter('u1', 'Knight');
        expect(await storage.players.setActiveCharacter('u1', knight.id)).toEqual(knight);
        expect(await storage.players.activeCharacter('u1')).toEqual(knight);

        const bobs = await storage.players.createCharacter('u2', 'Thief');
        await expectStorageError(storage.players.setActiveCharacter('u1', bobs.id), 'NOT_OWNER');
        await expectStorageError(storage.players.setActiveCharacter('u1', 'no-such-id'), 'NOT_FOUND');
        expect(await storage.players.activeCharacter('u1')).toEqual(knight);
        // Bob never selected anything: his fallback is a new 'default', not his Thief.
        expect((await storage.players.activeCharacter('u2')).name).toBe('default');
      }));

    it('concurrent first logins create one default character', () =>
      withStorage(async (storage) => {
        await storage.players.ensureAccount('u1', 'Ann');
        const all = await Promise.all(Array.from({ length: 8 }, () => storage.players.activeCharacter('u1')));
        expect(new Set(all.map((c) => c.id)).size).toBe(1);
        expect(await storage.players.listCharacters('u1')).toHaveLength(1);
      }));

    it('items: one item per slot, moves keep an item in exactly one place', () =>
      withStorage(async (storage) => {
        const hero = await newCharacter(storage, 'u1');
        const other = await newCharacter(storage, 'u2');
        const sword = await storage.players.addItem(hero, 'sword', 1, 'inventory', 0);
        const potions = await storage.players.addItem(hero, 'potion', 5, 'inventory', 1);
        await expectStorageError(storage.players.addItem(hero, 'shield', 1, 'inventory', 0), 'SLOT_OCCUPIED');
        // Same slot number in another container, or of another character, is a different slot.
        const helmet = await storage.players.addItem(hero, 'helmet', 1, 'equipment', 0);
        await storage.players.addItem(other, 'sword', 1, 'inventory', 0);

        await expectStorageError(storage.players.moveItem(sword, 'inventory', 1), 'SLOT_OCCUPIED');
        await expectStorageError(storage.players.moveItem(sword, 'equipment', 0), 'SLOT_OCCUPIED');
        expect(await storage.players.moveItem(sword, 'equipment', 1)).toMatchObject({ uid: sword, container: 'equipment', slot: 1 });
        expect(await storage.players.moveItem(sword, 'equipment', 1)).toMatchObject({ uid: sword, container: 'equipment', slot: 1 });

        const items = await storage.players.listItems(hero);
        expect(items).toEqual([
          { uid: potions, characterId: hero, itemType: 'potion', quantity: 5, container: 'inventory', slot: 1 },
          { uid: helmet, characterId: hero, itemType: 'helmet', quantity: 1, container: 'equipment', slot: 0 },
          { uid: sword, characterId: hero, itemType: 'sword', quantity: 1, container: 'equipment', slot: 1 },
        ]);
        // The freed slot takes a new item.
        await storage.players.addItem(hero, 'shield', 1, 'inventory', 0);

        await storage.players.removeItem(potions);
        await expectStorageError(storage.players.removeItem(potions), 'NOT_FOUND');
        await expectStorageError(storage.players.moveItem(potions, 'inventory', 9), 'NOT_FOUND');
        expect((await storage.players.listItems(hero)).map((i) => i.itemType)).toEqual(['shield', 'helmet', 'sword']);
      }));

    it('items: concurrent moves into one free slot leave exactly one item there', () =>
      withStorage(async (storage) => {
        const hero = await newCharacter(storage);
        const uids = await Promise.all([0, 1, 2, 3].map((slot) => storage.players.addItem(hero, 'gem', 1, 'inventory', slot)));
        const results = await Promise.allSettled(uids.map((uid) => storage.players.moveItem(uid, 'equipment', 5)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as StorageError).code).toBe('SLOT_OCCUPIED');
        }
        const items = await storage.players.listItems(hero);
        expect(items).toHaveLength(4);
        expect(items.filter((i) => i.container === 'equipment')).toHaveLength(1);
      }));

    it('items: bad arguments and unknown characters are refused clearly', () =>
      withStorage(async (storage) => {
        const hero = await newCharacter(storage);
        await expectStorageError(storage.players.addItem(hero, 'x', 0, 'inventory', 0), 'INVALID_ARGUMENT');
        await expectStorageError(storage.players.addItem(hero, 'x', 1, 'backpack' as 'inventory', 0), 'INVALID_ARGUMENT');
        await expectStorageError(storage.players.addItem(hero, 'x', 1, 'inventory', -1), 'INVALID_ARGUMENT');
        await expectStorageError(storage.players.addItem(hero, 'x', 1, 'inventory', 1.5), 'INVALID_ARGUMENT');
        await expectStorageError(storage.players.addItem('nobody', 'x', 1, 'inventory', 0), 'NOT_FOUND');
        expect(await storage.players.listItems(hero)).toEqual([]);
      }));

    it('stats: set, add (missing counts as 0) and read back', () =>
      withStorage(async (storage) => {
        const hero = await newCharacter(storage);
        expect(await storage.players.getStats(hero)).toEqual({});
        await storage.players.setStat(hero, 'level', 3);
        expect(await storage.players.addStat(hero, 'xp', 2.5)).toBe(2.5);
        expect(await storage.players.addStat(hero, 'xp', 10)).toBe(12.5);
        expect(await storage.players.addStat(hero, 'level', -1)).toBe(2);
        await storage.players.setStat(hero, 'level', 9);
        expect(await storage.players.getStats(hero)).toEqual({ level: 9, xp: 12.5 });
        await expectStorageError(storage.players.setStat(hero, 'hp', Number.NaN), 'INVALID_ARGUMENT');
        await expectStorageError(storage.players.setStat('nobody', 'hp', 1), 'NOT_FOUND');
      }));

    it('balances: credits, debits, and InsufficientFunds leaves the balance unchanged', () =>
      withStorage(async (storage) => {
        const hero = await newCharacter(storage);
        expect(await storage.players.balance(hero, 'gold')).toBe(0);
        const never = await storage.players.adjustBalance(hero, 'gold', -1).catch((e: unknown) => e);
        expect(never).toBeInstanceOf(InsufficientFunds);
        expect(await storage.players.adjustBalance(hero, 'gold', 100)).toBe(100);
        expect(await storage.players.adjustBalance(hero, 'gold', 2 ** 40)).toBe(100 + 2 ** 40);
        expect(await storage.players.adjustBalance(hero, 'gold', -(2 ** 40))).toBe(100);
        expect(await storage.players.adjustBalance(hero, 'gold', -30)).toBe(70);
        expect(await storage.players.adjustBalance(hero, 'gems', 5)).toBe(5);

        const err = await storage.players.adjustBalance(hero, 'gold', -71).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InsufficientFunds);
        expect(err).toMatchObject({ code: 'INSUFFICIENT_FUNDS', characterId: hero, currency: 'gold', balance: 70, delta: -71 });
        expect((err as Error).message).toContain('has 70 and cannot pay 71');
        expect(await storage.players.balance(hero, 'gold')).toBe(70);
        expect(await storage.players.adjustBalance(hero, 'gold', -70)).toBe(0);
        expect(await storage.players.adjustBalance(hero, 'gold', 0)).toBe(0);
        await expectStorageError(storage.players.adjustBalance(hero, 'gold', 0.5), 'INVALID_ARGUMENT');
        await expectStorageError(storage.players.adjustBalance('nobody', 'gold', 1), 'NOT_FOUND');
      }));

    it('balances: concurrent debits never overdraw', () =>
      withStorage(async (storage) => {
        const hero = await newCharacter(storage);
        await storage.players.adjustBalance(hero, 'gold', 100);
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => storage.players.adjustBalance(hero, 'gold', -30)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InsufficientFunds);
        expect(await storage.players.balance(hero, 'gold')).toBe(10);
      }));
  });
}
