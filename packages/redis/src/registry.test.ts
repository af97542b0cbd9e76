import { afterAll, describe, it } from 'vitest';
import { registryContract } from '../../server/src/registry-contract.test-support.js';
import { RedisRegistry } from './registry.js';
import { connection, dropPrefixes, freshPrefix, redisMissing } from './redis.test-support.js';

const skip = await redisMissing();
if (skip) {
  describe('room registry on Redis', () => {
    it.skipIf(true)(`skipped: ${skip}`, () => undefined);
  });
} else {
  const redis = connection();
  afterAll(async () => {
    await dropPrefixes(redis);
    await redis.quit();
  });
  // Leases are timed by Redis's clock: time passes for real here (the contract waits a lease
  // of 1 s a few times).
  registryContract({
    name: 'Redis',
    make: async () => new RedisRegistry(redis, { prefix: freshPrefix('registry') }),
    advance: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
}
