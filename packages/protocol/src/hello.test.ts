/**
 * HELLO v2: the create flag and the game's join options, decoded in two steps (the frame
 * generically, then the options with the room's protocol). Both steps face hostile bytes: random
 * options within and past every limit come back as values in range or as a ProtocolError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';
import { FrameEncoder, Kind, LIMITS, PROTOCOL_VERSION, decodeHello, decodeJoinOptions, encodeJoinOptions } from './messages.js';
import { defineProtocol, type JoinOptionsOf } from './schema.js';
import { t } from './types.js';

const game = defineProtocol({
  name: 'lobby',
  components: { pos: { x: t.uint(8) } },
  entities: { dot: ['pos'] },
  // max 2 in 2 bits: the wire can carry a 3 that the decoder must refuse.
  join: { team: t.uint({ max: 2 }), password: t.string(64), spectator: t.bool(), level: t.int({ min: -5, max: 5 }) },
});
const bare = defineProtocol({ name: 'bare', components: { pos: { x: t.uint(8) } }, entities: { dot: ['pos'] } });

const frames = new FrameEncoder();
const base = { room: 'abc', name: 'ada', token: '', resumeToken: undefined, protocolHash: game.hash };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectProtocolError(fn: () => unknown, code: ErrorCode): ProtocolError {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(ProtocolError);
  expect((e as ProtocolError).code).toBe(code);
  return e as ProtocolError;
}

/** Writes the options struct field by field with raw wire values, so values past limits fit. */
function rawOptions(team: number, passwordBytes: Uint8Array, spectator: boolean, level: number, extra?: Uint8Array): Uint8Array {
  const w = new BitWriter();
  w.writeBits(team, 2);
  w.writeGamma(passwordBytes.length);
  w.writeBytes(passwordBytes);
  w.writeBool(spectator);
  w.writeBits(level, 4);
  if (extra) w.writeBytes(extra);
  return w.toBytes();
}

const optionsArb: fc.Arbitrary<JoinOptionsOf<typeof game>> = fc.record({
  team: fc.integer({ min: 0, max: 2 }),
  password: fc.string({ unit: 'grapheme', maxLength: 16 }),
  spectator: fc.boolean(),
  level: fc.integer({ min: -5, max: 5 }),
});

