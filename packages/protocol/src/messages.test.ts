/**
 * MessageCodec / FrameEncoder round trips and hostile-input properties. Byte-exact golden
 * fixtures live in their own file; this one checks that what is encoded decodes back, and that
 * malformed frames are refused with a ProtocolError and nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, GAMMA_MAX } from './bits.js';
import { ErrorCode, ProtocolError, TickwireError } from './errors.js';
import type { ClientMessage, InputEntry } from './messages.js';
import { Kind, LIMITS, MessageCodec, PROTOCOL_VERSION, decodeHello, decodeServer, kindName, peekEnvelope, writeEnvelope } from './messages.js';
import type { EntityTypeInfo } from './schema.js';
import { defineProtocol } from './schema.js';
import type { SnapshotVisitor } from './snapshot.js';
import { SnapshotBodyWriter, readEvents, readSnapshotBody, writeEvents, writeFullFields, writeSnapshotHead } from './snapshot.js';
import { optional, t } from './types.js';

const game = defineProtocol({
  name: 'messages-test',
  components: {
    pos: { x: t.float({ min: 0, max: 100, precision: 0.5, linear: true }), y: t.float({ min: 0, max: 100, precision: 0.5, linear: true }) },
    hp: { hp: t.uint({ max: 100 }) },
    tag: { name: t.string(12) },
  },
  entities: { ship: ['pos', 'hp', 'tag'], rock: ['pos'], marker: [] },
  input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }), aim: t.angle({ bits: 12 }), fire: t.bool() },
  commands: {
    combat: { fire: { angle: t.angle({ bits: 12 }), power: t.uint({ max: 100 }) }, reload: {} },
    social: { say: { text: t.string(32), to: optional(t.ref()) } },
  },
  events: { hit: { target: t.ref(), damage: t.uint(8) }, roundOver: {}, announce: { text: t.string(64) } },
});

const codec = new MessageCodec(game);
const AIM_STEP = (2 * Math.PI) / 4096;
const U32 = 0xffffffff;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

function expectProtocolError(fn: () => unknown, code: ErrorCode): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(ProtocolError);
  expect((e as ProtocolError).code).toBe(code);
}

/** A frame built by hand: envelope, then whatever `body` writes. */
function frame(kind: number, seq: number, body: (w: BitWriter) => void = () => {}, version = PROTOCOL_VERSION): Uint8Array {
  const w = new BitWriter();
  w.writeBits(version, 8);
  w.writeBits(kind, 8);
  w.writeVarUint(seq);
  body(w);
  return w.toBytes();
}

/* Arbitraries for values that survive quantization unchanged, so decoded === encoded. */
const inputArb = fc.record({
  dx: fc.integer({ min: -1, max: 1 }),
  dy: fc.integer({ min: -1, max: 1 }),
  aim: fc.integer({ min: 0, max: 4095 }).map((k) => k * AIM_STEP),
  fire: fc.boolean(),
});
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const u32 = fc.integer({ min: 0, max: U32 });
const seqArb = fc.oneof(fc.nat(1000), fc.integer({ min: 0, max: LIMITS.maxSeq }));
const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
/** PING times: the clock readings a client sends (and the server echoes). */
const clockArb = fc.oneof(fc.double({ min: 0, max: LIMITS.maxClientTimeMs, noNaN: true }), fc.constantFrom(0, -0, LIMITS.maxClientTimeMs));

/** 1..16 consecutive inputs whose times step back from the newest by 0..65535 ms (mod 2^32). */
const inputsArb = fc
  .record({
    inputs: fc.array(inputArb, { minLength: 1, maxLength: LIMITS.inputsPerMessage }),
    lowSeq: fc.oneof(fc.nat(100), fc.integer({ min: 0, max: LIMITS.maxSeq - 20 })),
    newestTime: fc.oneof(u32, fc.integer({ min: 0, max: 100 })),
    ages: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 15, maxLength: 15 }),
  })
  .map(({ inputs, lowSeq, newestTime, ages }) => {
    const entries: InputEntry<Record<string, unknown>>[] = new Array(inputs.length);
    let time = newestTime;
    for (let i = inputs.length - 1; i >= 0; i--) {
      if (i < inputs.length - 1) time = (time - ages[i]!) >>> 0;
      entries[i] = { seq: lowSeq + i, time, input: inputs[i]! };
    }
    return entries;
  });

describe('envelope', () => {
  it('is version, kind, then seq as LEB128', () => {
    const f = codec.ping(300, 1.5);
    expect([...f.subarray(0, 4)]).toEqual([PROTOCOL_VERSION, Kind.PING, 0xac, 0x02]);
    expect(peekEnvelope(f)).toEqual({ version: PROTOCOL_VERSION, kind: Kind.PING, seq: 300 });
  });

  it('peekEnvelope returns undefined for malformed envelopes', () => {
    expect(peekEnvelope(new Uint8Array(0))).toBeUndefined();
    expect(peekEnvelope(Uint8Array.of(PROTOCOL_VERSION, 4))).toBeUndefined();
    expect(peekEnvelope(Uint8Array.of(PROTOCOL_VERSION + 1, 4, 0))).toBeUndefined();
    expect(peekEnvelope(Uint8Array.of(PROTOCOL_VERSION, 4, 0x80, 0x80))).toBeUndefined();
  });

  it('peekEnvelope reads the envelope of a command whose payload is broken', () => {
    const f = frame(Kind.COMMAND, 77, (w) => (w.writeGamma(99), w.writeGamma(0)));
    expect(peekEnvelope(f)).toEqual({ version: PROTOCOL_VERSION, kind: Kind.COMMAND, seq: 77 });
    expectProtocolError(() => codec.decodeClient(f), ErrorCode.UNKNOWN_COMMAND);
  });

  it('names kinds', () => {
    expect(kindName(Kind.WELCOME)).toBe('WELCOME');
    expect(kindName(Kind.HELLO)).toBe('HELLO');
    expect(kindName(0x99)).toBe('0x99');
  });
});

