import { DecodedFrame, MessageCodec, type InputEntry } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { flush, game, gameRoom, harness } from './harness.test-support.js';
import { InputQueue, type Action } from './input-queue.js';

const codec = new MessageCodec(game);
const decoded = new DecodedFrame();

/** Decodes an INPUT frame into the queue and commits it, as a connection does. Answers how many were dropped. */
function receive(queue: InputQueue<string>, frame: Uint8Array): number {
  const f = codec.decodeClientInto(frame, queue, decoded);
  queue.commit(f.seq - f.fresh + 1, f.kept);
  return f.fresh - f.kept;
}

/** INPUT with inputs `from`..`to` (dx cycling -1, 0, 1 by seq), as a client with redundancy sends it. */
function frame(from: number, to: number): Uint8Array {
  const entries: InputEntry<Record<string, unknown>>[] = [];
  for (let seq = from; seq <= to; seq++) entries.push({ seq, time: seq * 50, input: { dx: (seq % 3) - 1 } });
  return codec.input(0, entries);
}

function taken(queue: InputQueue<string>, max: number): { seq: number; dx: unknown }[] {
  const out: Action<string>[] = [];
  queue.take(max, 0, out, 0);
  return out.map((a) => (a.kind === 'input' ? { seq: a.entry.seq, dx: a.entry.input['dx'] } : { seq: -1, dx: undefined }));
}

describe('input queue', () => {
  it('reads a steady stream of inputs into the same few objects, tick after tick', () => {
    const queue = new InputQueue('me', 64);
    const objects = new Set<object>();
    for (let seq = 1; seq <= 1000; seq++) {
      receive(queue, frame(Math.max(1, seq - 2), seq));
      const out: Action<string>[] = [];
      queue.take(4, 0, out, 0);
      expect(out).toHaveLength(1);
      const a = out[0]!;
      if (a.kind !== 'input') throw new Error('an input action');
      expect([a.client, a.entry.seq, a.entry.input['dx']]).toEqual(['me', seq, (seq % 3) - 1]);
      objects.add(a).add(a.entry).add(a.entry.input);
    }
    // One slot taken by the tick and one to read the next frame into, each an action, an entry
    // and an input: a thousand inputs, six objects.
    expect(objects.size).toBe(6);
  });

  it('keeps what a tick took intact while frames arrive, until the next take', () => {
    const queue = new InputQueue('me', 64);
    receive(queue, frame(1, 3));
    const out: Action<string>[] = [];
    queue.take(2, 0, out, 0);
    const held = out.map((a) => (a.kind === 'input' ? { ...a.entry } : null));
    // Frames that arrive while the tick's actions are in use go into other slots.
    for (let seq = 4; seq <= 40; seq++) receive(queue, frame(seq - 2, seq));
    expect(out.map((a) => (a.kind === 'input' ? { ...a.entry } : null))).toEqual(held);
    expect(queue.length).toBe(38);
    expect(taken(queue, 4).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
  });

  it('drops the newest inputs beyond its limit and queues them when the client repeats them', () => {
    const queue = new InputQueue('me', 4);
    expect(receive(queue, frame(1, 6))).toBe(2);
    expect(queue.newestSeq).toBe(4);
    expect(taken(queue, 4).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    // The client repeats what it has not seen acknowledged: 5 and 6 are new again.
    expect(receive(queue, frame(3, 7))).toBe(0);
    expect(taken(queue, 4)).toEqual([5, 6, 7].map((seq) => ({ seq, dx: (seq % 3) - 1 })));
  });

  it('clear drops what waits; reset starts the sequence over', () => {
    const queue = new InputQueue('me', 64);
    receive(queue, frame(1, 5));
    queue.clear();
    expect(queue.length).toBe(0);
    receive(queue, frame(5, 6));
    expect(taken(queue, 4).map((e) => e.seq)).toEqual([6]);
    queue.reset();
    receive(queue, frame(1, 2));
    expect(taken(queue, 4).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("hands onInput each input's own values in reused objects: valid during the call", async () => {
    const seen: { seq: number; dx: number }[] = [];
    const objects = new Set<object>();
    const h = harness(gameRoom({ onInput: (_room, _client, input, meta) => void (seen.push({ seq: meta.seq, dx: input.dx }), objects.add(input)) }));
    const c = await h.join();
    const sent: { seq: number; dx: number }[] = [];
    for (let i = 0; i < 100; i++) {
      const dx = (i % 3) - 1;
      sent.push({ seq: c.input(dx, Math.floor(h.clock.now())), dx });
      await flush();
      await h.step(50);
    }
    expect(seen).toEqual(sent);
    expect(objects.size).toBeLessThanOrEqual(2);
  });
});
