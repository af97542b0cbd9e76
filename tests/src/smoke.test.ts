import { connect } from '@tickwire/client/node';
import { createServer } from '@tickwire/server';
import { afterEach, describe, expect, it } from 'vitest';
import { silent, testGame, testRoom } from './game.js';

describe('smoke', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('two clients over real sockets see each other move', async () => {
    const server = createServer({ rooms: testRoom(), logger: silent, processMetrics: false });
    const addr = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.close());
    const a = await connect({ url: addr.wsUrl, room: 'r1', name: 'ada', protocol: testGame });
    const b = await connect({ url: addr.wsUrl, room: 'r1', name: 'bob', protocol: testGame });
    cleanups.push(() => a.disconnect(), () => b.disconnect());
    await new Promise((r) => setTimeout(r, 200));
    expect(b.entities.get(a.entityId)).toBeDefined();
    const startX = b.entities.get(a.entityId)!.state.position!.x as number;
    for (let i = 0; i < 10; i++) {
      a.sendInput({ dx: 1, dy: 0 });
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    const endX = b.entities.get(a.entityId)!.state.position!.x as number;
    expect(endX).toBeGreaterThan(startX + 50);
  });
});