describe('client messages round-trip through decodeClient', () => {
  const token16 = Uint8Array.from({ length: 16 }, (_, i) => i * 7);

  it('hello without a resume token', () => {
    const body = { room: 'ABCD', name: 'zoë', token: 'secret.jwt', resumeToken: undefined, protocolHash: game.hash, create: false, options: new Uint8Array(0) };
    const f = codec.hello(body);
    expect(codec.decodeClient(f)).toEqual({ kind: 'hello', seq: 0, ...body });
    expect(decodeHello(f)).toEqual({ seq: 0, ...body });
  });

  it('hello with a resume token', () => {
    const body = { room: '', name: '', token: '', resumeToken: token16, protocolHash: 0xffffffff, create: true, options: Uint8Array.of(1, 2, 3) };
    const msg = codec.decodeClient(codec.hello(body));
    expect(msg).toEqual({ kind: 'hello', seq: 0, ...body });
    expect(decodeHello(codec.hello(body)).resumeToken).toEqual(token16);
  });

  it('hello truncates an over-long name at a character boundary', () => {
    const msg = decodeHello(codec.hello({ room: 'r', name: 'é'.repeat(20), token: '', resumeToken: undefined, protocolHash: 1 }));
    expect(msg.name).toBe('é'.repeat(16)); // 32 bytes
  });

  it('property: hello', () => {
    fc.assert(
      fc.property(text(16), text(8), text(64), fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }), u32, (room, name, token, resumeToken, protocolHash) => {
        const body = { room, name, token, resumeToken, protocolHash, create: false, options: new Uint8Array(0) };
        expect(codec.decodeClient(codec.hello(body))).toEqual({ kind: 'hello', seq: 0, ...body });
        expect(decodeHello(codec.hello(body))).toEqual({ seq: 0, ...body });
      }),
      { numRuns: 300 },
    );
  });

  it('input: one input', () => {
    const input = { dx: -1, dy: 1, aim: 100 * AIM_STEP, fire: true };
    const msg = codec.decodeClient(codec.input(7, [{ seq: 0, time: 1234, input }]));
    expect(msg).toEqual({ kind: 'input', seq: 0, ackTick: 7, inputs: [{ seq: 0, time: 1234, input }] });
  });

  it('input: times are reconstructed across the 32-bit wrap', () => {
    const input = { dx: 0, dy: 0, aim: 0, fire: false };
    const inputs = [
      { seq: 40, time: U32 - 10, input },
      { seq: 41, time: U32, input },
      { seq: 42, time: 5, input }, // 2^32 + 5, wrapped
    ];
    const msg = codec.decodeClient(codec.input(3, inputs));
    expect(msg).toEqual({ kind: 'input', seq: 42, ackTick: 3, inputs });
  });

  it('input: times are taken mod 2^32', () => {
    const input = { dx: 0, dy: 0, aim: 0, fire: false };
    const msg = codec.decodeClient(codec.input(0, [{ seq: 1, time: 2 ** 32 + 9, input }]));
    expect(msg.kind === 'input' && msg.inputs[0]!.time).toBe(9);
  });

  it('input: gaps over 65535 ms between inputs are clamped', () => {
    // Older inputs are redundant copies; their exact time matters less than the frame size.
    const input = { dx: 0, dy: 0, aim: 0, fire: false };
    const msg = codec.decodeClient(
      codec.input(0, [
        { seq: 1, time: 0, input },
        { seq: 2, time: 100_000, input },
      ]),
    );
    expect(msg.kind === 'input' && msg.inputs.map((e) => e.time)).toEqual([100_000 - 0xffff, 100_000]);
  });

  it('property: input with 1..16 inputs', () => {
    fc.assert(
      fc.property(inputsArb, fc.oneof(fc.nat(10), fc.integer({ min: 0, max: GAMMA_MAX })), (inputs, ackTick) => {
        const msg = codec.decodeClient(codec.input(ackTick, inputs));
        expect(msg).toEqual({ kind: 'input', seq: inputs[inputs.length - 1]!.seq, ackTick, inputs });
      }),
      { numRuns: 500 },
    );
  });

  it('property: inputs at or below inputsAfter are checked but left out', () => {
    fc.assert(
      fc.property(inputsArb, fc.nat(40), (inputs, below) => {
        const frame = codec.input(0, inputs);
        const after = Math.max(0, inputs[0]!.seq - 1 + below - 20);
        const msg = codec.decodeClient(frame, after);
        expect(msg).toEqual({ kind: 'input', seq: inputs[inputs.length - 1]!.seq, ackTick: 0, inputs: inputs.filter((e) => e.seq > after) });
        // A skipped entry is still read: the frame cut short fails the same whatever is skipped.
        const cut = frame.subarray(0, frame.length - 1);
        let whole: unknown;
        try {
          codec.decodeClient(cut);
        } catch (err) {
          whole = err;
        }
        if (whole) expect(() => codec.decodeClient(cut, after)).toThrow(ProtocolError);
      }),
      { numRuns: 300 },
    );
  });

  it('input: refuses to encode 0 or 17 inputs, or non-consecutive seqs', () => {
    const e = (seq: number) => ({ seq, time: 0, input: {} });
    expect(() => codec.input(0, [])).toThrow(RangeError);
    expect(() => codec.input(0, Array.from({ length: 17 }, (_, i) => e(i)))).toThrow(RangeError);
    expect(() => codec.input(0, [e(1), e(3)])).toThrow(RangeError);
  });

  it('command', () => {
    const f = codec.command(12, 'combat', 'fire', 5, 0xfffffff0, { angle: 8 * AIM_STEP, power: 64 });
    expect(codec.decodeClient(f)).toEqual({
      kind: 'command',
      seq: 12,
      command: game.command('combat', 'fire'),
      entity: 5,
      time: 0xfffffff0,
      payload: { angle: 8 * AIM_STEP, power: 64 },
    });
    const g = codec.decodeClient(codec.command(0, 'combat', 'reload', 0, 0, {}));
    expect(g.kind === 'command' && g.command).toBe(game.command('combat', 'reload'));
  });

  it('property: command', () => {
    fc.assert(
      fc.property(seqArb, fc.integer({ min: 0, max: GAMMA_MAX }), u32, text(8), fc.option(fc.nat(), { nil: undefined }), (seq, entity, time, txt, to) => {
        const msg = codec.decodeClient(codec.command(seq, 'social', 'say', entity, time, { text: txt, to }));
        expect(msg).toEqual({ kind: 'command', seq, command: game.command('social', 'say'), entity, time, payload: { text: txt, to } });
      }),
      { numRuns: 300 },
    );
  });

  it('command: refuses to encode an undeclared command', () => {
    const e = thrown(() => codec.command(1, 'combat', 'dance', 0, 0, {}));
    expect(e).toBeInstanceOf(TickwireError);
    expect((e as TickwireError).code).toBe(ErrorCode.UNKNOWN_COMMAND);
  });

  it('ping, chat, ack, leave', () => {
    expect(codec.decodeClient(codec.ping(9, 1234.5678))).toEqual({ kind: 'ping', seq: 9, clientTime: 1234.5678 });
    expect(codec.decodeClient(codec.ping(LIMITS.maxSeq, -0))).toEqual({ kind: 'ping', seq: LIMITS.maxSeq, clientTime: -0 });
    expect(codec.decodeClient(codec.chat('héllo 👋 世界'))).toEqual({ kind: 'chat', seq: 0, text: 'héllo 👋 世界' });
    expect(codec.decodeClient(codec.ack(0))).toEqual({ kind: 'ack', seq: 0, tick: 0 });
    expect(codec.decodeClient(codec.ack(GAMMA_MAX))).toEqual({ kind: 'ack', seq: 0, tick: GAMMA_MAX });
    expect(codec.decodeClient(codec.leave())).toEqual({ kind: 'leave', seq: 0 });
    expect(codec.leave()).toHaveLength(3); // envelope only
  });

  it('property: ping and chat', () => {
    fc.assert(
      fc.property(seqArb, clockArb, text(60), (seq, clientTime, txt) => {
        expect(codec.decodeClient(codec.ping(seq, clientTime))).toEqual({ kind: 'ping', seq, clientTime });
        expect(codec.decodeClient(codec.chat(txt))).toEqual({ kind: 'chat', seq: 0, text: txt });
      }),
      { numRuns: 300 },
    );
  });
});

