/**
 * From the command line to the list of runs. Runs come in groups of one workload and size:
 * tickwire first (its recordings feed the raw replays), then Colyseus, then raw, each on the
 * transports asked for, so every ratio compares figures from the same invocation.
 */
import { num } from '../args.js';
import { BRIDGE_PLAYERS } from './bridge-protocol.js';
import { TRANSPORTS, type Contender, type System, type Transport, type Workload } from './types.js';

export const USAGE = `npm run bench -- [options]

  --workload arena|open-world|rooms|bridge|raw|all   (default all; raw = the arena sweep replayed by a plain server)
  --system tickwire|colyseus|raw|all                 (default all; Colyseus runs arena and open-world only)
  --transport ws|uws|all                             (default all: every system on ws and on uWebSockets.js)
  --clients N                                        one size instead of the workload's sweep
  --duration S                                       measured window in seconds (default 10)
  --warmup S                                         warm-up after the clients joined (default 3)
  --workers N                                        load generator threads (default 1 per 250 clients, at most 8)
  --json                                             one JSON line per result on stdout instead of the table
  --results PATH                                     where to write the results markdown (default bench/RESULTS.md)
  --max-rss-mb MB                                    stop a run whose server grows past this (default 8000)
  --verbose                                          show the servers' own output

Environment: TICKWIRE_SERVER_PROF=DIR writes each server's CPU profile (--cpu-prof) to DIR;
TICKWIRE_SERVER_NODE_FLAGS="..." passes Node flags, separated by spaces, to the server processes
only (--trace-gc, an --import that samples the heap), never to the load generator.`;

/** The sizes each workload sweeps by default. */
export const SWEEPS: Record<Workload, readonly number[]> = {
  arena: [50, 200, 500, 1000],
  'open-world': [500, 1000, 2000],
  rooms: [1000],
  bridge: [BRIDGE_PLAYERS],
};

/**
 * The Colyseus systems each workload runs. Where tickwire filters (the open world), Colyseus
 * filters too, with StateView: that is the comparison; Colyseus sending everything stays beside
 * it, on its default transport only, as the way it is usually run.
 */
const COLYSEUS: Record<Workload, readonly Contender[]> = {
  arena: [
    { system: 'colyseus', transport: 'ws' },
    { system: 'colyseus', transport: 'uws' },
  ],
  'open-world': [
    { system: 'colyseus-view', transport: 'ws' },
    { system: 'colyseus-view', transport: 'uws' },
    { system: 'colyseus', transport: 'ws' },
  ],
  rooms: [],
  bridge: [],
};

export interface Group {
  workload: Workload;
  clients: number;
  systems: Contender[];
}

export interface Plan {
  groups: Group[];
  durationS: number;
  warmupS: number;
  workers?: number;
  json: boolean;
  resultsPath?: string;
  maxRssMb: number;
  verbose: boolean;
}

const KNOWN = new Set(['workload', 'system', 'transport', 'clients', 'duration', 'warmup', 'workers', 'json', 'results', 'max-rss-mb', 'verbose', 'help']);

export function makePlan(f: Map<string, string>): Plan {
  for (const k of f.keys()) if (!KNOWN.has(k)) throw new Error(`unknown option --${k}\n\n${USAGE}`);
  const workloadFlag = f.get('workload') ?? 'all';
  const systemFlag = f.get('system') ?? 'all';
  const transportFlag = f.get('transport') ?? 'all';
  if (!['arena', 'open-world', 'rooms', 'bridge', 'raw', 'all'].includes(workloadFlag)) throw new Error(`--workload is arena, open-world, rooms, bridge, raw or all, not ${workloadFlag}`);
  if (!['tickwire', 'colyseus', 'raw', 'all'].includes(systemFlag)) throw new Error(`--system is tickwire, colyseus, raw or all, not ${systemFlag}`);
  if (!['ws', 'uws', 'all'].includes(transportFlag)) throw new Error(`--transport is ws, uws or all, not ${transportFlag}`);
  if (workloadFlag === 'raw' && systemFlag === 'colyseus') throw new Error('--workload raw replays tickwire runs: use it with --system tickwire, raw or all');

  const transports: readonly Transport[] = transportFlag === 'all' ? TRANSPORTS : [transportFlag as Transport];
  const on = (system: System): Contender[] => transports.map((transport) => ({ system, transport }));
  const workloads: Workload[] = workloadFlag === 'all' ? ['arena', 'open-world', 'rooms', 'bridge'] : workloadFlag === 'raw' ? ['arena'] : [workloadFlag as Workload];
  const systemsFor = (w: Workload): Contender[] => {
    const colyseus = COLYSEUS[w].filter((c) => transports.includes(c.transport));
    if (workloadFlag === 'raw' || systemFlag === 'raw') return [...on('tickwire'), ...on('raw')];
    if (systemFlag === 'tickwire') return on('tickwire');
    if (systemFlag === 'colyseus') return colyseus;
    return [...on('tickwire'), ...colyseus, ...on('raw')];
  };

  const clients = f.has('clients') ? num(f, 'clients', 0) : undefined;
  if (clients !== undefined && !(Number.isInteger(clients) && clients >= 1)) throw new Error('--clients needs a whole number of at least 1');
  const groups: Group[] = [];
  for (const w of workloads) {
    const systems = systemsFor(w);
    if (systems.length === 0) continue;
    for (const n of clients !== undefined ? [clients] : SWEEPS[w]) groups.push({ workload: w, clients: n, systems });
  }
  if (groups.length === 0) throw new Error(`nothing to run: ${systemFlag} does not run ${workloadFlag}`);

  const durationS = num(f, 'duration', 10);
  const warmupS = num(f, 'warmup', 3);
  if (!(durationS > 0) || !(warmupS >= 0)) throw new Error('--duration must be above 0 and --warmup at least 0');
  const workers = f.has('workers') ? num(f, 'workers', 1) : undefined;
  const results = f.get('results');
  return {
    groups,
    durationS,
    warmupS,
    ...(workers !== undefined ? { workers: Math.max(1, Math.floor(workers)) } : {}),
    json: f.has('json'),
    ...(results !== undefined && results !== 'true' ? { resultsPath: results } : {}),
    maxRssMb: num(f, 'max-rss-mb', 8000),
    verbose: f.has('verbose'),
  };
}
