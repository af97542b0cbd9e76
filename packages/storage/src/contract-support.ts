/**
 * Shared pieces of the storage contract suite (contract.ts): the fixture an adapter provides
 * and small helpers the contract's files use. Test code only; not part of the build.
 */
import { expect } from 'vitest';
import { StorageError, type StorageErrorCode } from './errors.js';
import type { CheckpointBatch } from './rooms.js';
import type { Storage } from './storage.js';

/** What an adapter's factory returns for one test. */
export interface StorageFixture {
  storage: Storage;
  /** Closes every storage this fixture opened and removes the database. */
  cleanup(): Promise<void>;
  /**
   * Opens another storage on the same database (used after closing the first one, to check
   * what survived). Tests that need it are skipped when an adapter cannot provide it.
   */
  open?: () => Promise<Storage>;
}

/** Runs one test body on a fresh fixture and cleans it up whatever happens. */
export type WithStorage = (fn: (storage: Storage, fixture: StorageFixture) => Promise<void>) => Promise<void>;

/** Epoch ms well past 2^31, so a 32-bit or string round trip would show. */
export const T0 = 1_800_000_000_000;

/** A checkpoint batch for `code` at T0 with nothing in it, plus `fields`. */
export function batch(code: string, fields: Partial<CheckpointBatch> = {}): CheckpointBatch {
  return { code, upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: T0, ...fields };
}

/** Awaits a rejection with a StorageError of `code`. */
export async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a StorageError ${code}`).toBeInstanceOf(StorageError);
  expect((err as StorageError).code).toBe(code);
  return err as StorageError;
}

/** An account `userId` with one character named 'hero'; returns the character id. */
export async function newCharacter(storage: Storage, userId = 'u1'): Promise<string> {
  await storage.players.ensureAccount(userId, `player ${userId}`);
  return (await storage.players.createCharacter(userId, 'hero')).id;
}
