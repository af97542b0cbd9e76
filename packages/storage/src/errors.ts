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
  | 'INSUFFICIENT_FUNDS';

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
