import { registryContract } from '../../server/src/registry-contract.test-support.js';
import { RedisRegistry } from './registry.js';
import { describeWithRedis, freshPrefix } from './redis.test-support.js';

await describeWithRedis('room registry on Redis', (redis) => {
  // Leases are timed by Redis's clock: time passes for real here (the contract waits a lease
  // of 1 s a few times).
  registryContract({
    name: 'Redis',
    make: async () => new RedisRegistry(redis, { prefix: freshPrefix('registry') }),
    advance: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
});
