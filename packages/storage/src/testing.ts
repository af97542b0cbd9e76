/**
 * Test support, exported as @tickwire/storage/testing so every package's tests share it.
 *
 * Tests that need a service from the machine (PostgreSQL, Redis, a browser) skip with a message
 * saying how to get it, unless TICKWIRE_REQUIRE_SERVICES=1 (set by .ci/run), which turns the
 * skip into a failure. PostgreSQL tests get a fresh schema each, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
export const requireServices = process.env.TICKWIRE_REQUIRE_SERVICES === '1';

/** Returns undefined when available; otherwise the skip reason (or throws when required). */
export function unavailable(what: string, available: boolean, howToGet: string): string | undefined {
  if (available) return undefined;
  const message = `${what} is not available: ${howToGet}`;
  if (requireServices) throw new Error(`${message} (TICKWIRE_REQUIRE_SERVICES=1 makes this a failure)`);
  console.warn(`skipping: ${message}`);
  return message;
}

/** The PostgreSQL the tests use: DATABASE_URL, or the local server. */
export function postgresTestUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Whether a PostgreSQL server answers at `url`. */
export async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `fn` with a short-lived admin connection. */
export async function postgresAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh schema, and the URL whose connections use it (search_path via the startup options). */
export async function freshPostgresSchema(baseUrl: string): Promise<{ schema: string; url: string; drop(): Promise<void> }> {
  const schema = `tickwire_test_${randomUUID().replaceAll('-', '')}`;
  await postgresAdmin(baseUrl, (c) => c.query(`create schema ${schema}`));
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    drop: () => postgresAdmin(baseUrl, (c) => c.query(`drop schema if exists ${schema} cascade`)).then(() => undefined),
  };
}