describe('server messages round-trip through decodeServer', () => {
  const resumeToken = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);

  it('welcome', () => {
    const body = {
      room: 'ABCD',
      clientId: 17,
      entity: 4,
      tickRate: 30,
      snapshotRate: 15,
      tick: 123456,
      tickEpoch: 1_700_000_000_000.25,
      serverTime: 98765.4321,
      resumeToken,
      metadata: JSON.stringify({ map: 'dust', players: ['a', 'b'] }),
      resumed: true,
    };
    expect(decodeServer(codec.welcome(body), game)).toEqual({ kind: 'welcome', seq: 0, ...body });
  });

  it('commandResult, pong, chatMessage, error', () => {
    const cr = { ok: false, code: ErrorCode.COMMAND_REJECTED, message: 'out of ammo ⚠' };
    expect(decodeServer(codec.commandResult(44, cr), game)).toEqual({ kind: 'commandResult', seq: 44, ...cr });
    expect(decodeServer(codec.commandResult(1, { ok: true, code: 0, message: '' }), game)).toEqual({ kind: 'commandResult', seq: 1, ok: true, code: 0, message: '' });
    const pong = { clientTime: 1.25, serverTime: 1e12 + 0.5 };
    expect(decodeServer(codec.pong(8, pong), game)).toEqual({ kind: 'pong', seq: 8, ...pong });
    const chat = { from: 3, name: 'zoë', text: 'gg 🎉' };
    expect(decodeServer(codec.chatMessage(chat), game)).toEqual({ kind: 'chatMessage', seq: 0, ...chat });
    const err = { code: ErrorCode.ROOM_FULL, fatal: true, message: 'room ABCD is full' };
    expect(decodeServer(codec.error(5, err), game)).toEqual({ kind: 'error', seq: 5, ...err });
  });

  it('event', () => {
    expect(decodeServer(codec.event(99, 'hit', { target: 7, damage: 200 }), game)).toEqual({
      kind: 'event',
      seq: 99,
      name: 'hit',
      payload: { target: 7, damage: 200 },
    });
    expect(decodeServer(codec.event(1, 'roundOver', {}), game)).toEqual({ kind: 'event', seq: 1, name: 'roundOver', payload: {} });
    const e = thrown(() => codec.event(1, 'nope', {}));
    expect(e).toBeInstanceOf(TickwireError);
  });

  it('property: welcome, pong, chatMessage', () => {
    fc.assert(
      fc.property(
        fc.record({
          room: text(16),
          clientId: fc.integer({ min: 0, max: GAMMA_MAX }),
          entity: fc.integer({ min: 0, max: GAMMA_MAX }),
          tickRate: fc.integer({ min: 0, max: 255 }),
          snapshotRate: fc.integer({ min: 0, max: 255 }),
          tick: fc.integer({ min: 0, max: GAMMA_MAX }),
          tickEpoch: finiteDouble,
          serverTime: finiteDouble,
          resumeToken: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          metadata: text(100),
          resumed: fc.boolean(),
        }),
        seqArb,
        text(8),
        clockArb,
        (welcome, seq, name, clientTime) => {
          expect(decodeServer(codec.welcome(welcome), game)).toEqual({ kind: 'welcome', seq: 0, ...welcome });
          const pong = { clientTime, serverTime: welcome.serverTime };
          expect(decodeServer(codec.pong(seq, pong), game)).toEqual({ kind: 'pong', seq, ...pong });
          const chat = { from: welcome.clientId, name, text: welcome.metadata.slice(0, 60) };
          expect(decodeServer(codec.chatMessage(chat), game)).toEqual({ kind: 'chatMessage', seq: 0, ...chat });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('snapshot: returns the reader positioned at the body', () => {
    const w = new BitWriter();
    writeSnapshotHead(w, game.entityTypeBits, 500, 1234);
    const headBits = w.bitLength;
    const body = new SnapshotBodyWriter(w, game.entityTypeBits);
    const rock = game.entityType('rock');
    body.begin(500, 0, [], 1);
    body.recordHeader(3, true);
    writeFullFields(w, game.entityTypeBits, rock, [10, 20], [16, -16], [500, 490], 500);
    writeEvents(w, [{ info: game.event('hit')!, payload: { target: 3, damage: 1 } }]);
    const msg = decodeServer(w.toBytes(), game);
    if (msg.kind !== 'snapshot') throw new Error(`expected a snapshot, got ${msg.kind}`);
    expect({ seq: msg.seq, tick: msg.tick, ackInput: msg.ackInput }).toEqual({ seq: 500, tick: 500, ackInput: 1234 });
    expect(msg.reader.bitPosition).toBe(headBits);
    const created: [number, string, unknown[]][] = [];
    const visitor: SnapshotVisitor = {
      typeOf: () => undefined,
      begin: () => {},
      remove: () => {},
      create: (id, type, wire) => created.push([id, type.name, wire.slice(0, type.fields.length)]),
      update: () => {},
    };
    expect(readSnapshotBody(msg.reader, game, msg.tick, visitor)).toBe(0);
    expect(created).toEqual([[3, 'rock', [10, 20]]]);
    expect(readEvents(msg.reader, game)).toEqual([{ name: 'hit', payload: { target: 3, damage: 1 } }]);
    msg.reader.expectEnd();
  });
});

describe('malformed frames', () => {
  const decoders: [string, (f: Uint8Array) => unknown][] = [
    ['decodeClient', (f) => codec.decodeClient(f)],
    ['decodeServer', (f) => decodeServer(f, game)],
    ['decodeHello', (f) => decodeHello(f)],
  ];

  for (const [name, decode] of decoders) {
    it(`${name}: frames under 3 bytes are TRUNCATED`, () => {
      for (const f of [[], [1], [1, Kind.PING]]) expectProtocolError(() => decode(Uint8Array.from(f)), ErrorCode.TRUNCATED);
    });

    it(`${name}: another protocol version is UNSUPPORTED_VERSION`, () => {
      for (const v of [0, 1, 3, 255]) {
        const e = thrown(() => decode(frame(Kind.HELLO, 0, () => {}, v)));
        expect(e).toBeInstanceOf(ProtocolError);
        expect((e as ProtocolError).code).toBe(ErrorCode.UNSUPPORTED_VERSION);
        expect((e as ProtocolError).message).toContain(`protocol version ${v}`);
      }
    });
  }

  it('decodeClient: server kinds and unassigned kinds are UNKNOWN_KIND', () => {
    for (const k of [0x00, 0x08, 0x3f, Kind.WELCOME, Kind.SNAPSHOT, 0xff]) {
      expectProtocolError(() => codec.decodeClient(frame(k, 0)), ErrorCode.UNKNOWN_KIND);
    }
  });

  it('decodeServer: client kinds and unassigned kinds are UNKNOWN_KIND', () => {
    for (const k of [0x00, Kind.HELLO, Kind.LEAVE, 0x40, 0x48, 0xff]) {
      expectProtocolError(() => decodeServer(frame(k, 0), game), ErrorCode.UNKNOWN_KIND);
    }
  });

  it('decodeHello: every other kind is NOT_JOINED', () => {
    expectProtocolError(() => decodeHello(codec.ping(1, 0)), ErrorCode.NOT_JOINED);
    expectProtocolError(() => decodeHello(codec.leave()), ErrorCode.NOT_JOINED);
    expectProtocolError(() => decodeHello(frame(0xee, 0)), ErrorCode.NOT_JOINED);
  });

  it('input: more than 16 inputs is COUNT_TOO_LARGE', () => {
    const f = frame(Kind.INPUT, 100, (w) => {
      w.writeGamma(0);
      w.writeGamma(LIMITS.inputsPerMessage); // count - 1 = 16
      w.writeBits(0, 32);
    });
    expectProtocolError(() => codec.decodeClient(f), ErrorCode.COUNT_TOO_LARGE);
    // A huge count is refused before anything is allocated for it.
    const g = frame(Kind.INPUT, 100, (w) => (w.writeGamma(0), w.writeGamma(GAMMA_MAX)));
    expectProtocolError(() => codec.decodeClient(g), ErrorCode.COUNT_TOO_LARGE);
  });

  it('input: seqs that would go below zero are refused', () => {
    const f = frame(Kind.INPUT, 2, (w) => {
      w.writeGamma(0);
      w.writeGamma(3); // 4 inputs ending at seq 2
    });
    expectProtocolError(() => codec.decodeClient(f), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('command: an undeclared command index is UNKNOWN_COMMAND', () => {
    const f = frame(Kind.COMMAND, 3, (w) => (w.writeGamma(0), w.writeGamma(2)));
    expectProtocolError(() => codec.decodeClient(f), ErrorCode.UNKNOWN_COMMAND);
  });

  it('event: an undeclared event index is refused', () => {
    const f = frame(Kind.EVENT, 3, (w) => w.writeGamma(3));
    expectProtocolError(() => decodeServer(f, game), ErrorCode.VALUE_OUT_OF_RANGE);
  });

  it('out-of-range payload values are refused', () => {
    // commandResult with an invalid UTF-8 message, ping with a NaN time.
    const badText = frame(Kind.COMMAND_RESULT, 1, (w) => {
      w.writeBool(true);
      w.writeBits(0, 16);
      w.writeGamma(1);
      w.writeBits(0xff, 8);
    });
    expectProtocolError(() => decodeServer(badText, game), ErrorCode.INVALID_UTF8);
    expectProtocolError(() => codec.decodeClient(frame(Kind.PING, 1, (w) => w.writeFloat64(Number.NaN))), ErrorCode.VALUE_OUT_OF_RANGE);
    const longChat = frame(Kind.CHAT, 0, (w) => w.writeString('x'.repeat(LIMITS.chatBytes + 1)));
    expectProtocolError(() => codec.decodeClient(longChat), ErrorCode.STRING_TOO_LONG);
  });

  it('trailing bytes and non-zero padding are TRAILING_DATA; a short payload is TRUNCATED', () => {
    const ping = codec.ping(1, 2.5);
    expectProtocolError(() => codec.decodeClient(Uint8Array.from([...ping, 0])), ErrorCode.TRAILING_DATA);
    expectProtocolError(() => codec.decodeClient(Uint8Array.from([...codec.leave(), 0])), ErrorCode.TRAILING_DATA);
    expectProtocolError(() => codec.decodeClient(ping.subarray(0, ping.length - 1)), ErrorCode.TRUNCATED);
    // ack(0) is the envelope plus one bit ('1') and seven bits of padding.
    const ack = codec.ack(0);
    expect(ack).toHaveLength(4);
    expectProtocolError(() => codec.decodeClient(Uint8Array.from([...ack.subarray(0, 3), ack[3]! | 0x80])), ErrorCode.TRAILING_DATA);
    const hello = codec.hello({ room: 'r', name: 'n', token: '', resumeToken: undefined, protocolHash: 1 });
    expectProtocolError(() => decodeHello(Uint8Array.from([...hello, 0])), ErrorCode.TRAILING_DATA);
    const err = codec.error(1, { code: 1, fatal: false, message: 'm' });
    expectProtocolError(() => decodeServer(Uint8Array.from([...err, 1]), game), ErrorCode.TRAILING_DATA);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Hostile input: decoders return or throw a ProtocolError, never anything else.             */
/* ------------------------------------------------------------------------------------------ */

/** Runs a decoder; any throw other than a ProtocolError fails the property with its details. */
function onlyProtocolErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (!(e instanceof ProtocolError)) {
      throw new Error(`decoder threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a ProtocolError`, { cause: e });
    }
  }
}

/** A client's view for snapshot decoding: knows some ids so update records are exercised too. */
function fuzzVisitor(): SnapshotVisitor {
  const held = new Map<number, EntityTypeInfo>();
  return {
    typeOf: (id) => held.get(id) ?? (id % 3 === 0 ? game.entityTypes[id % game.entityTypes.length] : undefined),
    begin: (full) => {
      if (full) held.clear();
    },
    remove: (id) => void held.delete(id),
    create: (id, type) => void held.set(id, type),
    update: () => {},
  };
}

/** Everything a client does with a server frame: decode, and for a snapshot the body and events. */
function clientReceives(f: Uint8Array): void {
  const msg = decodeServer(f, game);
  if (msg.kind === 'snapshot') {
    readSnapshotBody(msg.reader, game, msg.tick, fuzzVisitor());
    readEvents(msg.reader, game);
    msg.reader.expectEnd();
  }
}

function decodeAll(f: Uint8Array): void {
  onlyProtocolErrors(() => codec.decodeClient(f));
  onlyProtocolErrors(() => decodeHello(f));
  onlyProtocolErrors(() => clientReceives(f));
}

const clientFrameArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(text(8), text(8), text(20), fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }), u32)
    .map(([room, name, token, resumeToken, protocolHash]) => codec.hello({ room, name, token, resumeToken, protocolHash })),
  fc.tuple(inputsArb, fc.nat(1000)).map(([inputs, ack]) => codec.input(ack, inputs)),
  fc.tuple(seqArb, fc.nat(100), u32, fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 100 })).map(([seq, entity, time, k, power]) =>
    codec.command(seq, 'combat', 'fire', entity, time, { angle: k * AIM_STEP, power }),
  ),
  fc.tuple(seqArb, text(8), fc.option(fc.nat(), { nil: undefined })).map(([seq, txt, to]) => codec.command(seq, 'social', 'say', 1, 0, { text: txt, to })),
  fc.tuple(seqArb, clockArb).map(([seq, time]) => codec.ping(seq, time)),
  text(20).map((s) => codec.chat(s)),
  fc.nat().map((tick) => codec.ack(tick)),
  fc.constant(null).map(() => codec.leave()),
);

const snapshotFrameArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    tick: fc.integer({ min: 1, max: 1_000_000 }),
    ackInput: fc.nat(),
    baselineGap: fc.nat(20),
    removedGaps: fc.array(fc.nat(50), { maxLength: 4 }),
    ships: fc.array(
      fc.record({ gap: fc.nat(20), x: fc.nat(200), y: fc.nat(200), rate: fc.integer({ min: -500, max: 500 }), age: fc.nat(30), hp: fc.nat(100), name: text(4) }),
      { maxLength: 4 },
    ),
    events: fc.array(fc.oneof(fc.record({ target: fc.nat(), damage: fc.nat(255) }), fc.constant(null)), { maxLength: 3 }),
  })
  .map(({ tick, ackInput, baselineGap, removedGaps, ships, events }) => {
    const w = new BitWriter();
    writeSnapshotHead(w, game.entityTypeBits, tick, ackInput);
    const body = new SnapshotBodyWriter(w, game.entityTypeBits);
    let id = 0;
    const removed = removedGaps.map((g) => (id += g + 1));
    body.begin(tick, baselineGap === 0 ? 0 : Math.max(0, tick - baselineGap), removed, ships.length);
    const ship = game.entityType('ship');
    id = 0;
    for (const s of ships) {
      body.recordHeader((id += s.gap + 1), true);
      const keyTick = Math.max(0, tick - s.age);
      writeFullFields(w, game.entityTypeBits, ship, [s.x, s.y, s.hp, ship.fields[3]!.type.toWire(s.name)], [s.rate, -s.rate, 0, 0], [keyTick, keyTick, tick, tick], tick);
    }
    writeEvents(
      w,
      events.map((e) => (e ? { info: game.event('hit')!, payload: e } : { info: game.event('roundOver')!, payload: {} })),
    );
    return w.toBytes();
  });

const serverFrameArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      room: text(8),
      clientId: fc.nat(),
      entity: fc.nat(),
      tickRate: fc.nat(255),
      snapshotRate: fc.nat(255),
      tick: fc.nat(),
      tickEpoch: finiteDouble,
      serverTime: finiteDouble,
      resumeToken: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      metadata: text(30),
      resumed: fc.boolean(),
    })
    .map((b) => codec.welcome(b)),
  fc.tuple(seqArb, fc.boolean(), fc.nat(0xffff), text(20)).map(([seq, ok, code, message]) => codec.commandResult(seq, { ok, code, message })),
  fc.tuple(seqArb, clockArb, finiteDouble).map(([seq, clientTime, serverTime]) => codec.pong(seq, { clientTime, serverTime })),
  fc.tuple(seqArb, fc.nat(), fc.nat(255)).map(([seq, target, damage]) => codec.event(seq, 'hit', { target, damage })),
  fc.tuple(seqArb, text(40)).map(([seq, s]) => codec.event(seq, 'announce', { text: s })),
  fc.tuple(fc.nat(), text(8), text(20)).map(([from, name, s]) => codec.chatMessage({ from, name, text: s })),
  fc.tuple(seqArb, fc.nat(0xffff), fc.boolean(), text(20)).map(([seq, code, fatal, message]) => codec.error(seq, { code, fatal, message })),
  snapshotFrameArb,
);

