import { describe, expect, it } from 'vitest';
import { processInfo, processRegistryContract } from '../../server/src/process-registry-contract.test-support.js';
import { RedisProcessRegistry } from './process-registry.js';
import { describeWithRedis, freshPrefix } from './redis.test-support.js';

await describeWithRedis('process registry on Redis', (redis) => {
  // Expiry is timed by Redis's clock: time passes for real (a few waits of under half a second).
  processRegistryContract({
    name: 'Redis',
    make: async () => new RedisProcessRegistry(redis, { prefix: freshPrefix('processes') }),
    advance: (ms) => new Promise((r) => setTimeout(r, ms)),
  });

  describe('process registry on Redis: what it stores', () => {
    it('skips a corrupt record instead of routing to it', async () => {
      const prefix = freshPrefix('processes');
      const r = new RedisProcessRegistry(redis, { prefix });
      await r.heartbeat(processInfo('good'), 5000);
      await r.heartbeat(processInfo('bad'), 5000);
      await redis.set(`${prefix}process:bad`, '{"id":"bad","url":42}', 'PX', 5000);
      expect((await r.list()).map((p) => p.id)).toEqual(['good']);
      expect(await r.get('bad')).toBeUndefined();
    });

    it('lets a dead process key expire in Redis by itself', async () => {
      const prefix = freshPrefix('processes');
      const r = new RedisProcessRegistry(redis, { prefix });
      await r.heartbeat(processInfo('p'), 5000);
      const pttl = await redis.pttl(`${prefix}process:p`);
      expect(pttl).toBeGreaterThan(4000);
      expect(pttl).toBeLessThanOrEqual(5000);
    });
  });
});
