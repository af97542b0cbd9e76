/**
 * What the cluster tests need from the machine: Redis and PostgreSQL both (skipped with a
 * message when one is missing, a failure under TICKWIRE_REQUIRE_SERVICES=1), and a deployment
 * of their own on them: a fresh PostgreSQL schema and Redis key prefix, removed afterwards.
 */
import { freshPostgresSchema, postgresReachable, postgresTestUrl } from '@tickwire/storage/testing';
import type { Redis } from 'ioredis';
import { connection, dropPrefixes, freshPrefix, redisMissing } from '../../packages/redis/src/redis.test-support.js';
import { unavailable } from './services.js';

const pgUrl = postgresTestUrl();

/** Undefined when Redis and PostgreSQL both answer; otherwise why the tests skip (or throws when they are required). */
export async function clusterServicesMissing(): Promise<string | undefined> {
  return (
    (await redisMissing()) ??
    unavailable(`PostgreSQL at ${pgUrl}`, await postgresReachable(pgUrl), 'start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL')
  );
}

/** A deployment's own corner of the services. */
export interface FreshServices {
  /** A connection of the test's own. */
  redis: Redis;
  /** A Redis key prefix nobody else uses. */
  prefix: string;
  /** PostgreSQL with a fresh schema as its search_path. */
  databaseUrl: string;
}

/** A fresh schema and prefix named after `name`; `cleanup` gets what removes them (and closes the connection). */
export async function freshServices(name: string, cleanup: (() => Promise<unknown>)[]): Promise<FreshServices> {
  const db = await freshPostgresSchema(pgUrl);
  cleanup.push(db.drop);
  const redis = connection();
  cleanup.push(async () => {
    await dropPrefixes(redis);
    await redis.quit();
  });
  return { redis, prefix: freshPrefix(name), databaseUrl: db.url };
}
