/**
 * `tickwire replay`: a real room records a session, and the command replays the file with a
 * game module: identical with the room's own definition, the first differing tick named with a
 * changed one, and clear refusals for a bad file or an ambiguous module.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@tickwire/client';
import { ManualClock, createMemoryPipe } from '@tickwire/protocol';
import { createServer, defineRoom } from '@tickwire/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { replayCommand } from './replay-command.js';
import { duel, duelRoom } from './replay-rooms.test-support.js';

const gameModule = fileURLToPath(new URL('./replay-rooms.test-support.ts', import.meta.url));
const flush = () => new Promise<void>((r) => setImmediate(r));

function capture() {
  let text = '';
  return { write: (s: string) => void (text += s), text: () => text };
}

/** Plays 3 seconds of a duel with two players and answers the room's recording. */
async function record(): Promise<Uint8Array> {
  let saved: Uint8Array | undefined;
  const clock = new ManualClock(1000);
  const server = createServer({ rooms: { duel: defineRoom({ ...duelRoom, record: { save: (bytes) => void (saved = bytes) } }) }, clock, logger: pino({ level: 'silent' }), processMetrics: false });
  const players = [];
  for (const name of ['ann', 'bob']) {
    const [mine, theirs] = createMemoryPipe((fn) => void clock.setTimeout(fn, 10));
    server.accept(theirs);
    const joining = connect({ transport: mine, room: 'd1', name, protocol: duel, clock, reconnect: false });
    for (let i = 0; i < 20; i++) {
      clock.advance(10);
      await flush();
    }
    players.push(await joining);
  }
  for (let t = 0; t < 60; t++) {
    players.forEach((p, i) => p.sendInput({ dx: (t + i) % 3 === 0 ? -1 : 1 }));
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      await flush();
    }
  }
  await server.close();
  if (!saved) throw new Error('no recording was saved');
  return saved;
}

describe('tickwire replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-replay-cli-'));
  const file = join(dir, 'd1.twrec');
  beforeAll(async () => writeFileSync(file, await record()));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replays a recording with its room type: every tick identical, exit 0', async () => {
    const out = capture();
    const err = capture();
    expect(await replayCommand([file, '--rooms', gameModule, '--type', 'duel'], out, err, dir)).toBe(0);
    expect(out.text()).toMatch(/room d1 .*protocol duel, 20 ticks\/s/);
    expect(out.text()).toMatch(/identical +the entities match the recording after every step/);
    const json = capture();
    expect(await replayCommand([file, '--rooms', gameModule, '--type', 'duel', '--json', '--until', '40'], json, err, dir)).toBe(0);
    expect(JSON.parse(json.text())).toMatchObject({ tick: 40, ticksReplayed: expect.any(Number), divergence: null, entities: 2, players: 2 });
    expect(err.text()).toBe('');
  });

  it('names the first tick where a changed game departs, exit 1', async () => {
    const out = capture();
    expect(await replayCommand([file, '--rooms', gameModule, '--type', 'drifting'], out, capture(), dir)).toBe(1);
    expect(out.text()).toMatch(/DIFFERS +from tick 30:/);
  });

  it('refuses what it cannot replay, saying why', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--rooms', gameModule], 2, /which recording\? give its file/],
      [[file, '--rooms', gameModule], 2, /room types duel, drifting all have the recording's protocol: pick one with --type/],
      [[file, '--rooms', gameModule, '--type', 'nope'], 2, /no room type 'nope'; it has duel, drifting/],
      [[join(dir, 'missing.twrec'), '--rooms', gameModule], 1, /cannot read .*missing\.twrec/],
      [[gameModule, '--rooms', gameModule, '--type', 'duel'], 1, /not a tickwire recording/],
      [[file, '--rooms', gameModule, '--until', 'soon'], 2, /--until/],
    ];
    for (const [argv, code, message] of cases) {
      const err = capture();
      expect(await replayCommand(argv, capture(), err, dir), argv.join(' ')).toBe(code);
      expect(err.text(), argv.join(' ')).toMatch(message);
    }
  });

  it('is one of the commands main knows', async () => {
    const out = capture();
    expect(await main(['replay', '--help'], out, capture())).toBe(0);
    expect(out.text()).toContain('usage: tickwire replay FILE');
  });
});
