/**
 * The Redis the tests use (REDIS_URL, or the local server), each test run under a key prefix of
 * its own so that runs never see each other's keys; skipped with a message when Redis is not
 * there, a failure under TICKWIRE_REQUIRE_SERVICES=1.
 */
import { randomUUID } from 'node:crypto';
import { unavailable } from '@tickwire/storage/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Undefined when Redis answers; otherwise why the tests skip (or throws when it is required). */
export async function redisMissing(): Promise<string | undefined> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  let ok = false;
  try {
    await probe.connect();
    ok = (await probe.ping()) === 'PONG';
  } catch {
    ok = false;
  } finally {
    probe.disconnect();
  }
  return unavailable('Redis', ok, `start one on ${redisUrl} (redis-server --port 6379) or set REDIS_URL`);
}

/** A connection for one test file, and a fresh prefix per call. */
export function connection(): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: 1 });
}

const prefixes: string[] = [];

/** A key prefix no other test or run uses; `dropPrefixes` deletes what was written under them. */
export function freshPrefix(what: string): string {
  const prefix = `tickwire-test:${what}:${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

export async function dropPrefixes(redis: Redis): Promise<void> {
  for (const prefix of prefixes.splice(0)) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}

/**
 * Declares `title`'s tests against a connection of their own (its test keys dropped and the
 * connection closed afterwards), or one skipped test that says why when Redis is missing.
 */
export async function describeWithRedis(title: string, body: (redis: Redis) => void): Promise<void> {
  const skip = await redisMissing();
  describe(title, () => {
    if (skip) {
      it.skipIf(true)(`skipped: ${skip}`, () => undefined);
      return;
    }
    const redis = connection();
    afterAll(async () => {
      await dropPrefixes(redis);
      await redis.quit();
    });
    body(redis);
  });
}
