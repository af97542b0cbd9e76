import { BitWriter, defineProtocol, t } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { game, gameRoom, harness } from './harness.test-support.js';
import { RecordingError, RecordingReader, RecordingWriter, RECORDING_VERSION, type RecordingEntry } from './recording.js';
import { replayRecording } from './replay.js';
import { checkDefinition } from './room-definition.js';

const header = { code: 'r', instanceId: 'abc123', seed: 0xdeadbeef, epoch: 1234.5, tickRate: 20, storage: true };
const fire = game.command('combat', 'fire')!;

/** One of every record, in the order they are written. */
function everyRecord(w: RecordingWriter): RecordingEntry[] {
  w.stepStart(3, false, [
    { kind: 'input', client: 1, seq: 41, time: 4_000_000_000, input: { dx: 1 } },
    { kind: 'input', client: 1, seq: 42, time: 4_000_000_016, input: { dx: -1 } },
    { kind: 'command', client: 2, seq: 7, time: 5, entity: 9, command: fire, payload: { power: 200 } },
  ]);
  w.stepEnd(0x89abcdef);
  w.stepStart(5, true, []);
  w.stepEnd(1);
  w.join(3, 'Zoë', { userId: 'u-3', guest: true, claims: { role: 'admin', n: 2 } }, {});
  w.client('drop', 3);
  w.client('resume', 3);
  w.leave(3, 'timeout', false);
  w.chat(1, 'gg');
  w.hydrated({ code: 'r', meta: null, entities: [], players: [], checkpointAt: null });
  w.check('k', { found: true, result: { ok: 1 } });
  w.check('k2', { found: false });
  w.check('k3', { found: false, error: 'database down' });
  w.done('k', true, [1, 2]);
  w.failed('k4', 'STALE_OWNER', 'moved');
  w.end(false);
  return [
    {
      kind: 'step',
      tick: 3,
      batched: false,
      hash: 0x89abcdef,
      actions: [
        { kind: 'input', client: 1, seq: 41, time: 4_000_000_000, input: { dx: 1 } },
        { kind: 'input', client: 1, seq: 42, time: 4_000_000_016, input: { dx: -1 } },
        { kind: 'command', client: 2, seq: 7, time: 5, entity: 9, command: fire, payload: { power: 200 } },
      ],
    },
    { kind: 'step', tick: 5, batched: true, hash: 1, actions: [] },
    { kind: 'join', client: 3, name: 'Zoë', identity: { userId: 'u-3', guest: true, claims: { role: 'admin', n: 2 } }, options: {} },
    { kind: 'drop', client: 3 },
    { kind: 'resume', client: 3 },
    { kind: 'leave', client: 3, reason: 'timeout', connected: false },
    { kind: 'chat', client: 1, text: 'gg' },
    { kind: 'hydrated', stored: { code: 'r', meta: null, entities: [], players: [], checkpointAt: null } },
    { kind: 'check', key: 'k', found: true, resultJson: '{"ok":1}', error: undefined },
    { kind: 'check', key: 'k2', found: false, resultJson: 'null', error: undefined },
    { kind: 'check', key: 'k3', found: false, resultJson: 'null', error: 'database down' },
    { kind: 'done', key: 'k', replayed: true, resultJson: '[1,2]' },
    { kind: 'failed', key: 'k4', code: 'STALE_OWNER', message: 'moved' },
    { kind: 'end', truncated: false },
  ];
}

const read = (bytes: Uint8Array) => [...new RecordingReader(bytes, game)];

