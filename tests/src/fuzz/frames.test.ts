/**
 * The fuzz harness's own frames: what it calls valid must decode, what it writes past a limit
 * must be what it says, and the raw writers must agree with the codec where the codec can
 * write. A fuzz failure should mean a server bug, never a harness one.
 */
import { arena } from '@tickwire/arena/protocol';
import { BitReader, BitWriter, GAMMA_MAX, LIMITS, MessageCodec, ProtocolError, decodeHello, peekEnvelope } from '@tickwire/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameFactory, type ConnectionView } from './frames.js';
import { Rng, rawGamma, rawVarUint } from './raw.js';

const codec = new MessageCodec(arena);
const view = (): ConnectionView => ({ joined: true, room: 'fuzz-main', entity: 3, lastTick: 120, inputSeq: 0, commandSeq: 0, pingSeq: 0 });

describe('raw writers', () => {
  it('write what the codec writes, where the codec can', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: GAMMA_MAX }), fc.maxSafeNat(), (g, v) => {
        const a = new BitWriter();
        const b = new BitWriter();
        a.writeGamma(g);
        a.writeVarUint(v);
        rawGamma(b, g);
        rawVarUint(b, BigInt(v));
        expect([b.bitLength, ...b.toBytes()]).toEqual([a.bitLength, ...a.toBytes()]);
      }),
    );
  });

  it('write past the codec: a 40-bit gamma and a 2^53 varuint are refused by the reader', () => {
    const w = new BitWriter();
    rawGamma(w, 2 ** 40);
    expect(() => new BitReader(w.toBytes()).readGamma()).toThrow(ProtocolError);
    const v = new BitWriter();
    rawVarUint(v, 2n ** 53n);
    expect(() => new BitReader(v.toBytes()).readVarUint()).toThrow(ProtocolError);
  });
});

describe('FrameFactory', () => {
  it('valid frames decode with the game codec, for a joined connection and before joining', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const f = new FrameFactory(arena, new Rng(seed), 16384);
        const v = view();
        for (let i = 0; i < 20; i++) {
          const frame = f.valid(v);
          expect(frame.data).toBeInstanceOf(Uint8Array);
          codec.decodeClient(frame.data as Uint8Array);
        }
        const hello = f.valid({ ...v, joined: false });
        expect(decodeHello(hello.data as Uint8Array)).toMatchObject({ room: 'fuzz-main', protocolHash: arena.hash });
      }),
      { numRuns: 200 },
    );
  });

  it('boundary frames carry the seq their label says, refused past the limit', () => {
    let checked = 0;
    const f = new FrameFactory(arena, new Rng(7), 16384);
    for (let i = 0; i < 3000; i++) {
      const frame = f.boundary(view());
      const m = / seq=2\^(\d+)([+-]\d+)?/.exec(frame.label);
      if (!m || frame.label.includes('overlong')) continue;
      checked++;
      const seq = 2n ** BigInt(m[1]!) + BigInt(m[2] ?? 0);
      // Past the limit the envelope is refused, so the server can echo nothing it cannot write.
      if (seq > BigInt(LIMITS.maxSeq)) expect(peekEnvelope(frame.data as Uint8Array), frame.label).toBeUndefined();
      else expect(peekEnvelope(frame.data as Uint8Array)?.seq, frame.label).toBe(Number(seq));
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('every category yields frames, and the same seed yields the same frames', () => {
    const run = (seed: number) => {
      const f = new FrameFactory(arena, new Rng(seed), 1024);
      const v = view();
      return (['valid', 'random', 'mutated', 'boundary', 'text', 'oversize'] as const).map((c) => f.make(c, v));
    };
    const a = run(42);
    expect(a.map((x) => x.category)).toEqual(['valid', 'random', 'mutated', 'boundary', 'text', 'oversize']);
    expect(typeof a[4]!.data).toBe('string');
    expect((a[5]!.data as Uint8Array).length).toBeGreaterThanOrEqual(1024);
    // Times are read from the clock; everything else follows from the seed.
    expect(run(42).map((x) => x.label)).toEqual(a.map((x) => x.label));
    expect(LIMITS.maxSeq).toBe(2 ** 32 - 2);
  });
});
