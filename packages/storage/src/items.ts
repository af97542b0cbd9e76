/**
 * Item instances. Every item, wherever it is, is one row of one table keyed by its uid, so an
 * instance can never be in two places at once (the classic duplication bug of separate
 * inventory and equipment tables); a move is an UPDATE of that row. UNIQUE(character_id,
 * container, slot) keeps two items out of one slot even under concurrent writers.
 *
 * Slots are non-negative integers in both containers; a game names its equipment slots with
 * constants (HEAD = 0, WEAPON = 1, ...).
 */
import { randomUUID } from 'node:crypto';
import type { Executor, StorageContext } from './context.js';
import { inTransaction } from './context.js';
import { isForeignKeyViolation, isUniqueViolation } from './db-errors.js';
import { StorageError } from './errors.js';
import type { ItemContainer, ItemsTable } from './schema.js';

/** One item instance. */
export interface Item {
  uid: string;
  characterId: string;
  itemType: string;
  quantity: number;
  container: ItemContainer;
  slot: number;
}

const CONTAINERS: readonly ItemContainer[] = ['inventory', 'equipment'];

function toItem(row: Omit<ItemsTable, 'created_at'>): Item {
  return { uid: row.uid, characterId: row.character_id, itemType: row.item_type, quantity: Number(row.quantity), container: row.container, slot: Number(row.slot) };
}

const itemColumns = ['uid', 'character_id', 'item_type', 'quantity', 'container', 'slot'] as const;

function checkPlace(container: ItemContainer, slot: number): void {
  if (!CONTAINERS.includes(container)) {
    throw new StorageError('INVALID_ARGUMENT', `unknown item container ${JSON.stringify(container)}: use ${CONTAINERS.map((c) => `'${c}'`).join(' or ')}`);
  }
  if (!Number.isSafeInteger(slot) || slot < 0) throw new StorageError('INVALID_ARGUMENT', `an item slot is a non-negative integer, got ${slot}`);
}

function slotOccupied(characterId: string, container: ItemContainer, slot: number): StorageError {
  return new StorageError('SLOT_OCCUPIED', `${container} slot ${slot} of character ${characterId} is taken: move or remove that item first`);
}

async function occupant(db: Executor, characterId: string, container: ItemContainer, slot: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('items')
    .select('uid')
    .where('character_id', '=', characterId)
    .where('container', '=', container)
    .where('slot', '=', slot)
    .executeTakeFirst();
  return row?.uid;
}

/** Creates an item in a free slot and returns its uid. Throws SLOT_OCCUPIED or NOT_FOUND (no such character). */
export async function addItem(
  ctx: StorageContext,
  db: Executor,
  characterId: string,
  itemType: string,
  quantity: number,
  container: ItemContainer,
  slot: number,
): Promise<string> {
  checkPlace(container, slot);
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new StorageError('INVALID_ARGUMENT', `an item quantity is a positive integer, got ${quantity}`);
  if (typeof itemType !== 'string' || itemType.length === 0) throw new StorageError('INVALID_ARGUMENT', 'an item needs a non-empty item type');
  // Checked first so the common case fails without aborting the caller's PostgreSQL transaction;
  // the constraint still decides a race.
  const character = await db.selectFrom('characters').select('id').where('id', '=', characterId).executeTakeFirst();
  if (!character) throw new StorageError('NOT_FOUND', `no character ${characterId}: create it with players.createCharacter first`);
  if (await occupant(db, characterId, container, slot)) throw slotOccupied(characterId, container, slot);
  const uid = randomUUID();
  try {
    await db
      .insertInto('items')
      .values({ uid, character_id: characterId, item_type: itemType, quantity, container, slot, created_at: ctx.now() })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw slotOccupied(characterId, container, slot);
    if (isForeignKeyViolation(err)) throw new StorageError('NOT_FOUND', `no character ${characterId}: create it with players.createCharacter first`, { cause: err });
    throw err;
  }
  return uid;
}

/** Moves an item to another slot of its character. Throws NOT_FOUND or SLOT_OCCUPIED; on failure the item stays where it was. */
export async function moveItem(db: Executor, uid: string, container: ItemContainer, slot: number): Promise<Item> {
  checkPlace(container, slot);
  try {
    return await inTransaction(db, async (tx) => {
      const item = await tx.selectFrom('items').select(itemColumns).where('uid', '=', uid).executeTakeFirst();
      if (!item) throw new StorageError('NOT_FOUND', `no item ${uid}: it was removed or never existed`);
      if (item.container === container && Number(item.slot) === slot) return toItem(item);
      const other = await occupant(tx, item.character_id, container, slot);
      if (other !== undefined) throw slotOccupied(item.character_id, container, slot);
      await tx.updateTable('items').set({ container, slot }).where('uid', '=', uid).execute();
      return toItem({ ...item, container, slot });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new StorageError('SLOT_OCCUPIED', `${container} slot ${slot} was taken concurrently: move or remove that item first`, { cause: err });
    throw err;
  }
}

/** Deletes an item (used up, sold, dropped). Throws NOT_FOUND if it does not exist, so an item cannot be consumed twice. */
export async function removeItem(db: Executor, uid: string): Promise<void> {
  const result = await db.deleteFrom('items').where('uid', '=', uid).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new StorageError('NOT_FOUND', `no item ${uid}: it was already removed or never existed`);
}

/** The character's items, inventory before equipment, by slot. */
export async function listItems(db: Executor, characterId: string): Promise<Item[]> {
  const rows = await db.selectFrom('items').select(itemColumns).where('character_id', '=', characterId).orderBy('container', 'desc').orderBy('slot').execute();
  return rows.map(toItem);
}
