/**
 * Numeric character stats (level, xp, kills, ...), one row per (character, key). addStat is a
 * single upsert that adds in the database, so concurrent increments never lose one.
 */
import type { Executor } from './context.js';
import { isForeignKeyViolation } from './db-errors.js';
import { StorageError } from './errors.js';

function checkFinite(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new StorageError('INVALID_ARGUMENT', `${what} must be a finite number, got ${value}`);
}

function noCharacter(characterId: string, err: unknown): StorageError {
  return new StorageError('NOT_FOUND', `no character ${characterId}: create it with players.createCharacter first`, { cause: err });
}

/** Every stat of the character as a plain record (empty when none was set). */
export async function getStats(db: Executor, characterId: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom('stats').select(['key', 'value']).where('character_id', '=', characterId).orderBy('key').execute();
  const stats: Record<string, number> = {};
  for (const r of rows) stats[r.key] = Number(r.value);
  return stats;
}

/** Sets a stat to a value. */
export async function setStat(db: Executor, characterId: string, key: string, value: number): Promise<void> {
  checkFinite(value, `stat ${key}`);
  try {
    await db
      .insertInto('stats')
      .values({ character_id: characterId, key, value })
      .onConflict((oc) => oc.columns(['character_id', 'key']).doUpdateSet({ value }))
      .execute();
  } catch (err) {
    if (isForeignKeyViolation(err)) throw noCharacter(characterId, err);
    throw err;
  }
}

/** Adds `delta` to a stat (a missing stat counts as 0) and returns the new value. */
export async function addStat(db: Executor, characterId: string, key: string, delta: number): Promise<number> {
  checkFinite(delta, `the change to stat ${key}`);
  try {
    const row = await db
      .insertInto('stats')
      .values({ character_id: characterId, key, value: delta })
      .onConflict((oc) => oc.columns(['character_id', 'key']).doUpdateSet((eb) => ({ value: eb('stats.value', '+', eb.ref('excluded.value')) })))
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(row.value);
  } catch (err) {
    if (isForeignKeyViolation(err)) throw noCharacter(characterId, err);
    throw err;
  }
}
