/**
 * Recognising the few database errors the storage layer turns into its own: constraint
 * violations look different in better-sqlite3 (`SQLITE_CONSTRAINT_*` codes) and pg (SQLSTATE
 * classes), and callers should not have to know either.
 */

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** A UNIQUE or PRIMARY KEY violation on either database. */
export function isUniqueViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A CHECK constraint violation on either database. */
export function isCheckViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23514' || code === 'SQLITE_CONSTRAINT_CHECK';
}

/** A FOREIGN KEY violation on either database. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
