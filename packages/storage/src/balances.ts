/**
 * Currency balances. A balance never goes below zero: debits are one guarded UPDATE
 * (`amount + delta >= 0`) that either applies or touches nothing, and the table has
 * CHECK (amount >= 0) behind it; credits are one upsert. No read-modify-write, so concurrent
 * adjustments neither lose updates nor overdraw.
 */
import type { Executor } from './context.js';
import { isForeignKeyViolation } from './db-errors.js';
import { InsufficientFunds, StorageError } from './errors.js';

/** The character's balance in a currency (0 when it never had any). */
export async function balance(db: Executor, characterId: string, currency: string): Promise<number> {
  const row = await db.selectFrom('balances').select('amount').where('character_id', '=', characterId).where('currency', '=', currency).executeTakeFirst();
  return row ? Number(row.amount) : 0;
}

/**
 * Adds `delta` (an integer, negative to debit) and returns the new balance. A debit larger
 * than the balance throws {@link InsufficientFunds} and changes nothing.
 */
export async function adjustBalance(db: Executor, characterId: string, currency: string, delta: number): Promise<number> {
  if (!Number.isSafeInteger(delta)) throw new StorageError('INVALID_ARGUMENT', `a balance changes by whole units: got ${delta} ${currency}`);
  if (delta === 0) return balance(db, characterId, currency);
  if (delta > 0) {
    try {
      const row = await db
        .insertInto('balances')
        .values({ character_id: characterId, currency, amount: delta })
        .onConflict((oc) => oc.columns(['character_id', 'currency']).doUpdateSet((eb) => ({ amount: eb('balances.amount', '+', eb.ref('excluded.amount')) })))
        .returning('amount')
        .executeTakeFirstOrThrow();
      return Number(row.amount);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new StorageError('NOT_FOUND', `no character ${characterId}: create it with players.createCharacter first`, { cause: err });
      throw err;
    }
  }
  const row = await db
    .updateTable('balances')
    .set((eb) => ({ amount: eb('amount', '+', delta) }))
    .where('character_id', '=', characterId)
    .where('currency', '=', currency)
    .where((eb) => eb(eb('amount', '+', delta), '>=', 0))
    .returning('amount')
    .executeTakeFirst();
  if (!row) throw new InsufficientFunds(characterId, currency, await balance(db, characterId, currency), delta);
  return Number(row.amount);
}