type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'truncate'; at: number }
  | { k: 'append'; bytes: Uint8Array }
  | { k: 'insert'; at: number; v: number }
  | { k: 'delete'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.oneof(fc.nat(255), fc.constantFrom(0, 0x80, 0xff)) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), v: fc.nat(255) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat() }),
);

function mutate(original: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = [...original];
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : ('at' in m ? m.at : 0) % b.length;
    switch (m.k) {
      case 'flip':
        if (b.length) b[at] = b[at]! ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length) b[at] = m.v;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'append':
        b.push(...m.bytes);
        break;
      case 'insert':
        b.splice(at, 0, m.v);
        break;
      case 'delete':
        b.splice(at, 1);
        break;
    }
  }
  return Uint8Array.from(b);
}

describe('hostile input: decoders throw only ProtocolError', () => {
  it('completely random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => decodeAll(bytes)),
      { numRuns: 10_000 },
    );
  });

  it('random bytes behind a valid envelope of every kind', () => {
    // Random bytes mostly fail the version check; this drives them into every payload decoder.
    const kinds = [...Object.values(Kind), 0x00, 0x40, 0xff];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), seqArb, fc.uint8Array({ maxLength: 48 }), (kind, seq, payload) => {
        decodeAll(frame(kind, seq, (w) => w.writeBytes(payload)));
      }),
      { numRuns: 10_000 },
    );
  });

  it('valid client frames, mutated, truncated or extended', () => {
    fc.assert(
      fc.property(clientFrameArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (f, muts) => {
        // The unmutated frame must decode.
        codec.decodeClient(f);
        decodeAll(mutate(f, muts));
      }),
      { numRuns: 10_000 },
    );
  });

  it('valid server frames (snapshots included), mutated, truncated or extended', () => {
    fc.assert(
      fc.property(serverFrameArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (f, muts) => {
        clientReceives(f);
        decodeAll(mutate(f, muts));
      }),
      { numRuns: 10_000 },
    );
  });

  it('every truncation of valid frames', () => {
    fc.assert(
      fc.property(fc.oneof(clientFrameArb, serverFrameArb), (f) => {
        for (let n = 0; n < f.length; n++) decodeAll(f.subarray(0, n));
      }),
      { numRuns: 500 },
    );
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Limits: a decoder accepts only what the other side can be sent back.                       */
/* ------------------------------------------------------------------------------------------ */

/** LEB128 of any non-negative integer, without the encoder's range check: values past the limits. */
function rawVarUint(w: BitWriter, v: bigint): void {
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    w.writeBits(v > 0n ? low | 0x80 : low, 8);
  } while (v > 0n);
}

/** Writes the low `n` bits of a non-negative integer below 2^53, 32 at a time. */
function wideBits(w: BitWriter, v: number, n: number): void {
  for (let left = n; left > 0; ) {
    const k = Math.min(32, left);
    w.writeBits(v % 2 ** k, k);
    v = Math.floor(v / 2 ** k);
    left -= k;
  }
}

/** Gamma code of any integer in 0..2^53-2, without the encoder's 32-bit range check. */
function rawGamma(w: BitWriter, v: number): void {
  const n = v + 1;
  let len = 0;
  for (let x = n; x >= 1; x = Math.floor(x / 2)) len++;
  wideBits(w, 0, len - 1);
  w.writeBits(1, 1);
  wideBits(w, n - 2 ** (len - 1), len - 1);
}

/** A codec-built frame (seq 0, so a one-byte seq) with its envelope seq replaced by `seq`. */
function withSeq(f: Uint8Array, seq: bigint): Uint8Array {
  const w = new BitWriter();
  w.writeBits(f[0]!, 8);
  w.writeBits(f[1]!, 8);
  rawVarUint(w, seq);
  w.writeBytes(f.subarray(3));
  return w.toBytes();
}

const MAX_SEQ = BigInt(LIMITS.maxSeq);
/** Seqs on both sides of the limit, up to what an 8-byte LEB128 holds and past it. */
const anySeqArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.bigInt({ min: MAX_SEQ - 3n, max: MAX_SEQ + 3n }),
  fc.constantFrom(2n ** 32n, 2n ** 52n - 1n, 2n ** 52n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 56n),
  fc.bigInt({ min: 0n, max: 2n ** 60n }),
);
/** Gamma-coded values on both sides of 2^32 - 2. */
const anyGammaArb = fc.oneof(
  fc.nat(100),
  fc.integer({ min: GAMMA_MAX - 3, max: GAMMA_MAX + 3 }),
  fc.constantFrom(2 ** 40, 2 ** 52),
  fc.integer({ min: 0, max: GAMMA_MAX }),
);
/** Every kind of double, the clock range's edges and NaN/infinities included. */
const anyDoubleArb = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, -1, Number.MIN_VALUE, -Number.MIN_VALUE, LIMITS.maxClientTimeMs, LIMITS.maxClientTimeMs + 2, Number.MAX_VALUE, Infinity, -Infinity, Number.NaN),
);

