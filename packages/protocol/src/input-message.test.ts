/**
 * Decoding in place (MessageCodec.decodeClientInto): INPUT and ACK read into reused storage, with
 * the same checks and errors as decodeClient, which builds a message of fresh objects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter } from './bits.js';
import { ErrorCode, ProtocolError } from './errors.js';
import type { InputStore } from './input-message.js';
import { DecodedFrame, Kind, LIMITS, MessageCodec, PROTOCOL_VERSION, writeEnvelope, type ClientMessage, type InputEntry } from './messages.js';
import { defineProtocol } from './schema.js';
import { t } from './types.js';

const game = defineProtocol({
  name: 'input-message-test',
  components: { pos: { x: t.uint(8) } },
  entities: { ship: ['pos'] },
  input: { dx: t.int({ min: -1, max: 1 }), aim: t.angle({ bits: 10 }), boost: t.bool(), gait: t.enum(['walk', 'run']) },
  commands: { combat: { fire: { power: t.uint({ max: 9 }) } } },
});
const codec = new MessageCodec(game);
type Input = { dx: number; aim: number; boost: boolean; gait: 'walk' | 'run' };
const STEP = (2 * Math.PI) / 1024;

/** A fixed set of entries, made once: what a receiver's queue looks like to the decoder. */
class Slots implements InputStore {
  readonly entries: InputEntry<Record<string, unknown>>[];
  newestSeq: number;

  constructor(
    size: number,
    newestSeq = 0,
    private readonly limit = size,
  ) {
    this.entries = Array.from({ length: size }, () => ({ seq: 0, time: 0, input: {} }));
    this.newestSeq = newestSeq;
  }

  room(fresh: number): number {
    return Math.min(fresh, this.limit);
  }

  entry(k: number): InputEntry<Record<string, unknown>> {
    return this.entries[k]!;
  }
}

const inputArb: fc.Arbitrary<Input> = fc.record({
  dx: fc.integer({ min: -1, max: 1 }),
  aim: fc.nat(1023).map((n) => n * STEP),
  boost: fc.boolean(),
  gait: fc.constantFrom('walk' as const, 'run' as const),
});

/** 1..16 consecutive inputs ending at `newest`, oldest first. */
function entries(newest: number, inputs: readonly Input[], time = 5000): InputEntry<Record<string, unknown>>[] {
  return inputs.map((input, i) => ({ seq: newest - (inputs.length - 1 - i), time: time - (inputs.length - 1 - i) * 50, input }));
}

function outcome(fn: () => unknown): { error: ErrorCode } | { value: unknown } {
  try {
    return { value: fn() };
  } catch (err) {
    if (err instanceof ProtocolError) return { error: err.code };
    throw err;
  }
}

