/**
 * Accounts, characters and each account's active character.
 *
 * An account is keyed by the user id the server's authentication produced. An account can own
 * several characters (names unique per account) and plays as one at a time. As in seed 002, a
 * missing active selection is repaired rather than reported: the account falls back to its
 * character named 'default', which is created on first use.
 */
import { randomUUID } from 'node:crypto';
import type { Executor, StorageContext } from './context.js';
import { inTransaction } from './context.js';
import { isForeignKeyViolation, isUniqueViolation } from './db-errors.js';
import { StorageError } from './errors.js';
import { fromJson, toJson } from './json.js';
import type { CharactersTable } from './schema.js';

/** The name of the character an account falls back to when none is selected. */
export const DEFAULT_CHARACTER_NAME = 'default';

/** A player account. */
export interface Account {
  /** The user id. */
  id: string;
  name: string;
  /** Epoch ms. */
  createdAt: number;
}

/** A character owned by an account. `data` is the game's JSON (appearance, position, ...). */
export interface Character {
  id: string;
  accountId: string;
  name: string;
  data: unknown;
  /** Epoch ms. */
  createdAt: number;
}

function toCharacter(row: CharactersTable): Character {
  return { id: row.id, accountId: row.account_id, name: row.name, data: fromJson(row.data), createdAt: Number(row.created_at) };
}

const characterColumns = ['characters.id', 'characters.account_id', 'characters.name', 'characters.data', 'characters.created_at'] as const;

function noAccount(userId: string): StorageError {
  return new StorageError('NOT_FOUND', `no account for user ${userId}: call players.ensureAccount(userId, name) first`);
}

/** Creates the account, or updates its name if it exists (names follow the latest login). */
export async function ensureAccount(ctx: StorageContext, db: Executor, userId: string, name: string): Promise<Account> {
  if (typeof userId !== 'string' || userId.length === 0) throw new StorageError('INVALID_ARGUMENT', 'ensureAccount needs a non-empty user id');
  const row = await db
    .insertInto('accounts')
    .values({ id: userId, name, created_at: ctx.now() })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ name: eb.ref('excluded.name') })))
    .returning(['id', 'name', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, name: row.name, createdAt: Number(row.created_at) };
}

/** The account of `userId`, or undefined. */
export async function getAccount(db: Executor, userId: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').select(['id', 'name', 'created_at']).where('id', '=', userId).executeTakeFirst();
  return row && { id: row.id, name: row.name, createdAt: Number(row.created_at) };
}

/** Creates a character for an existing account. Throws NOT_FOUND (no account) or ALREADY_EXISTS (name taken). */
export async function createCharacter(ctx: StorageContext, db: Executor, userId: string, name: string, data: unknown = {}): Promise<Character> {
  if (typeof name !== 'string' || name.length === 0) throw new StorageError('INVALID_ARGUMENT', 'a character needs a non-empty name');
  const row: CharactersTable = { id: randomUUID(), account_id: userId, name, data: toJson(data, `character ${name}'s data`), created_at: ctx.now() };
  const account = await db.selectFrom('accounts').select('id').where('id', '=', userId).executeTakeFirst();
  if (!account) throw noAccount(userId);
  const taken = await db.selectFrom('characters').select('id').where('account_id', '=', userId).where('name', '=', name).executeTakeFirst();
  if (taken) throw nameTaken(userId, name);
  try {
    await db.insertInto('characters').values(row).execute();
  } catch (err) {
    if (isForeignKeyViolation(err)) throw noAccount(userId);
    if (isUniqueViolation(err)) throw nameTaken(userId, name);
    throw err;
  }
  return toCharacter(row);
}

function nameTaken(userId: string, name: string): StorageError {
  return new StorageError('ALREADY_EXISTS', `user ${userId} already has a character named ${JSON.stringify(name)}: pick another name`);
}

/** The account's characters, oldest first. */
export async function listCharacters(db: Executor, userId: string): Promise<Character[]> {
  const rows = await db.selectFrom('characters').select(characterColumns).where('account_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toCharacter);
}

/** Selects the character the account plays as. Throws NOT_FOUND or NOT_OWNER. */
export async function setActiveCharacter(db: Executor, userId: string, characterId: string): Promise<Character> {
  return inTransaction(db, async (tx) => {
    const row = await tx.selectFrom('characters').select(characterColumns).where('id', '=', characterId).executeTakeFirst();
    if (!row) throw new StorageError('NOT_FOUND', `no character ${characterId}: list the user's characters with players.listCharacters(userId)`);
    if (row.account_id !== userId) throw new StorageError('NOT_OWNER', `character ${characterId} does not belong to user ${userId}`);
    await tx
      .insertInto('active_characters')
      .values({ account_id: userId, character_id: characterId })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ character_id: characterId }))
      .execute();
    return toCharacter(row);
  });
}

/**
 * The character the account plays as. With no (valid) selection, selects the account's
 * 'default' character, creating it first if needed. Throws NOT_FOUND if there is no account.
 */
export async function activeCharacter(ctx: StorageContext, db: Executor, userId: string): Promise<Character> {
  return inTransaction(db, async (tx) => {
    const active = await tx
      .selectFrom('active_characters')
      .innerJoin('characters', 'characters.id', 'active_characters.character_id')
      .select(characterColumns)
      .where('active_characters.account_id', '=', userId)
      .where('characters.account_id', '=', userId)
      .executeTakeFirst();
    if (active) return toCharacter(active);

    const account = await tx.selectFrom('accounts').select('id').where('id', '=', userId).executeTakeFirst();
    if (!account) throw noAccount(userId);
    // ON CONFLICT DO NOTHING: a concurrent call creating the same default is not an error.
    await tx
      .insertInto('characters')
      .values({ id: randomUUID(), account_id: userId, name: DEFAULT_CHARACTER_NAME, data: '{}', created_at: ctx.now() })
      .onConflict((oc) => oc.columns(['account_id', 'name']).doNothing())
      .execute();
    const fallback = await tx
      .selectFrom('characters')
      .select(characterColumns)
      .where('account_id', '=', userId)
      .where('name', '=', DEFAULT_CHARACTER_NAME)
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('active_characters')
      .values({ account_id: userId, character_id: fallback.id })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ character_id: fallback.id }))
      .execute();
    return toCharacter(fallback);
  });
}
