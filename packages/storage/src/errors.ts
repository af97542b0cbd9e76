/**
 * The errors the storage layer throws on purpose. Each carries a stable string `code` so callers
 * branch on the code rather than on message text, and each message says what to do about it.
 * Database driver errors that are not one of these pass through unchanged (see db-errors.ts for
 * the few that are translated).
 */

/** Stable codes of {@link StorageError}. */
export type StorageErrorCode =
  | 'UNREACHABLE'
  | 'INVALID_URL'
  | 'INVALID_ARGUMENT'
  | 'NOT_SERIALISABLE'
  | 'NOT_FOUND'
  | 'NOT_OWNER'
  | 'ALREADY_EXISTS'
  | 'SLOT_OCCUPIED'
  | 'INSUFFICIENT_FUNDS'
  | 'STALE_OWNER';

/**
 * An error raised by the storage layer itself.
 *
 * @example
 * try { await storage.players.moveItem(uid, 'equipment', 0); }
 * catch (err) { if (err instanceof StorageError && err.code === 'SLOT_OCCUPIED') reply('slot taken'); else throw err; }
 */
export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A debit that would take a balance below zero. Nothing was changed.
 *
 * @example
 * try { await storage.players.adjustBalance(characterId, 'gold', -price, tx); }
 * catch (err) { if (err instanceof InsufficientFunds) return reject('NOT_ENOUGH_GOLD'); throw err; }
 */
export class InsufficientFunds extends StorageError {
  override readonly name = 'InsufficientFunds';

  constructor(
    readonly characterId: string,
    readonly currency: string,
    /** The balance at the time of the attempt. */
    readonly balance: number,
    /** The (negative) change that was refused. */
    readonly delta: number,
  ) {
    super(
      'INSUFFICIENT_FUNDS',
      `insufficient ${currency}: character ${characterId} has ${balance} and cannot pay ${-delta}; nothing was changed`,
    );
  }
}

/**
 * A fenced write (a checkpoint or critical commit carrying `epoch`) refused because the room's
 * stored owner epoch is no longer that epoch: another process acquired the room since (see
 * `Storage.acquireRoom`). Nothing of the write was kept. The process should stop running the
 * room; retrying cannot succeed. The code `STALE_OWNER` is what the room runtime checks, so it
 * recognises this error without importing the storage package.
 *
 * @example
 * try { await storage.writeCheckpoint({ ...batch, epoch }); }
 * catch (err) { if (err instanceof StaleOwnerError) closeRoom(err.room, 'moved to another process'); else throw err; }
 */
export class StaleOwnerError extends StorageError {
  override readonly name = 'StaleOwnerError';
  override readonly code = 'STALE_OWNER';

  constructor(
    /** The room code. */
    readonly room: string,
    /** The epoch the refused write carried. */
    readonly epoch: number,
    /** The room's owner epoch in storage; null when the room is no longer stored. */
    readonly storedEpoch: number | null,
  ) {
    super('STALE_OWNER', staleOwnerMessage(room, epoch, storedEpoch));
  }
}

function staleOwnerMessage(room: string, epoch: number, stored: number | null): string {
  const after = 'nothing was written; stop running the room here (its players reconnect to its owner)';
  if (stored === null) return `room ${room} was deleted after this process acquired it (epoch ${epoch}): this process lost it; ${after}`;
  if (stored > epoch) return `room ${room} is owned by a newer process (epoch ${stored} > ${epoch}): this process lost it; ${after}`;
  return `room ${room} has owner epoch ${stored} in storage, not ${epoch} as this write says: this process does not own it (a process owns a room from its acquireRoom on); ${after}`;
}