describe('limits: every decoded value can be encoded again', () => {
  it('rawGamma writes what writeGamma writes, where both can', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: GAMMA_MAX }), (v) => {
        const a = new BitWriter();
        const b = new BitWriter();
        a.writeGamma(v);
        rawGamma(b, v);
        expect([b.bitLength, ...b.toBytes()]).toEqual([a.bitLength, ...a.toBytes()]);
      }),
    );
  });

  const clientFrames: [string, Uint8Array][] = [
    ['hello', codec.hello({ room: 'r', name: 'n', token: '', resumeToken: undefined, protocolHash: 1 })],
    ['input', codec.input(3, [{ seq: 0, time: 9, input: { dx: 1, dy: 0, aim: 0, fire: true } }])],
    ['command', codec.command(0, 'combat', 'reload', 0, 0, {})],
    ['ping', codec.ping(0, 1.5)],
    ['chat', codec.chat('hi')],
    ['ack', codec.ack(7)],
    ['leave', codec.leave()],
  ];
  const serverFrames: [string, Uint8Array][] = [
    ['commandResult', codec.commandResult(0, { ok: true, code: 0, message: '' })],
    ['pong', codec.pong(0, { clientTime: 1, serverTime: 2 })],
    ['event', codec.event(0, 'roundOver', {})],
    ['error', codec.error(0, { code: 1, fatal: false, message: '' })],
  ];

  it(`envelope seq: 0..${LIMITS.maxSeq} round-trips in every kind, anything above is VALUE_OUT_OF_RANGE`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...clientFrames, ...serverFrames), anySeqArb, ([name, f], seq) => {
        const g = withSeq(f, seq);
        const decode = () => (clientFrames.some(([n]) => n === name) ? codec.decodeClient(g) : decodeServer(g, game));
        if (seq <= MAX_SEQ) {
          const msg = decode();
          // INPUT's seq is its newest input's: seq 0 with one input is the only one that fits every seq.
          expect(msg.seq).toBe(Number(seq));
          expect(peekEnvelope(g)?.seq).toBe(Number(seq));
        } else {
          expectProtocolError(decode, ErrorCode.VALUE_OUT_OF_RANGE);
          expect(peekEnvelope(g)).toBeUndefined();
          if (name === 'hello') expectProtocolError(() => decodeHello(g), ErrorCode.VALUE_OUT_OF_RANGE);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('encoders refuse a seq above the limit instead of writing a frame the other side refuses', () => {
    const over = LIMITS.maxSeq + 1;
    expect(() => codec.ping(over, 0)).toThrow(RangeError);
    expect(() => codec.commandResult(over, { ok: true, code: 0, message: '' })).toThrow(RangeError);
    expect(() => codec.command(over, 'combat', 'reload', 0, 0, {})).toThrow(RangeError);
    expect(() => codec.input(0, [{ seq: over, time: 0, input: {} }])).toThrow(RangeError);
    expect(() => writeSnapshotHead(new BitWriter(), game.entityTypeBits, over, 0)).toThrow(RangeError);
    expect(() => writeSnapshotHead(new BitWriter(), game.entityTypeBits, 1, over)).toThrow(RangeError);
    expect(codec.decodeClient(codec.ping(LIMITS.maxSeq, 0)).seq).toBe(LIMITS.maxSeq);
  });

  it(`snapshot ackInput: 0..${LIMITS.maxSeq} round-trips, anything above is VALUE_OUT_OF_RANGE`, () => {
    fc.assert(
      fc.property(anySeqArb, fc.boolean(), (ackInput, own) => {
        const w = new BitWriter();
        w.writeBits(PROTOCOL_VERSION, 8);
        w.writeBits(Kind.SNAPSHOT, 8);
        w.writeVarUint(1);
        rawVarUint(w, ackInput * 2n + (own ? 1n : 0n));
        if (own) {
          w.writeGamma(0);
          w.writeGamma(1);
          w.writeBits(game.entityType('marker').index, game.entityTypeBits);
          w.align();
        }
        const f = w.toBytes();
        if (ackInput <= MAX_SEQ) {
          const msg = decodeServer(f, game);
          expect(msg.kind === 'snapshot' && [msg.ackInput, msg.own.length]).toEqual([Number(ackInput), own ? 1 : 0]);
          // ...and the server could have written it.
          writeSnapshotHead(new BitWriter(), game.entityTypeBits, 1, Number(ackInput));
        } else {
          expectProtocolError(() => decodeServer(f, game), ErrorCode.VALUE_OUT_OF_RANGE);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('INPUT ages: 0..65535 ms round-trip, anything above is VALUE_OUT_OF_RANGE', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(LIMITS.maxInputAgeMs), fc.integer({ min: LIMITS.maxInputAgeMs - 2, max: LIMITS.maxInputAgeMs + 2 }), anyGammaArb), u32, (age, time) => {
        const input = { dx: 0, dy: 0, aim: 0, fire: false };
        const f = frame(Kind.INPUT, 6, (w) => {
          w.writeGamma(0);
          w.writeGamma(1);
          w.writeBits(time, 32);
          game.input.write(w, input);
          rawGamma(w, age);
          game.input.write(w, input);
        });
        if (age <= LIMITS.maxInputAgeMs) {
          const msg = codec.decodeClient(f);
          expect(msg.kind === 'input' && msg.inputs.map((e) => [e.seq, e.time])).toEqual([
            [5, (time - age) >>> 0],
            [6, time],
          ]);
        } else {
          expectProtocolError(() => codec.decodeClient(f), ErrorCode.VALUE_OUT_OF_RANGE);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it(`PING and PONG clientTime: finite 0..${LIMITS.maxClientTimeMs} round-trips, anything else is VALUE_OUT_OF_RANGE on both sides`, () => {
    fc.assert(
      fc.property(anyDoubleArb, (clientTime) => {
        const ok = clientTime >= 0 && clientTime <= LIMITS.maxClientTimeMs;
        const ping = frame(Kind.PING, 1, (w) => w.writeFloat64(clientTime));
        const pong = frame(Kind.PONG, 1, (w) => (w.writeFloat64(clientTime), w.writeFloat64(5)));
        if (ok) {
          expect(codec.decodeClient(ping)).toEqual({ kind: 'ping', seq: 1, clientTime });
          expect(codec.decodeClient(codec.ping(1, clientTime))).toEqual({ kind: 'ping', seq: 1, clientTime });
          expect(decodeServer(pong, game)).toEqual({ kind: 'pong', seq: 1, clientTime, serverTime: 5 });
        } else {
          expectProtocolError(() => codec.decodeClient(ping), ErrorCode.VALUE_OUT_OF_RANGE);
          expectProtocolError(() => decodeServer(pong, game), ErrorCode.VALUE_OUT_OF_RANGE);
          const e = thrown(() => codec.ping(1, clientTime));
          expect(e).toBeInstanceOf(TickwireError);
          expect((e as TickwireError).code).toBe(ErrorCode.VALUE_OUT_OF_RANGE);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('ACK tick, INPUT ackTick and COMMAND entity: 0..2^32-2 round-trip, anything above is VALUE_OUT_OF_RANGE', () => {
    fc.assert(
      fc.property(anyGammaArb, (v) => {
        const ack = frame(Kind.ACK, 0, (w) => rawGamma(w, v));
        const input = frame(Kind.INPUT, 1, (w) => {
          rawGamma(w, v);
          w.writeGamma(0);
          w.writeBits(0, 32);
          game.input.write(w, {});
        });
        const command = frame(Kind.COMMAND, 1, (w) => {
          const reload = game.command('combat', 'reload')!;
          w.writeGamma(reload.featureIndex);
          w.writeGamma(reload.actionIndex);
          rawGamma(w, v);
          w.writeBits(0, 32);
        });
        if (v <= GAMMA_MAX) {
          expect(codec.decodeClient(ack)).toEqual({ kind: 'ack', seq: 0, tick: v });
          expect(codec.decodeClient(input)).toMatchObject({ kind: 'input', ackTick: v });
          expect(codec.decodeClient(command)).toMatchObject({ kind: 'command', entity: v });
        } else {
          for (const f of [ack, input, command]) expectProtocolError(() => codec.decodeClient(f), ErrorCode.VALUE_OUT_OF_RANGE);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/* Hostile frames built field by field, each field drawn at, around and past its limit. */

const utf8 = new TextEncoder();
/** A string field's bytes: valid text, random bytes (often not UTF-8), or a length at the edge. */
const stringBytesArb = (max: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: Math.min(max, 40) }).map((s) => utf8.encode(s)), weight: 4 },
    fc.uint8Array({ maxLength: Math.min(max + 2, 42) }),
    fc.constantFrom(max, max + 1).map((n) => new Uint8Array(n).fill(0x61)),
  );
const writeRawString = (w: BitWriter, bytes: Uint8Array) => (w.writeGamma(bytes.length), w.writeBytes(bytes));

const hostileClientFrameArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    // Mostly the kind that matches the body; sometimes another one.
    fc.option(fc.constantFrom(Kind.HELLO, Kind.INPUT, Kind.COMMAND, Kind.PING, Kind.CHAT, Kind.ACK, Kind.LEAVE), { freq: 8 }),
    // Mostly seqs that fit, so that payloads get decoded and echoed too.
    fc.oneof({ arbitrary: fc.bigInt({ min: 0n, max: MAX_SEQ }), weight: 3 }, anySeqArb),
    fc.oneof(
      fc.record({
        k: fc.constant('hello' as const),
        room: stringBytesArb(LIMITS.roomCodeBytes),
        name: stringBytesArb(LIMITS.nameBytes),
        token: stringBytesArb(64),
        resume: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }),
        hash: u32,
      }),
      fc.record({
        k: fc.constant('input' as const),
        ackTick: anyGammaArb,
        countLess1: fc.oneof(fc.nat(3), fc.integer({ min: 14, max: 17 })),
        time: u32,
        ages: fc.array(fc.oneof({ arbitrary: fc.nat(100), weight: 10 }, fc.integer({ min: 0xfffe, max: 0x10001 }), anyGammaArb), { minLength: 18, maxLength: 18 }),
        // dx, dy, aim, fire: 17 bits, with dx or dy out of range (3) now and then.
        inputBits: fc.array(fc.oneof({ arbitrary: fc.nat(2 ** 15 - 1).map((v) => v * 4), weight: 10 }, fc.nat(2 ** 17 - 1)), { minLength: 18, maxLength: 18 }),
      }),
      fc.record({
        k: fc.constant('command' as const),
        fi: fc.oneof(fc.nat(2), anyGammaArb),
        ai: fc.oneof(fc.nat(2), anyGammaArb),
        entity: anyGammaArb,
        time: u32,
        payload: fc.uint8Array({ maxLength: 40 }),
      }),
      fc.record({ k: fc.constant('ping' as const), clientTime: anyDoubleArb }),
      fc.record({ k: fc.constant('chat' as const), text: stringBytesArb(LIMITS.chatBytes) }),
      fc.record({ k: fc.constant('ack' as const), tick: anyGammaArb }),
      fc.record({ k: fc.constant('leave' as const) }),
    ),
    fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 2 }), weight: 1 }),
  )
  .map(([otherKind, seq, body, muts]) => {
    const kinds = { hello: Kind.HELLO, input: Kind.INPUT, command: Kind.COMMAND, ping: Kind.PING, chat: Kind.CHAT, ack: Kind.ACK, leave: Kind.LEAVE };
    const w = new BitWriter();
    w.writeBits(PROTOCOL_VERSION, 8);
    w.writeBits(otherKind ?? kinds[body.k], 8);
    rawVarUint(w, seq);
    switch (body.k) {
      case 'hello':
        writeRawString(w, body.room);
        writeRawString(w, body.name);
        writeRawString(w, body.token);
        w.writeBool(body.resume !== undefined);
        if (body.resume) w.writeBytes(body.resume);
        w.writeBits(body.hash, 32);
        break;
      case 'input':
        rawGamma(w, body.ackTick);
        rawGamma(w, body.countLess1);
        w.writeBits(body.time, 32);
        for (let i = 0; i <= body.countLess1; i++) {
          if (i > 0) rawGamma(w, body.ages[i]!);
          w.writeBits(body.inputBits[i]!, 17); // dx, dy, aim, fire: some wire values out of range
        }
        break;
      case 'command':
        rawGamma(w, body.fi);
        rawGamma(w, body.ai);
        rawGamma(w, body.entity);
        w.writeBits(body.time, 32);
        w.writeBytes(body.payload);
        break;
      case 'ping':
        w.writeFloat64(body.clientTime);
        break;
      case 'chat':
        writeRawString(w, body.text);
        break;
      case 'ack':
        rawGamma(w, body.tick);
        break;
      case 'leave':
        break;
    }
    return muts.length ? mutate(w.toBytes(), muts) : w.toBytes();
  });

/**
 * What a server writes with the values of a client frame it accepted: the seq in ERROR and in
 * COMMAND_RESULT/PONG, an input seq as a snapshot's ackInput, the PING time in PONG, the room,
 * name and chat text in WELCOME and CHAT_MESSAGE, an acknowledged tick. None of it may throw.
 */
function echo(msg: ClientMessage): void {
  codec.error(msg.seq, { code: ErrorCode.VALUE_OUT_OF_RANGE, fatal: false, message: 'x' });
  switch (msg.kind) {
    case 'hello':
      codec.welcome({ room: msg.room, clientId: 1, entity: 0, tickRate: 20, snapshotRate: 20, tick: 0, tickEpoch: 0, serverTime: 0, resumeToken: new Uint8Array(16), metadata: '{}', resumed: false });
      codec.chatMessage({ from: 1, name: msg.name, text: '' });
      break;
    case 'input':
      for (const e of msg.inputs) writeSnapshotHead(new BitWriter(), game.entityTypeBits, 1, e.seq);
      writeSnapshotHead(new BitWriter(), game.entityTypeBits, msg.ackTick, 0);
      break;
    case 'command':
      codec.commandResult(msg.seq, { ok: false, code: ErrorCode.NOT_YOUR_ENTITY, message: String(msg.entity) });
      break;
    case 'ping':
      codec.pong(msg.seq, { clientTime: msg.clientTime, serverTime: 1 });
      break;
    case 'chat':
      codec.chatMessage({ from: 1, name: 'n', text: msg.text });
      break;
    case 'ack':
      writeSnapshotHead(new BitWriter(), game.entityTypeBits, msg.tick, 0);
      codec.ack(msg.tick);
      break;
    case 'leave':
      break;
  }
}

describe('hostile input: whatever the server decodes, it can answer', () => {
  it('frames with every field at, around and past its limit, some mutated: refused with a ProtocolError, or echoed without a throw', () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileClientFrameArb, (f) => {
        // The server answers a bad frame with an ERROR carrying its seq, when the envelope reads.
        const envelope = peekEnvelope(f);
        codec.error(envelope?.seq ?? 0, { code: ErrorCode.TRUNCATED, fatal: false, message: '' });
        let msg: ClientMessage;
        try {
          msg = codec.decodeClient(f);
        } catch (e) {
          if (e instanceof ProtocolError) return;
          throw e;
        }
        accepted++;
        echo(msg);
        if (msg.kind === 'hello') echo({ kind: 'hello', ...decodeHello(f) });
      }),
      { numRuns: 20_000 },
    );
    // Not a vacuous pass: a good share of these frames decode.
    expect(accepted).toBeGreaterThan(1000);
  });
});
