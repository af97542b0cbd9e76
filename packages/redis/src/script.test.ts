import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeWithRedis } from './redis.test-support.js';
import { Script } from './script.js';

await describeWithRedis('Lua scripts by SHA', (redis) => {
  it('loads a script the server does not know on its first call, then runs it by its SHA', async () => {
    const script = new Script(`-- ${randomUUID()}\nreturn tonumber(ARGV[1]) + 1`);
    expect(await redis.script('EXISTS', script.sha)).toEqual([0]);
    expect(await script.run(redis, 0, 41)).toBe(42);
    expect(await redis.script('EXISTS', script.sha)).toEqual([1]);
    expect(await script.run(redis, 0, 1)).toBe(2);
  });

  it('passes a script error through', async () => {
    const script = new Script(`-- ${randomUUID()}\nreturn redis.call('NOSUCHCOMMAND')`);
    await expect(script.run(redis, 0)).rejects.toThrow(/Unknown Redis command|unknown command/i);
  });
});
