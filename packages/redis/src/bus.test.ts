import { afterAll, describe, it } from 'vitest';
import { busContract } from '../../server/src/bus-contract.test-support.js';
import { RedisBus } from './bus.js';
import { connection, freshPrefix, redisMissing } from './redis.test-support.js';

const skip = await redisMissing();
if (skip) {
  describe('message bus on Redis', () => {
    it.skipIf(true)(`skipped: ${skip}`, () => undefined);
  });
} else {
  const publishers = [connection(), connection()];
  afterAll(async () => {
    for (const p of publishers) await p.quit();
  });
  busContract({
    name: 'Redis pub/sub',
    make: async () => {
      const prefix = freshPrefix('bus');
      return [new RedisBus(publishers[0]!, { prefix }), new RedisBus(publishers[1]!, { prefix })];
    },
    settle: () => new Promise((r) => setTimeout(r, 5)),
  });
}
