/**
 * Two runtimes sharing a Redis registry: a room runs in one of them only, the other refuses it
 * with ROOM_ELSEWHERE, and once the owner releases it the other may open it, at a higher epoch.
 */
import { ErrorCode } from '@tickwire/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { flush, gameRoom, harness } from '../../server/src/harness.test-support.js';
import { RedisRegistry } from './registry.js';
import { connection, dropPrefixes, freshPrefix, redisMissing } from './redis.test-support.js';

const skip = await redisMissing();

/** Lets Redis round trips finish: frames flow on setImmediate, Redis replies on the socket. */
async function until(ok: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(skip !== undefined)('room ownership through Redis', () => {
  const redis = skip ? undefined : connection();
  afterAll(async () => {
    if (!redis) return;
    await dropPrefixes(redis);
    await redis.quit();
  });

  it('opens a room in one process only, and in the other once it is released', async () => {
    const registry = new RedisRegistry(redis!, { prefix: freshPrefix('ownership') });
    const a = harness(gameRoom({ createOnJoin: true, emptyGraceMs: 1000 }), { registry, processId: 'a' });
    const b = harness(gameRoom({ createOnJoin: true, emptyGraceMs: 1000 }), { registry, processId: 'b' });
    const player = a.connect();
    player.hello('x');
    await until(() => player.welcome !== undefined, 'the welcome from a');
    const first = await registry.lookup('x');
    expect(first?.owner).toBe('a');
    const other = b.connect();
    other.hello('x');
    await until(() => other.errors.length > 0, 'the refusal from b');
    expect(other.errors[0]).toMatchObject({ code: ErrorCode.ROOM_ELSEWHERE, fatal: true });
    player.send(player.frames.leave());
    await flush();
    await a.step(1500, 250);
    await until(async () => (await registry.lookup('x')) === undefined, 'the release');
    const again = b.connect();
    again.hello('x');
    await until(() => again.welcome !== undefined, 'the welcome from b');
    const second = await registry.lookup('x');
    expect(second?.owner).toBe('b');
    expect(second!.epoch).toBeGreaterThan(first!.epoch);
    await a.close();
    await b.close();
  });
});
