/**
 * The benchmark suite's tests: the pure parts (rules, map sizing, replay cursor, Colyseus
 * frames, the plan, validity and ratios) and short smoke runs of `npm run bench` end to end:
 * tickwire, Colyseus and raw on ws and on uWS; Colyseus with and without StateView in the open
 * world; the bridge. Nothing here asserts a speed: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { Code, inputFrame, joinHandshake } from './suite/colyseus-wire.js';
import { BRIDGE_BASES, BRIDGE_ENTITIES, BRIDGE_PLAYERS, BRIDGE_TORPEDOES, CONSOLES, npcsFor, shipsFor } from './suite/bridge-protocol.js';
import { makePlan } from './suite/plan.js';
import { LoopCursor } from './suite/replay.js';
import { textTable } from './suite/report.js';
import { attachRatios, inheritValidity, judge, toRow, type Measurement, type ResultRow } from './suite/results.js';
import { advance, expectedNeighbours, meanNeighbours, openWorldSize, SPEED, VIEW_RADIUS } from './suite/rules.js';
import { noTraffic, type System, type Transport } from './suite/types.js';

describe('rules', () => {
  it('moves at 200 units/s, diagonals included, and clamps to the map', () => {
    const p = advance({ x: 500, y: 500, angle: 0 }, 1, 1, 0.05, 1000);
    expect(Math.hypot(p.x - 500, p.y - 500)).toBeCloseTo(SPEED * 0.05, 9);
    expect(p.angle).toBeCloseTo(Math.PI / 4, 9);
    const edge = advance({ x: 995, y: 3, angle: 1 }, 1, -1, 0.05, 1000);
    expect([edge.x, edge.y]).toEqual([1000, 0]);
    expect(advance({ x: 1, y: 2, angle: 1.5 }, 0, 0, 0.05, 1000)).toEqual({ x: 1, y: 2, angle: 1.5 });
  });

  it('sizes the open world so each player has about 20 others within the view radius', () => {
    for (const n of [500, 1000, 2000]) {
      const size = openWorldSize(n);
      expect(expectedNeighbours(n, size)).toBeCloseTo(20, 0);
      // The same by sampling uniform players, border effects and all.
      const random = seededRandom(n);
      const points = Array.from({ length: n }, () => ({ x: random() * size, y: random() * size }));
      expect(meanNeighbours(points, VIEW_RADIUS)).toBeGreaterThan(17);
      expect(meanNeighbours(points, VIEW_RADIUS)).toBeLessThan(23);
    }
  });
});

describe('replay cursor', () => {
  it('yields what is due, looping with the period', () => {
    const c = new LoopCursor([{ ms: 0 }, { ms: 40 }, { ms: 90 }], 100);
    expect([...c.due(10)].map((x) => x.ms)).toEqual([0]);
    expect([...c.due(95)].map((x) => x.ms)).toEqual([40, 90]);
    expect([...c.due(150)].map((x) => x.ms)).toEqual([0, 40]);
    expect([...c.due(150)]).toEqual([]);
  });
});

describe('Colyseus frames', () => {
  it("writes room.send('input', {dx, dy}) as ROOM_DATA, a schema string and a MessagePack map", () => {
    expect([...inputFrame('input', -1, 1)]).toEqual([
      Code.ROOM_DATA,
      0xa5, ...Buffer.from('input'),
      0x82, 0xa2, 0x64, 0x78, 0xff, 0xa2, 0x64, 0x79, 0x01,
    ]);
  });

  it('finds the state reflection in a JOIN_ROOM frame', () => {
    const frame = Uint8Array.of(Code.JOIN_ROOM, 2, 0x61, 0x62, 6, ...Buffer.from('schema'), 3, 7, 8, 9, 0x55);
    expect([...joinHandshake(frame)]).toEqual([7, 8, 9]);
  });
});

describe('plan', () => {
  const systems = (f: [string, string][], workload: string) =>
    makePlan(new Map(f))
      .groups.find((g) => g.workload === workload)!
      .systems.map((c) => `${c.system} ${c.transport}`);

  it('runs tickwire first, then Colyseus where asked, then raw, each on ws and on uWS', () => {
    expect(systems([['workload', 'all']], 'arena')).toEqual(['tickwire ws', 'tickwire uws', 'colyseus ws', 'colyseus uws', 'raw ws', 'raw uws']);
    expect(systems([['workload', 'all']], 'rooms')).toEqual(['tickwire ws', 'tickwire uws', 'raw ws', 'raw uws']);
    expect(systems([['workload', 'all']], 'bridge')).toEqual(['tickwire ws', 'tickwire uws', 'raw ws', 'raw uws']);
    expect(makePlan(new Map([['workload', 'raw']])).groups.map((g) => [g.workload, g.clients, g.systems.length])).toEqual([
      ['arena', 50, 4],
      ['arena', 200, 4],
      ['arena', 500, 4],
      ['arena', 1000, 4],
    ]);
    expect(() => makePlan(new Map([['bogus', 'true']]))).toThrow(/unknown option --bogus/);
  });

  it('compares the open world with Colyseus filtering by StateView, and keeps Colyseus sending everything on ws', () => {
    expect(systems([['workload', 'open-world']], 'open-world')).toEqual([
      'tickwire ws',
      'tickwire uws',
      'colyseus-view ws',
      'colyseus-view uws',
      'colyseus ws',
      'raw ws',
      'raw uws',
    ]);
    expect(systems([['workload', 'open-world'], ['system', 'colyseus'], ['transport', 'uws']], 'open-world')).toEqual(['colyseus-view uws']);
  });

  it('runs one transport with --transport, and the bridge at its 48 players', () => {
    expect(systems([['workload', 'arena'], ['transport', 'uws']], 'arena')).toEqual(['tickwire uws', 'colyseus uws', 'raw uws']);
    expect(systems([['workload', 'arena'], ['transport', 'ws'], ['system', 'raw']], 'arena')).toEqual(['tickwire ws', 'raw ws']);
    expect(makePlan(new Map([['workload', 'bridge']])).groups.map((g) => g.clients)).toEqual([BRIDGE_PLAYERS]);
    expect(() => makePlan(new Map([['transport', 'tcp']]))).toThrow(/--transport is ws, uws or all/);
    expect(() => makePlan(new Map([['workload', 'bridge'], ['system', 'colyseus']]))).toThrow(/nothing to run/);
  });
});

describe('bridge', () => {
  it('crews 8 ships of 6 consoles and makes 150 entities at 48 players', () => {
    expect(shipsFor(BRIDGE_PLAYERS)).toBe(8);
    expect(BRIDGE_PLAYERS / shipsFor(BRIDGE_PLAYERS)).toBe(CONSOLES);
    expect(2 * shipsFor(BRIDGE_PLAYERS) + BRIDGE_BASES + BRIDGE_TORPEDOES + npcsFor(BRIDGE_PLAYERS)).toBe(BRIDGE_ENTITIES);
    expect(npcsFor(10_000)).toBe(0);
  });
});

describe('results', () => {
  const measurement = (over: Partial<Measurement> = {}): Measurement => ({
    system: 'tickwire',
    transport: 'ws',
    workload: 'arena',
    clients: 10,
    rooms: 1,
    mapSize: 1000,
    seconds: 10,
    serverCpuSeconds: 1,
    rssIdleBytes: 50 * 1048576,
    rssEndBytes: 60 * 1048576,
    serverInputs: 2000,
    joined: 10,
    generator: {
      workers: 1,
      cpuCores: 0.1,
      clients: 10,
      closed: 0,
      traffic: { ...noTraffic(), downBytes: 100_000, downFrames: 2100, snapshots: 2000 },
      minSnapshots: 199,
      rounds: 1000,
      lateRounds: 0,
      maxLateMs: 2,
      loopDelayP99Ms: 1,
      loopDelayMaxMs: 5,
    },
    ...over,
  });

  it('computes per-client figures', () => {
    const row = toRow(measurement());
    expect(row).toMatchObject({ server_cpu_cores: 0.1, server_rss_mb: 60, rss_kb_per_client: 1024, down_bytes_per_client_s: 1000, snapshots_per_client_s: 20, valid: true });
  });

  it('divides CPU by the ticks the server counted, or else by the ticks the workload asks for, and by snapshots', () => {
    // 1 s of CPU over 10 s: 200 ticks at 20 Hz, 5 ms each.
    expect(toRow(measurement())).toMatchObject({ cpu_ms_per_tick: 5, cpu_ms_per_snapshot: 5 });
    // A server that counted 100 ticks (it fell behind): 10 ms each.
    expect(toRow(measurement({ serverTicks: 100 })).cpu_ms_per_tick).toBe(10);
    // The bridge snapshots every other tick; the rooms workload's ticks are per room.
    expect(toRow(measurement({ workload: 'bridge' }))).toMatchObject({ cpu_ms_per_tick: 5, cpu_ms_per_snapshot: 10 });
    expect(toRow(measurement({ workload: 'rooms', rooms: 5 })).cpu_ms_per_tick).toBe(1);
  });

  it('marks a run whose generator fell behind as not valid, with the reason', () => {
    const g = measurement().generator!;
    expect(judge(measurement({ generator: { ...g, lateRounds: 100 } }))).toEqual([expect.stringMatching(/input rounds late/)]);
    expect(judge(measurement({ generator: { ...g, loopDelayP99Ms: 80 } }))).toEqual([expect.stringMatching(/event-loop delay/)]);
    expect(judge(measurement({ joined: 7 }))).toEqual([expect.stringMatching(/7 of 10 clients joined/)]);
    expect(toRow(measurement({ generator: { ...g, closed: 2 } })).valid).toBe(false);
  });

  const row = (system: System, transport: Transport, cpuSeconds: number, downBytes: number, over: Partial<Measurement> = {}) =>
    toRow(measurement({ system, transport, serverCpuSeconds: cpuSeconds, generator: { ...measurement().generator!, traffic: { ...noTraffic(), downBytes, snapshots: 2000 } }, ...over }));

  it('gives tickwire rows ratios to Colyseus on ws, to Colyseus on uWS for tickwire on uWS, and to raw on the same transport', () => {
    const rows: ResultRow[] = [
      row('tickwire', 'ws', 1, 100_000),
      row('tickwire', 'uws', 0.5, 100_000),
      row('colyseus', 'ws', 4, 400_000),
      row('colyseus', 'uws', 2, 400_000),
      row('raw', 'ws', 0.5, 100_000),
      row('raw', 'uws', 0.25, 100_000),
    ];
    attachRatios(rows);
    const [tw, tu, cw] = rows;
    expect(tw!.ratio_to_colyseus).toEqual({ cpu: 0.25, bytes: 0.25, rss: 1 });
    expect(tw!.ratio_to_colyseus_uws).toBeUndefined();
    expect(tw!.ratio_to_raw).toEqual({ cpu: 2, bytes: 1, rss: 1 });
    expect(tu!.ratio_to_colyseus).toEqual({ cpu: 0.125, bytes: 0.25, rss: 1 });
    expect(tu!.ratio_to_colyseus_uws).toEqual({ cpu: 0.25, bytes: 0.25, rss: 1 });
    expect(tu!.ratio_to_raw).toEqual({ cpu: 2, bytes: 1, rss: 1 });
    expect(cw!.ratio_to_colyseus).toBeUndefined();
    // A run that stopped before its window is not compared, nor compared with.
    const stopped = [row('tickwire', 'uws', 0, 0, { seconds: 0 }), row('colyseus', 'ws', 0, 0, { seconds: 0 }), row('raw', 'uws', 1, 1000)];
    attachRatios(stopped);
    expect(stopped[0]!.ratio_to_raw).toBeUndefined();
    const alone = [row('tickwire', 'ws', 1, 1000), stopped[1]!];
    attachRatios(alone);
    expect(alone[0]!.ratio_to_colyseus).toBeUndefined();
    // The table shows both Colyseus ratios on tickwire's uWS row.
    const uwsLine = textTable(rows).split('\n').find((l) => l.startsWith('tickwire  uws'))!;
    expect(uwsLine).toContain('0.125 / 0.25');
    expect(uwsLine).toContain('0.25 / 0.25');
  });

  it('compares with Colyseus filtering by StateView where it ran, not Colyseus sending everything', () => {
    const open = { workload: 'open-world' as const };
    const rows: ResultRow[] = [row('tickwire', 'ws', 1, 1000, open), row('colyseus-view', 'ws', 2, 4000, open), row('colyseus', 'ws', 4, 400_000, open)];
    attachRatios(rows);
    expect(rows[0]!.ratio_to_colyseus).toEqual({ cpu: 0.5, bytes: 0.25, rss: 1 });
  });

  it('marks a raw replay of a tickwire run that was not valid as not valid', () => {
    const rows: ResultRow[] = [row('tickwire', 'ws', 1, 1000), row('tickwire', 'uws', 1, 1000, { joined: 3 }), row('raw', 'ws', 1, 1000, { replayOf: 'ws' }), row('raw', 'uws', 1, 1000, { replayOf: 'uws' })];
    inheritValidity(rows);
    expect(rows.map((r) => r.valid)).toEqual([true, false, true, false]);
    expect(rows[3]!.replays).toBe('tickwire uws');
    expect(rows[3]!.invalid_reasons).toEqual(['it replays a tickwire run that was not valid']);
  });
});

describe('npm run bench', () => {
  /** Runs the suite with `args` (a tiny window) and returns its JSON rows and the results markdown. */
  async function bench(args: string[]): Promise<{ rows: ResultRow[]; md: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-bench-test-'));
    const results = join(dir, 'RESULTS.md');
    try {
      const script = fileURLToPath(new URL('./bench.ts', import.meta.url));
      const all = [...args, '--duration', '2', '--warmup', '1', '--json', '--results', results];
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...all], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);
      return { rows: stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRow), md: readFileSync(results, 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** What every measured row has, whatever it measured. */
  function expectMeasured(r: ResultRow): void {
    const name = `${r.system} ${r.transport}: ${r.invalid_reasons.join('; ')}`;
    expect(r.snapshots_per_client_s, name).toBeGreaterThan(0);
    expect(r.down_bytes_per_client_s, name).toBeGreaterThan(0);
    expect(r.server_cpu_cores, name).toBeGreaterThanOrEqual(0);
    expect(r.cpu_ms_per_tick, name).toBeGreaterThanOrEqual(0);
    expect(r.server_rss_mb, name).toBeGreaterThan(0);
    expect(typeof r.valid).toBe('boolean');
  }

  it('runs tickwire, Colyseus and raw on ws and on uWS end to end and writes its results', async () => {
    const { rows, md } = await bench(['--workload', 'arena', '--clients', '10', '--system', 'all', '--transport', 'all']);
    expect(rows.map((r) => `${r.system} ${r.transport}`)).toEqual(['tickwire ws', 'tickwire uws', 'colyseus ws', 'colyseus uws', 'raw ws', 'raw uws']);
    for (const r of rows) {
      expect(r).toMatchObject({ workload: 'arena', clients: 10 });
      expectMeasured(r);
    }
    const [tw, tu, cw, cu, rw, ru] = rows as [ResultRow, ResultRow, ResultRow, ResultRow, ResultRow, ResultRow];
    // Everyone sees everyone in the arena: the probes saw all ten ships (players).
    for (const r of [tw, tu, cw, cu]) expect(r.visible_entities, `${r.system} ${r.transport}`).toBe(10);
    // The servers received the bots' inputs and counted their ticks.
    for (const r of [tw, tu, cw, cu, rw, ru]) expect(r.server_inputs_per_client_s, `${r.system} ${r.transport}`).toBeGreaterThan(0);
    // Each raw floor replays tickwire on its own transport.
    expect([rw.replays, ru.replays]).toEqual(['tickwire ws', 'tickwire uws']);
    for (const t of [tw, tu]) {
      expect(Object.keys(t.ratio_to_colyseus ?? {})).toEqual(['cpu', 'bytes', 'rss']);
      expect(Object.keys(t.ratio_to_raw ?? {})).toEqual(['cpu', 'bytes', 'rss']);
    }
    expect(Object.keys(tu.ratio_to_colyseus_uws ?? {})).toEqual(['cpu', 'bytes', 'rss']);

    expect(md).toContain('npm run bench -- --workload arena --clients 10');
    expect(md).toMatch(/\| tickwire \| ws \| arena \| 10 \|/);
    expect(md).toMatch(/\| colyseus \| uws \| arena \| 10 \|/);
    expect(md).toContain(`Node ${process.version}`);
  }, 120_000);

  it('filters Colyseus in the open world with StateView, beside Colyseus sending everything', async () => {
    // 60 players on a map where each has about 20 others within 1,000 units: no one sees all 60.
    const { rows } = await bench(['--workload', 'open-world', '--clients', '60', '--system', 'colyseus', '--transport', 'ws']);
    expect(rows.map((r) => r.system)).toEqual(['colyseus-view', 'colyseus']);
    for (const r of rows) expectMeasured(r);
    const [view, all] = rows as [ResultRow, ResultRow];
    expect(all.visible_entities).toBe(60);
    expect(view.visible_entities).toBeGreaterThanOrEqual(1);
    expect(view.visible_entities).toBeLessThan(45);
    expect(view.down_bytes_per_client_s).toBeLessThan(all.down_bytes_per_client_s);
  }, 90_000);

  it('runs the bridge: every ship and base in some tier, the torpedoes nearby, its own crew systems', async () => {
    const { rows, md } = await bench(['--workload', 'bridge', '--clients', '12', '--transport', 'ws']);
    expect(rows.map((r) => r.system)).toEqual(['tickwire', 'raw']);
    for (const r of rows) expectMeasured(r);
    const t = rows[0]!;
    // 12 players crew 2 ships. The far tier reaches across the sector; torpedoes count only
    // while within 5,000 units of the probe's ship; of the two ships' systems it holds its own.
    expect(t.visible_entities).toBeGreaterThanOrEqual(BRIDGE_ENTITIES - 1 - BRIDGE_TORPEDOES);
    expect(t.visible_entities).toBeLessThanOrEqual(BRIDGE_ENTITIES - 1);
    // Two ticks a snapshot.
    expect(t.cpu_ms_per_snapshot / t.cpu_ms_per_tick).toBeCloseTo(2, 1);
    expect(md).toMatch(/bridge 12: 1 room, map 50,000 x 50,000, 2 ships of up to 6 consoles, 150 entities/);
    expect(md).toMatch(/server CPU ms per tick \/ per snapshot: tickwire ws /);
  }, 90_000);
});
