/**
 * The PostgreSQL adapter: a pg Pool behind Kysely.
 *
 * pg is imported when a PostgreSQL URL is opened, not before, so SQLite users never load it.
 * The pool gets its own type parsers (never pg's global ones, which would change every other
 * pool in the process): BIGINT (epoch-ms timestamps, balances, COUNT) comes back as a JS number
 * rather than pg's default string. The first connection is made here so a wrong URL or a
 * stopped server fails openStorage with a message naming the URL, not a later query.
 *
 * A session that sits idle inside a transaction is ended by the server after a while: a process
 * paused in the middle of a write (a frozen VM, SIGSTOP, a long stall, a partition) would
 * otherwise hold its row locks for as long as it is paused, and the process that took its rooms
 * over could neither acquire them nor commit a critical transaction on a key it had locked.
 * Every connection has an error listener of its own, so a connection the server ends while it
 * is checked out fails its next query instead of crashing the process.
 */
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { StorageLogger } from './context.js';
import { StorageError } from './errors.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

function parseInt8(value: string): number {
  return Number(value);
}

function typeParsers(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary' ? parseInt8 : types.getTypeParser(oid, format)),
  };
}

/** `url` with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** How long a session may sit idle inside a transaction before the server ends it, by default (ms). */
export const DEFAULT_IDLE_IN_TRANSACTION_MS = 3000;

/** Connects to PostgreSQL at `url`; throws UNREACHABLE (naming the URL) when it cannot. */
export async function openPostgres(url: string, logger: StorageLogger, idleInTransactionMs = DEFAULT_IDLE_IN_TRANSACTION_MS): Promise<Kysely<Database>> {
  if (!(Number.isSafeInteger(idleInTransactionMs) && idleInTransactionMs >= 0)) {
    throw new StorageError('INVALID_ARGUMENT', `idleInTransactionTimeoutMs must be a whole number of ms, 0 or more (0: never), got ${idleInTransactionMs}`);
  }
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: url,
    types: typeParsers(driver.types),
    connectionTimeoutMillis: 10_000,
    // pg sends it only when it is not 0; 0 leaves the server's setting (normally: never).
    idle_in_transaction_session_timeout: idleInTransactionMs,
  });
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err }, 'a PostgreSQL connection failed; what runs on it fails and the pool replaces it')));
  // Already logged by the connection's own listener above; the pool re-emits errors of idle ones.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StorageError(
      'UNREACHABLE',
      `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}. Check DATABASE_URL (host, port, user, database) and that the server is running`,
      { cause: err },
    );
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