describe('decodeClientInto', () => {
  it('reads INPUT frame after frame into the same entries and input objects, and ACK into a number', () => {
    const slots = new Slots(4);
    const objects = slots.entries.map((e) => [e, e.input] as const);
    const out = new DecodedFrame();
    const random = fc.sample(inputArb, { numRuns: 400, seed: 7 });
    let seq = 0;
    for (let n = 0; n < 200; n++) {
      // Each frame repeats the last two inputs (redundancy) and brings one new one.
      seq++;
      const sent = entries(seq, random.slice(Math.max(0, seq - 3), seq), 1000 + seq);
      const f = codec.decodeClientInto(codec.input(seq - 1, sent), slots, out);
      expect(f).toBe(out);
      expect(f.message).toBeNull();
      expect([f.kind, f.seq, f.tick, f.fresh, f.kept]).toEqual([Kind.INPUT, seq, seq - 1, 1, 1]);
      expect(slots.entries[0]).toEqual(sent.at(-1));
      slots.newestSeq = seq;
      const a = codec.decodeClientInto(codec.ack(seq * 3), slots, out);
      expect([a.kind, a.tick, a.message]).toEqual([Kind.ACK, seq * 3, null]);
    }
    // Nothing was replaced: the frames went into the objects the store started with.
    slots.entries.forEach((e, i) => {
      expect(e).toBe(objects[i]![0]);
      expect(e.input).toBe(objects[i]![1]);
    });
  });

  it('keeps as many new inputs as the store has room for, the oldest first, and still checks the rest', () => {
    const inputs = fc.sample(inputArb, { numRuns: 5, seed: 3 });
    const sent = entries(12, inputs);
    const slots = new Slots(2, 7);
    const out = codec.decodeClientInto(codec.input(0, sent), slots, new DecodedFrame());
    expect([out.fresh, out.kept]).toEqual([5, 2]);
    expect(slots.entries).toEqual(sent.slice(0, 2));
    // Two new inputs, room for one: the newest is not kept, and an out-of-range dx in it still refuses the frame.
    const w = new BitWriter();
    writeEnvelope(w, Kind.INPUT, 9);
    w.writeGamma(0);
    w.writeGamma(1);
    w.writeBits(100, 32);
    w.writeBits(3, 2); // dx: 2 bits, 0..2 on the wire
    w.writeBits(0, 12);
    w.writeGamma(0);
    game.input.write(w, inputs[0]!);
    const bad = w.toBytes();
    const one = new Slots(1, 7, 1);
    expect(outcome(() => codec.decodeClientInto(bad, one, new DecodedFrame()))).toEqual({ error: ErrorCode.VALUE_OUT_OF_RANGE });
    expect(outcome(() => codec.decodeClient(bad, 7))).toEqual({ error: ErrorCode.VALUE_OUT_OF_RANGE });
  });

  it('decodes every frame as decodeClient does, malformed ones refused with the same code (property)', () => {
    const validArb = fc.oneof(
      fc.tuple(fc.array(inputArb, { minLength: 1, maxLength: LIMITS.inputsPerMessage }), fc.nat(40), fc.nat(1000)).map(([inputs, newest, ack]) =>
        codec.input(ack, entries(newest + inputs.length, inputs)),
      ),
      fc.nat(LIMITS.maxSeq).map((tick) => codec.ack(tick)),
      fc.tuple(fc.nat(100), fc.nat(9)).map(([seq, power]) => codec.command(seq, 'combat', 'fire', 0, 0, { power })),
      fc.nat(100).map((seq) => codec.ping(seq, seq * 10)),
    );
    const frameArb = fc.oneof(
      validArb,
      fc.tuple(validArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([f, at, b]) => {
        const g = f.slice();
        g[at % g.length] = b;
        return g;
      }),
      fc.tuple(validArb, fc.nat()).map(([f, n]) => f.subarray(0, n % f.length)),
      fc.tuple(validArb, fc.uint8Array({ minLength: 1, maxLength: 3 })).map(([f, tail]) => Uint8Array.from([...f, ...tail])),
      fc.tuple(fc.constantFrom(Kind.INPUT, Kind.ACK), fc.uint8Array({ maxLength: 24 })).map(([kind, body]) => Uint8Array.from([PROTOCOL_VERSION, kind, ...body])),
    );
    const out = new DecodedFrame();
    const seen = { refused: 0, inputs: 0 };
    fc.assert(
      fc.property(frameArb, fc.integer({ min: -1, max: 60 }), (frame, after) => {
        const want = outcome(() => codec.decodeClient(frame, after));
        const slots = new Slots(LIMITS.inputsPerMessage, after);
        const got = outcome(() => codec.decodeClientInto(frame, slots, out));
        if ('error' in want) {
          expect(got).toEqual(want);
          seen.refused++;
          return;
        }
        expect(got).toEqual({ value: out });
        const msg = want.value as ClientMessage;
        if (msg.kind === 'input') {
          seen.inputs += out.kept;
          expect([out.kind, out.seq, out.tick, out.fresh, out.kept, out.message]).toEqual([Kind.INPUT, msg.seq, msg.ackTick, msg.inputs.length, msg.inputs.length, null]);
          expect(slots.entries.slice(0, out.kept)).toEqual(msg.inputs);
        } else if (msg.kind === 'ack') expect([out.kind, out.seq, out.tick, out.message]).toEqual([Kind.ACK, msg.seq, msg.tick, null]);
        else expect(out.message).toEqual(msg);
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: many frames refused, and many inputs stored.
    expect(seen.refused).toBeGreaterThan(500);
    expect(seen.inputs).toBeGreaterThan(300);
  });
});
