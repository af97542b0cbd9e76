/**
 * PlayerStore: the player-data API (accounts, characters, items, stats, balances) bound to one
 * storage. Every method takes an optional executor as its last parameter: pass the `tx` of
 * `storage.transact` so the call joins that transaction (a purchase debits gold and adds the
 * item atomically, exactly once). Without it the call runs on its own.
 *
 * On SQLite, never call a method WITHOUT `tx` from inside a `transact` callback: the storage has
 * one connection, held by the transaction, so the call would wait for itself.
 */
import * as accounts from './accounts.js';
import type { Account, Character } from './accounts.js';
import * as balances from './balances.js';
import type { Executor, StorageContext } from './context.js';
import * as items from './items.js';
import type { Item } from './items.js';
import type { ItemContainer } from './schema.js';
import * as stats from './stats.js';

/**
 * Accounts, characters, items, stats and balances.
 *
 * @example
 * await storage.players.ensureAccount(userId, name);
 * const character = await storage.players.activeCharacter(userId); // 'default' on first login
 * const { result } = await storage.transact(`buy:${userId}:${requestId}`, async (tx) => {
 *   await storage.players.adjustBalance(character.id, 'gold', -100, tx); // throws InsufficientFunds
 *   return storage.players.addItem(character.id, 'sword', 1, 'inventory', 3, tx);
 * });
 */
export interface PlayerStore {
  /** Creates the account, or updates its name if it exists. */
  ensureAccount(userId: string, name: string, tx?: Executor): Promise<Account>;
  getAccount(userId: string, tx?: Executor): Promise<Account | undefined>;

  /** Creates a character (names are unique per account). Throws NOT_FOUND without an account, ALREADY_EXISTS for a taken name. */
  createCharacter(userId: string, name: string, data?: unknown, tx?: Executor): Promise<Character>;
  /** The account's characters, oldest first. */
  listCharacters(userId: string, tx?: Executor): Promise<Character[]>;
  /** Selects the character to play. Throws NOT_FOUND, or NOT_OWNER when it is another user's. */
  setActiveCharacter(userId: string, characterId: string, tx?: Executor): Promise<Character>;
  /** The selected character; without a valid selection, the 'default' character (created and selected on first use). */
  activeCharacter(userId: string, tx?: Executor): Promise<Character>;

  /** Creates an item in a free slot; returns its uid. Throws SLOT_OCCUPIED or NOT_FOUND. */
  addItem(characterId: string, itemType: string, quantity: number, container: ItemContainer, slot: number, tx?: Executor): Promise<string>;
  /** Moves an item within its character's containers. Throws SLOT_OCCUPIED (the item stays put) or NOT_FOUND. */
  moveItem(uid: string, container: ItemContainer, slot: number, tx?: Executor): Promise<Item>;
  /** Deletes an item. Throws NOT_FOUND if it is already gone. */
  removeItem(uid: string, tx?: Executor): Promise<void>;
  /** The character's items, inventory first, by slot. */
  listItems(characterId: string, tx?: Executor): Promise<Item[]>;

  getStats(characterId: string, tx?: Executor): Promise<Record<string, number>>;
  setStat(characterId: string, key: string, value: number, tx?: Executor): Promise<void>;
  /** Adds to a stat (missing counts as 0); returns the new value. */
  addStat(characterId: string, key: string, delta: number, tx?: Executor): Promise<number>;

  /** The balance (0 if never credited). */
  balance(characterId: string, currency: string, tx?: Executor): Promise<number>;
  /** Adds an integer delta; returns the new balance. Throws InsufficientFunds (changing nothing) below zero. */
  adjustBalance(characterId: string, currency: string, delta: number, tx?: Executor): Promise<number>;
}

/** Binds the player-data functions to a storage's context. */
export function createPlayerStore(ctx: StorageContext): PlayerStore {
  return {
    ensureAccount: (userId, name, tx = ctx.db) => accounts.ensureAccount(ctx, tx, userId, name),
    getAccount: (userId, tx = ctx.db) => accounts.getAccount(tx, userId),
    createCharacter: (userId, name, data, tx = ctx.db) => accounts.createCharacter(ctx, tx, userId, name, data),
    listCharacters: (userId, tx = ctx.db) => accounts.listCharacters(tx, userId),
    setActiveCharacter: (userId, characterId, tx = ctx.db) => accounts.setActiveCharacter(tx, userId, characterId),
    activeCharacter: (userId, tx = ctx.db) => accounts.activeCharacter(ctx, tx, userId),
    addItem: (characterId, itemType, quantity, container, slot, tx = ctx.db) => items.addItem(ctx, tx, characterId, itemType, quantity, container, slot),
    moveItem: (uid, container, slot, tx = ctx.db) => items.moveItem(tx, uid, container, slot),
    removeItem: (uid, tx = ctx.db) => items.removeItem(tx, uid),
    listItems: (characterId, tx = ctx.db) => items.listItems(tx, characterId),
    getStats: (characterId, tx = ctx.db) => stats.getStats(tx, characterId),
    setStat: (characterId, key, value, tx = ctx.db) => stats.setStat(tx, characterId, key, value),
    addStat: (characterId, key, delta, tx = ctx.db) => stats.addStat(tx, characterId, key, delta),
    balance: (characterId, currency, tx = ctx.db) => balances.balance(tx, characterId, currency),
    adjustBalance: (characterId, currency, delta, tx = ctx.db) => balances.adjustBalance(tx, characterId, currency, delta),
  };
}
