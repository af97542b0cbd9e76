/**
 * A Lua script run by its SHA1 (EVALSHA): the script's text crosses the network once per Redis
 * server, not on every call. A server that does not know it yet (a restart, SCRIPT FLUSH, a
 * failover to a replica) answers NOSCRIPT, and the call is made again with the text, which loads it.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export class Script {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script with `keys` keys then arguments, as EVAL takes them. */
  async run(redis: Redis, keys: number, ...args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return redis.eval(this.lua, keys, ...args);
    }
  }
}
