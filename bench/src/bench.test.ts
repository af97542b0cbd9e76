/**
 * The benchmark suite's tests: the pure parts (rules, map sizing, replay cursor, Colyseus
 * frames, validity and ratios) and one short smoke run of `npm run bench` end to end, tickwire,
 * Colyseus and raw. Nothing here asserts a speed: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { Code, inputFrame, joinHandshake } from './suite/colyseus-wire.js';
import { makePlan } from './suite/plan.js';
import { LoopCursor } from './suite/replay.js';
import { attachRatios, judge, toRow, type Measurement, type ResultRow } from './suite/results.js';
import { advance, expectedNeighbours, meanNeighbours, openWorldSize, SPEED, VIEW_RADIUS } from './suite/rules.js';
import { noTraffic } from './suite/types.js';

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
  it('runs tickwire before the systems compared with it, Colyseus only where asked', () => {
    const plan = makePlan(new Map([['workload', 'all']]));
    expect(plan.groups.find((g) => g.workload === 'arena')!.systems).toEqual(['tickwire', 'colyseus', 'raw']);
    expect(plan.groups.find((g) => g.workload === 'rooms')!.systems).toEqual(['tickwire', 'raw']);
    expect(makePlan(new Map([['workload', 'raw']])).groups.map((g) => [g.workload, g.clients, g.systems.join('+')])).toEqual([
      ['arena', 50, 'tickwire+raw'],
      ['arena', 200, 'tickwire+raw'],
      ['arena', 500, 'tickwire+raw'],
      ['arena', 1000, 'tickwire+raw'],
    ]);
    expect(() => makePlan(new Map([['bogus', 'true']]))).toThrow(/unknown option --bogus/);
  });
});

describe('results', () => {
  const measurement = (over: Partial<Measurement> = {}): Measurement => ({
    system: 'tickwire',
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

  it('marks a run whose generator fell behind as not valid, with the reason', () => {
    const g = measurement().generator!;
    expect(judge(measurement({ generator: { ...g, lateRounds: 100 } }))).toEqual([expect.stringMatching(/input rounds late/)]);
    expect(judge(measurement({ generator: { ...g, loopDelayP99Ms: 80 } }))).toEqual([expect.stringMatching(/event-loop delay/)]);
    expect(judge(measurement({ joined: 7 }))).toEqual([expect.stringMatching(/7 of 10 clients joined/)]);
    expect(toRow(measurement({ generator: { ...g, closed: 2 } })).valid).toBe(false);
  });

  it('gives tickwire rows ratios to the other systems of the same workload and size', () => {
    const rows: ResultRow[] = [
      toRow(measurement()),
      toRow(measurement({ system: 'colyseus', serverCpuSeconds: 4, generator: { ...measurement().generator!, traffic: { ...noTraffic(), downBytes: 400_000, snapshots: 2000 } } })),
      toRow(measurement({ system: 'raw', serverCpuSeconds: 0.5 })),
    ];
    attachRatios(rows);
    expect(rows[0]!.ratio_to_colyseus).toEqual({ cpu: 0.25, bytes: 0.25, rss: 1 });
    expect(rows[0]!.ratio_to_raw).toEqual({ cpu: 2, bytes: 1, rss: 1 });
    expect(rows[1]!.ratio_to_colyseus).toBeUndefined();
  });
});

describe('npm run bench', () => {
  it('runs tickwire, Colyseus and raw end to end and writes its results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-bench-test-'));
    const results = join(dir, 'RESULTS.md');
    try {
      const script = fileURLToPath(new URL('./bench.ts', import.meta.url));
      const args = ['--workload', 'arena', '--clients', '10', '--duration', '2', '--warmup', '1', '--system', 'all', '--json', '--results', results];
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);

      const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRow);
      expect(rows.map((r) => r.system)).toEqual(['tickwire', 'colyseus', 'raw']);
      for (const r of rows) {
        expect(r, `${r.system}: ${r.invalid_reasons.join('; ')}`).toMatchObject({ workload: 'arena', clients: 10 });
        expect(r.snapshots_per_client_s, r.system).toBeGreaterThan(0);
        expect(r.down_bytes_per_client_s, r.system).toBeGreaterThan(0);
        expect(r.server_cpu_cores, r.system).toBeGreaterThanOrEqual(0);
        expect(r.server_rss_mb, r.system).toBeGreaterThan(0);
        expect(typeof r.valid).toBe('boolean');
      }
      // Everyone sees everyone in the arena: the probes saw all ten ships (players).
      expect(rows[0]!.visible_entities).toBe(10);
      expect(rows[1]!.visible_entities).toBe(10);
      // The servers received the bots' inputs.
      expect(rows[0]!.server_inputs_per_client_s).toBeGreaterThan(0);
      expect(rows[1]!.server_inputs_per_client_s).toBeGreaterThan(0);
      const t = rows[0]!;
      expect(Object.keys(t.ratio_to_colyseus ?? {})).toEqual(['cpu', 'bytes', 'rss']);
      expect(Object.keys(t.ratio_to_raw ?? {})).toEqual(['cpu', 'bytes', 'rss']);

      const md = readFileSync(results, 'utf8');
      expect(md).toContain('npm run bench -- --workload arena --clients 10');
      expect(md).toMatch(/\| tickwire \| arena \| 10 \|/);
      expect(md).toContain(`Node ${process.version}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
