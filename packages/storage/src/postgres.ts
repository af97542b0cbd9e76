/**
 * The PostgreSQL adapter: a pg Pool behind Kysely.
 *
 * pg is imported when a PostgreSQL URL is opened, not before, so SQLite users never load it.
 * The pool gets its own type parsers (never pg's global ones, which would change every other
 * pool in the process): BIGINT (epoch-ms timestamps, balances, COUNT) comes back as a JS number
 * rather than pg's default string. The first connection is made here so a wrong URL or a
 * stopped server fails openStorage with a message naming the URL, not a later query.
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

/** Connects to PostgreSQL at `url`; throws UNREACHABLE (naming the URL) when it cannot. */
export async function openPostgres(url: string, logger: StorageLogger): Promise<Kysely<Database>> {
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({ connectionString: url, types: typeParsers(driver.types), connectionTimeoutMillis: 10_000 });
  pool.on('error', (err) => logger.warn({ err }, 'an idle PostgreSQL connection failed; the pool replaces it'));
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
