/**
 * The write-behind queue's answer to a fenced write: a store refusing a batch because another
 * process owns the room (code STALE_OWNER) stops the writer for good, without the retries that
 * every other failure gets, and fails the critical commits waiting in it.
 */
import { ManualClock } from '@tickwire/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CheckpointWriter, isStaleOwner, OwnershipLostError, RETRY_BACKOFF_MS, STALE_OWNER, type CheckpointBatch, type RoomStore, type StaleOwner, type WriterEvents } from './persistence-writer.js';

/** What a store throws for a stale epoch (the storage package's StaleOwnerError has this shape). */
class Refused extends Error implements StaleOwner {
  readonly code = STALE_OWNER;
}

/** A store whose writes wait for the test to settle them, one at a time, in order. */
class ScriptedStore implements RoomStore {
  readonly writes: { kind: 'checkpoint' | 'commit'; batch: CheckpointBatch; settle: (err?: Error) => void }[] = [];

  async loadRoom() {
    return undefined;
  }

  async committedResult() {
    return undefined;
  }

  writeCheckpoint(batch: CheckpointBatch): Promise<void> {
    return new Promise((resolve, reject) => this.writes.push({ kind: 'checkpoint', batch, settle: (err) => (err ? reject(err) : resolve()) }));
  }

  transact<T>(key: string, fn: (tx: unknown) => Promise<T>, options?: { checkpoint?: CheckpointBatch }): Promise<{ result: T; replayed: boolean }> {
    return new Promise((resolve, reject) => {
      const batch = options?.checkpoint ?? { code: key, upsertEntities: [], deleteEntities: [], upsertPlayers: [], at: 0 };
      this.writes.push({ kind: 'commit', batch, settle: (err) => (err ? reject(err) : fn(undefined).then((result) => resolve({ result, replayed: false }), reject)) });
    });
  }
}

/** Lets the writer's promise jobs run. */
const turn = () => new Promise<void>((r) => setImmediate(r));

function batch(n: number): CheckpointBatch {
  return { code: 'r', upsertEntities: [{ key: `e${n}`, type: 't', data: n }], deleteEntities: [], upsertPlayers: [], at: n, epoch: 1 };
}

function setUp() {
  const clock = new ManualClock(0);
  const store = new ScriptedStore();
  const seen = { unwritten: 0, written: [] as number[], fenced: [] as StaleOwner[], failed: 0 };
  const events: WriterEvents<number> = {
    unwritten: () => void seen.unwritten++,
    written: (at) => void seen.written.push(at),
    fenced: (err) => void seen.fenced.push(err),
  };
  const stats = { queueDepth: () => undefined, checkpointWritten: () => undefined, checkpointFailed: () => void seen.failed++ };
  const writer = new CheckpointWriter<number>('r', store, clock, stats, pino({ level: 'silent' }), events);
  return { clock, store, seen, writer };
}

/** Settles a promise's outcome into a value, so a rejection can be inspected without racing it. */
function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

describe('checkpoint writer, fenced', () => {
  it('a stale-owner refusal is not retried: the writer stops, fails the commits waiting in it and reports fenced once', async () => {
    const { clock, store, seen, writer } = setUp();
    writer.checkpoint(batch(1), [1]);
    const waiting = outcome(writer.commit('buy-1', { ok: true }, batch(2), [2]));
    writer.checkpoint(batch(3), [3]);
    await turn();
    expect(store.writes.map((w) => w.kind)).toEqual(['checkpoint']);
    const refusal = new Refused('room r is owned by a newer process (epoch 2 > 1): this process lost it');
    store.writes[0]!.settle(refusal);
    await writer.idle();

    expect(seen.fenced).toEqual([refusal]);
    expect(writer.fenced).toBe(refusal);
    const waited = await waiting;
    expect(waited.ok).toBe(false);
    const err = !waited.ok ? waited.error : undefined;
    expect(err).toBeInstanceOf(OwnershipLostError);
    expect(isStaleOwner(err)).toBe(true);
    expect((err as OwnershipLostError).message).toContain('critical change buy-1 in room r was not committed');
    expect((err as OwnershipLostError).message).toContain(refusal.message);
    expect((err as OwnershipLostError).cause).toBe(refusal);

    // No retry after the back-off, and nothing later is written either.
    clock.advance(RETRY_BACKOFF_MS * 10);
    writer.checkpoint(batch(4), [4]);
    const late = await outcome(writer.commit('buy-2', { ok: true }, batch(5), [5]));
    expect(late.ok).toBe(false);
    expect(!late.ok && late.error).toBeInstanceOf(OwnershipLostError);
    await turn();
    await writer.idle();
    expect(store.writes).toHaveLength(1);
    expect(writer.depth).toBe(0);
    expect(seen.written).toEqual([]);
    expect(seen.fenced).toHaveLength(1);
  });

  it('a critical commit refused as stale rejects with OwnershipLostError; other failures are still retried', async () => {
    const { clock, store, seen, writer } = setUp();
    // Any other failure: the rows go back to the room and the writer goes on after a back-off.
    writer.checkpoint(batch(1), [1]);
    await turn();
    store.writes[0]!.settle(new Error('the database went away'));
    await turn();
    expect(seen.unwritten).toBe(1);
    writer.checkpoint(batch(2), [2]);
    clock.advance(RETRY_BACKOFF_MS);
    await turn();
    expect(store.writes.map((w) => w.kind)).toEqual(['checkpoint', 'checkpoint']);
    store.writes[1]!.settle();
    await writer.idle();
    expect(seen.written).toEqual([2]);
    expect(seen.fenced).toEqual([]);

    const commit = outcome(writer.commit('buy-1', 'result', batch(3), [3]));
    await turn();
    const refusal = new Refused('room r is owned by a newer process (epoch 3 > 1): this process lost it');
    store.writes[2]!.settle(refusal);
    const settled = await commit;
    expect(!settled.ok && settled.error).toBeInstanceOf(OwnershipLostError);
    expect(seen.fenced).toEqual([refusal]);
    expect(seen.unwritten).toBe(1);
  });

  it('a throwing fenced handler is logged, and the writer still stops', async () => {
    const { store } = setUp();
    const clock = new ManualClock(0);
    const throwing = new CheckpointWriter<number>('r', store, clock, { queueDepth: () => undefined, checkpointWritten: () => undefined, checkpointFailed: () => undefined }, pino({ level: 'silent' }), {
      unwritten: () => undefined,
      written: () => undefined,
      fenced: () => {
        throw new Error('handler bug');
      },
    });
    throwing.checkpoint(batch(1), [1]);
    await turn();
    store.writes[0]!.settle(new Refused('stale'));
    await throwing.idle();
    expect(throwing.fenced?.message).toBe('stale');
    throwing.checkpoint(batch(2), [2]);
    await turn();
    expect(store.writes).toHaveLength(1);
  });

  it('recognises a refusal by its code alone, from any error class', () => {
    expect(isStaleOwner(new Refused('x'))).toBe(true);
    expect(isStaleOwner(Object.assign(new TypeError('x'), { code: 'STALE_OWNER' }))).toBe(true);
    expect(isStaleOwner(Object.assign(new Error('x'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isStaleOwner({ code: 'STALE_OWNER', message: 'not an Error' })).toBe(false);
    expect(isStaleOwner('STALE_OWNER')).toBe(false);
    expect(isStaleOwner(undefined)).toBe(false);
  });
});