describe('the recording format', () => {
  it('reads back every record as written, and the header', () => {
    const w = new RecordingWriter(game, header);
    const expected = everyRecord(w);
    const bytes = w.bytes();
    const reader = new RecordingReader(bytes, game);
    expect(reader.header).toEqual({ ...header, version: RECORDING_VERSION, protocolName: game.name, protocolHash: game.hash >>> 0 });
    expect([...reader]).toEqual(expected);
    // Compact: the first step (two inputs and a command, a hash) takes a few bytes beyond its
    // hash, most of them the first time, written whole (later ones are differences).
    const headerOnly = new RecordingWriter(game, header).byteLength;
    const oneStep = new RecordingWriter(game, header);
    oneStep.stepStart(3, false, expected[0]!.kind === 'step' ? expected[0]!.actions : []);
    oneStep.stepEnd(0);
    expect(oneStep.byteLength - headerOnly).toBeLessThanOrEqual(4 + 20);
  });

  it('refuses what is not a recording of this protocol, and a damaged one, with errors that say so', () => {
    const w = new RecordingWriter(game, header);
    everyRecord(w);
    const bytes = w.bytes();
    const other = defineProtocol({ name: 'other', components: { a: { v: t.uint(4) } }, entities: { thing: ['a'] } });
    const refusals: [string, () => unknown, RegExp][] = [
      ['not a recording', () => read(new TextEncoder().encode('hello, world')), /not a tickwire recording/],
      ['empty', () => read(new Uint8Array(0)), /damaged in its header/],
      ['a newer version', () => read(Uint8Array.from(bytes, (b, i) => (i === 4 ? 9 : b))), /version 9; this tickwire reads version 1/],
      ['another protocol', () => new RecordingReader(bytes, other), /protocol 'harness'.*not 'other'/],
      ['cut in the middle of a record', () => read(bytes.subarray(0, bytes.length - 40)), /damaged in the record at bit \d+/],
    ];
    for (const [what, run, message] of refusals) {
      expect(run, what).toThrow(RecordingError);
      expect(run, what).toThrow(message);
    }
  });

  it('bounds what a damaged or hostile file can make the reader do', () => {
    const cases: [string, (w: BitWriter) => void, RegExp][] = [
      ['an unknown record kind', (w) => w.writeBits(15, 4), /unknown record kind 15/],
      [
        'a step with too many actions',
        (w) => {
          w.writeBits(1, 4);
          w.writeGamma(1);
          w.writeBool(false);
          w.writeGamma(100_000);
        },
        /100000 actions/,
      ],
      [
        'a step a million ticks on',
        (w) => {
          w.writeBits(1, 4);
          w.writeGamma(2_000_000);
        },
        /a step 2000000 ticks after/,
      ],
      [
        'JSON that does not parse',
        (w) => {
          w.writeBits(7, 4);
          w.writeString('{"entities":');
        },
        /does not parse/,
      ],
      [
        'a command the protocol does not declare',
        (w) => {
          w.writeBits(1, 4);
          w.writeGamma(1); // tick 1
          w.writeBool(false);
          w.writeGamma(1); // one action
          w.writeGamma(1); // client 1
          w.writeBool(true); // a command
          w.writeBool(true);
          w.writeSignedGamma(0); // time
          w.writeBool(true);
          w.writeSignedGamma(1); // seq
          w.writeGamma(5);
          w.writeGamma(0);
        },
        /command 5.0 the protocol does not declare/,
      ],
    ];
    for (const [what, write, message] of cases) {
      const w = new BitWriter();
      w.writeBytes(new RecordingWriter(game, header).bytes());
      write(w);
      expect(() => read(w.toBytes()), what).toThrow(RecordingError);
      expect(() => read(w.toBytes()), what).toThrow(message);
    }
  });

  it('stops at maxBytes: a recording never grows past it, and ends saying it was cut', () => {
    const w = new RecordingWriter(game, header, 64);
    let kept = 0;
    while (w.join(kept + 1, 'a rather long player name', { userId: 'user' }, {})) kept++;
    w.end(true);
    const bytes = w.bytes();
    expect(bytes.length).toBeLessThanOrEqual(64);
    const entries = read(bytes);
    expect(entries.filter((e) => e.kind === 'join')).toHaveLength(kept);
    expect(entries.at(-1)).toEqual({ kind: 'end', truncated: true });
  });
});

describe('a room that records', () => {
  it('saves its recording when it reaches maxBytes, cut there, and a replay runs up to that point', async () => {
    const saved: { bytes: Uint8Array; truncated: boolean; ticks: number }[] = [];
    const def = gameRoom({ record: { maxBytes: 1024, save: (bytes, info) => void saved.push({ bytes, truncated: info.truncated, ticks: info.ticks }) } });
    const h = harness(def);
    const a = await h.join();
    for (let i = 0; i < 250; i++) {
      a.input(1, h.clock.now());
      await h.step(50);
    }
    expect(saved).toHaveLength(1);
    expect(saved[0]!.truncated).toBe(true);
    expect(saved[0]!.bytes.length).toBeLessThanOrEqual(1024);
    await h.close();
    expect(saved).toHaveLength(1); // saved once
    const replay = await replayRecording(gameRoom(), saved[0]!.bytes);
    expect(replay).toMatchObject({ truncated: true, divergence: null });
    expect(replay.tick).toBeGreaterThan(20);
    expect(replay.tick).toBeLessThanOrEqual(saved[0]!.ticks);
  });

  it('a definition is checked: a sane maxBytes, a save function, no session', () => {
    const save = () => undefined;
    expect(() => checkDefinition(gameRoom({ record: { save, maxBytes: 10 } }))).toThrow(/record.maxBytes must be a whole number of bytes in 1024\.\./);
    expect(() => checkDefinition(gameRoom({ record: { save, maxBytes: 2 ** 31 } }))).toThrow(/record.maxBytes/);
    expect(() => checkDefinition(gameRoom({ record: { save } }))).not.toThrow();
  });
});