describe('HELLO v2', () => {
  it('carries join or create and the options, which decode with the protocol', () => {
    fc.assert(
      fc.property(optionsArb, fc.boolean(), (options, create) => {
        const bytes = encodeJoinOptions(game, options);
        const hello = decodeHello(frames.hello({ ...base, create, options: bytes }));
        expect(hello.create).toBe(create);
        expect(hello.options).toEqual(bytes);
        const back = decodeJoinOptions(game, hello.options);
        // Over-long passwords are cut at a character boundary, like every string field.
        expect(back).toEqual({ ...options, password: game.join.fields.password!.toWire(options.password) });
      }),
      { numRuns: 500 },
    );
  });

  it('defaults to a join with no options; a protocol without options sends zero bytes', () => {
    const hello = decodeHello(frames.hello(base));
    expect(hello.create).toBe(false);
    expect(hello.options).toEqual(new Uint8Array(0));
    expect(encodeJoinOptions(bare, {})).toEqual(new Uint8Array(0));
    expect(decodeJoinOptions(bare, new Uint8Array(0))).toEqual({});
  });

  it('missing option values take their defaults', () => {
    expect(decodeJoinOptions(game, encodeJoinOptions(game, { team: 1 }))).toEqual({ team: 1, password: '', spectator: false, level: 0 });
  });

  it('random option bytes: values in range, or a ProtocolError (never anything else)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        let options: JoinOptionsOf<typeof game>;
        try {
          options = decodeJoinOptions(game, bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          return;
        }
        accepted++;
        expect(options.team).toBeGreaterThanOrEqual(0);
        expect(options.team).toBeLessThanOrEqual(2);
        expect(new TextEncoder().encode(options.password).length).toBeLessThanOrEqual(64);
        expect(options.level).toBeGreaterThanOrEqual(-5);
        expect(options.level).toBeLessThanOrEqual(5);
        // What decodes re-encodes to the same bytes: one form per value.
        expect(encodeJoinOptions(game, options)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('options at and past every field limit', () => {
    const at = rawOptions(2, new Uint8Array(64).fill(0x61), true, 10);
    expect(decodeJoinOptions(game, at)).toEqual({ team: 2, password: 'a'.repeat(64), spectator: true, level: 5 });
    expectProtocolError(() => decodeJoinOptions(game, rawOptions(3, new Uint8Array(0), false, 0)), ErrorCode.VALUE_OUT_OF_RANGE);
    expectProtocolError(() => decodeJoinOptions(game, rawOptions(0, new Uint8Array(65).fill(0x61), false, 0)), ErrorCode.STRING_TOO_LONG);
    expectProtocolError(() => decodeJoinOptions(game, rawOptions(0, new Uint8Array(0), false, 11)), ErrorCode.VALUE_OUT_OF_RANGE);
    expectProtocolError(() => decodeJoinOptions(game, rawOptions(0, Uint8Array.of(0xff, 0xfe), false, 0)), ErrorCode.INVALID_UTF8);
    expectProtocolError(() => decodeJoinOptions(game, rawOptions(0, new Uint8Array(0), false, 0, Uint8Array.of(7))), ErrorCode.TRAILING_DATA);
    expectProtocolError(() => decodeJoinOptions(game, new Uint8Array(0)), ErrorCode.TRUNCATED);
    // A protocol that declares no options takes none.
    expectProtocolError(() => decodeJoinOptions(bare, Uint8Array.of(1)), ErrorCode.TRAILING_DATA);
  });

  it(`options bytes: up to ${LIMITS.joinOptionsBytes} decode, more are COUNT_TOO_LARGE`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LIMITS.joinOptionsBytes + 64 }), (n) => {
        const f = frames.hello({ ...base, options: new Uint8Array(Math.min(n, LIMITS.joinOptionsBytes)) });
        if (n <= LIMITS.joinOptionsBytes) {
          expect(decodeHello(f).options.length).toBe(n);
          return;
        }
        // Hand-made: the encoder refuses to write it.
        const w = new BitWriter();
        w.writeBits(PROTOCOL_VERSION, 8);
        w.writeBits(Kind.HELLO, 8);
        w.writeVarUint(0);
        w.writeGamma(0);
        w.writeGamma(0);
        w.writeGamma(0);
        w.writeBool(false);
        w.writeBits(1, 32);
        w.writeBool(false);
        w.writeGamma(n);
        w.writeBytes(new Uint8Array(n));
        expectProtocolError(() => decodeHello(w.toBytes()), ErrorCode.COUNT_TOO_LARGE);
      }),
      { numRuns: 200 },
    );
    expect(thrown(() => frames.hello({ ...base, options: new Uint8Array(LIMITS.joinOptionsBytes + 1) }))).toBeInstanceOf(TickwireError);
  });

  it('the encoder refuses options that would not fit, naming the fix', () => {
    const big = defineProtocol({ name: 'big', components: { p: { x: t.bool() } }, entities: { e: ['p'] }, join: { bio: t.string(4000) } });
    const e = thrown(() => encodeJoinOptions(big, { bio: 'x'.repeat(2000) }));
    expect(e).toBeInstanceOf(TickwireError);
    expect((e as TickwireError).code).toBe(ErrorCode.COUNT_TOO_LARGE);
    expect((e as TickwireError).message).toMatch(/shorter/);
  });

  it('a HELLO cut anywhere, or with random bytes after its fixed fields, is refused with a ProtocolError', () => {
    const full = frames.hello({ ...base, create: true, options: encodeJoinOptions(game, { team: 1, password: 'secret' }) });
    for (let n = 0; n < full.length; n++) {
      const e = thrown(() => decodeHello(full.subarray(0, n)));
      expect(e).toBeInstanceOf(ProtocolError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (tail) => {
        const f = Uint8Array.from([...full.subarray(0, 12), ...tail]);
        try {
          const h = decodeHello(f);
          expect(h.options.length).toBeLessThanOrEqual(LIMITS.joinOptionsBytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a version-1 HELLO is UNSUPPORTED_VERSION, with a message that says to upgrade', () => {
    // The v1 HELLO of docs/protocol.md's first edition, byte for byte.
    const v1 = Uint8Array.of(0x01, 0x01, 0x00, 0x24, 0x4c, 0x6c, 0x8c, 0x84, 0x91, 0x85, 0x85, 0x67, 0x45, 0x23, 0x01);
    const e = expectProtocolError(() => decodeHello(v1), ErrorCode.UNSUPPORTED_VERSION);
    expect(e.message).toContain('protocol version 1 is not supported');
    expect(e.message).toContain(`protocol ${PROTOCOL_VERSION}`);
    expect(e.message).toContain('upgrade');
  });

  it('the options reader starts at byte 0 of its own buffer', () => {
    // Not a sub-range of the frame: the options are copied out, so the frame buffer may be reused.
    const bytes = encodeJoinOptions(game, { team: 2, password: 'pw' });
    const f = frames.hello({ ...base, options: bytes });
    const hello = decodeHello(f);
    f.fill(0);
    expect(decodeJoinOptions(game, hello.options)).toMatchObject({ team: 2, password: 'pw' });
    expect(new BitReader(hello.options).bitsLeft).toBe(bytes.length * 8);
  });
});
