/**
 * A player who joins while their room is still loading from the database waits for it: they get
 * their saved data, and the room never writes a blank over it. (After a failover the players'
 * reconnects arrive exactly then: the moment the room's new owner has claimed it.)
 */
import type { RoomStore } from '@tickwire/server';
import type { Storage } from '@tickwire/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { bank, bankRoom } from './fixtures/bank.js';
import { backends, databases, FaultyStore, settleStepping, steppedWorld } from './persistence-support.js';

const dbs = databases();
afterAll(() => dbs.dropAll());

/** The real storage, with loading a room held until `release()`. */
class SlowLoad extends FaultyStore {
  private gate: Promise<void>;
  private open: () => void = () => undefined;
  loads = 0;

  constructor(private readonly real: Storage) {
    super(real);
    this.gate = new Promise((r) => (this.open = r));
  }

  override async loadRoom(code: string) {
    this.loads++;
    await this.gate;
    return this.real.loadRoom(code);
  }

  acquireRoom(code: string, atLeast: number) {
    return this.real.acquireRoom(code, atLeast);
  }

  releaseLoad(): void {
    this.open();
  }
}

describe.each(backends)('joining a room that is still loading, on $name', (backend) => {
  it('waits for the load and gets the saved data', async () => {
    const url = await dbs.fresh(backend);
    const first = await steppedWorld(url, bankRoom({ checkpointMs: 100 }));
    const ada = await first.join(bank, 'vault', 'ada');
    const [deposited] = await settleStepping(first.clock, [ada.sendCommand('bank', 'deposit', { txid: 1, amount: 5 })]);
    expect(deposited?.status).toBe('fulfilled');
    await first.close();

    let slow: SlowLoad | undefined;
    const second = await steppedWorld(url, bankRoom({ checkpointMs: 100 }), (s): RoomStore => (slow = new SlowLoad(s)));
    dbs.defer(() => second.close());
    dbs.defer(async () => slow!.releaseLoad());
    const opening = second.server.rooms.open('vault');
    // The room claims and acquires it first (a database round trip), then loads.
    for (let i = 0; i < 500 && slow!.loads === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(slow!.loads).toBe(1);
    // Ada comes back while the room loads: her join waits instead of entering an empty room.
    const back = second.join(bank, 'vault', 'ada');
    await second.step(200);
    expect(second.server.rooms.get('vault')).toBeUndefined();
    slow!.releaseLoad();
    await opening;
    const again = await back;
    const [more] = await settleStepping(second.clock, [again.sendCommand('bank', 'deposit', { txid: 2, amount: 1 })]);
    expect(more?.status).toBe('fulfilled');
    await second.step(500);
    const stored = await second.storage.loadRoom('vault');
    expect(stored?.players.find((p) => p.userId === 'ada')?.data).toEqual({ balance: 6 });
  });
});
