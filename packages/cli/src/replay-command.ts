/**
 * `tickwire replay`: runs a room recording (the `.twrec` a room with `record` saved) again with
 * the game module's room definition, on a stepped clock, and says whether every tick came out as
 * recorded or names the first one that did not: how a bug report becomes a run you can step
 * through (docs/netcode.md section 10).
 *
 *   npx tickwire replay recordings/arena-1-5f3a9c0d1e2b.twrec [--rooms dist/rooms.js] [--type arena] [--until 1200] [--json]
 *
 * Exit codes: 0 the replay matched the recording at every tick, 1 it departed from it (or the
 * recording cannot be read or replayed), 2 the command was called wrong.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RecordingError, readRecordingHeader, replayRecording, type AnyRoomDefinition, type ReplayResult, type RoomsOption, type RoomTypes } from '@tickwire/server';
import { UsageError, describeFlags, numberFlag, parseArgs, type FlagSpec } from './args.js';
import { GameModuleError, loadGameModule, locateGameModule } from './game-module.js';
import type { Output } from './main.js';

export const REPLAY_FLAGS: readonly FlagSpec[] = [
  { name: 'rooms', value: 'FILE', help: 'the game module: exports `rooms` (default: "tickwire.rooms" in the nearest package.json)' },
  { name: 'type', value: 'NAME', help: "the room type to replay with, when the game module has more than one of the recording's protocol" },
  { name: 'until', value: 'TICK', help: 'stop after this tick' },
  { name: 'keep-going', help: 'go on past the first tick that differs from the recording' },
  { name: 'json', help: 'print the result as one JSON object on stdout' },
  { name: 'help', help: 'print this help' },
];

export const REPLAY_HELP = `usage: tickwire replay FILE [--rooms FILE] [--type NAME] [--until TICK] [--json]

Replays a room recording (saved by a room whose definition has \`record\`) with the game
module's room definition: the same joins, inputs, commands and seeds, tick by tick, comparing
the entities' state with the recording after every step. Exits 0 when every tick matches, 1 at
the first that does not (it is named), or when the recording cannot be read.

${describeFlags(REPLAY_FLAGS)}

With TypeScript sources, run it through a loader: node --import tsx node_modules/.bin/tickwire replay ...
`;

/** Whether the game module exports one room definition (its protocol has a hash), not room types by name. */
function isDefinition(rooms: RoomTypes | AnyRoomDefinition): rooms is AnyRoomDefinition {
  const protocol: unknown = Reflect.get(rooms, 'protocol');
  return typeof protocol === 'object' && protocol !== null && typeof Reflect.get(protocol, 'hash') === 'number';
}

/** The definition to replay `protocolHash`'s recording of room `code` with, from what the game module exports. */
export function pickDefinition(rooms: RoomsOption, code: string, protocolHash: number, type: string | undefined): AnyRoomDefinition {
  if (typeof rooms === 'function') {
    const def = rooms(code);
    if (!def) throw new UsageError(`the game module's resolver has no room for code '${code}'`);
    return def;
  }
  if (isDefinition(rooms)) return rooms;
  const named = Object.entries(rooms);
  if (type !== undefined) {
    const def = named.find(([name]) => name === type)?.[1];
    if (!def) throw new UsageError(`the game module has no room type '${type}'; it has ${named.map(([n]) => n).join(', ')}`);
    return def;
  }
  const fitting = named.filter(([, def]) => def.protocol.hash >>> 0 === protocolHash);
  if (fitting.length === 1) return fitting[0]![1];
  if (fitting.length === 0) throw new UsageError(`no room type of the game module has the recording's protocol; its types are ${named.map(([n]) => n).join(', ')}`);
  throw new UsageError(`room types ${fitting.map(([n]) => n).join(', ')} all have the recording's protocol: pick one with --type`);
}

function summary(file: string, r: ReplayResult): string {
  const h = r.header;
  const lines = [
    `replay of ${file}: room ${h.code} (instance ${h.instanceId}), protocol ${h.protocolName}, ${h.tickRate} ticks/s${h.storage ? ', with storage' : ''}`,
    `  ticks replayed   ${r.ticks.length} (to tick ${r.tick})${r.truncated ? '; the recording was cut short (its size limit)' : ''}`,
    r.divergence
      ? `  DIFFERS          from tick ${r.divergence.tick}: recorded state ${r.divergence.recorded.toString(16)}, replayed ${r.divergence.replayed.toString(16)}`
      : '  identical        the entities match the recording after every step',
    `  at the end       entities ${r.entities.length}, players ${r.room.clients.size}`,
  ];
  if (r.faults.length > 0) lines.push(`  game faults      ${r.faults.length} (${[...new Set(r.faults)].join(', ')})`);
  return lines.join('\n');
}

/** Runs `tickwire replay`; resolves with the exit code. */
export async function replayCommand(argv: readonly string[], out: Output, err: Output, cwd: string): Promise<number> {
  let file: string;
  let options: { rooms: string | undefined; type: string | undefined; until: number | undefined; keepGoing: boolean; json: boolean };
  try {
    const args = parseArgs(argv, REPLAY_FLAGS);
    if (args.switches.has('help')) {
      out.write(REPLAY_HELP);
      return 0;
    }
    const [first, ...extra] = args.positional;
    if (!first) throw new UsageError('which recording? give its file: tickwire replay FILE');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}": one recording at a time`);
    file = resolve(cwd, first);
    options = {
      rooms: args.values.get('rooms'),
      type: args.values.get('type'),
      until: args.values.has('until') ? Math.floor(numberFlag(args, 'until', 0, 1)) : undefined,
      keepGoing: args.switches.has('keep-going'),
      json: args.switches.has('json'),
    };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`${e.message}\n\n${REPLAY_HELP}`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    err.write(`tickwire replay: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    const rooms = await loadGameModule(locateGameModule(options.rooms, cwd));
    // The header alone first: which code and protocol to find a definition for.
    const header = readRecordingHeader(bytes);
    const definition = pickDefinition(rooms, header.code, header.protocolHash, options.type);
    const result = await replayRecording(definition, bytes, { untilTick: options.until, keepGoing: options.keepGoing });
    if (options.json) {
      const { header: h, tick, divergence, truncated, faults } = result;
      const report = { file, header: h, tick, ticksReplayed: result.ticks.length, divergence, truncated, faults, entities: result.entities.length, players: result.room.clients.size };
      out.write(`${JSON.stringify(report)}\n`);
    } else out.write(`${summary(file, result)}\n`);
    return result.divergence ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof GameModuleError) {
      err.write(`tickwire replay: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RecordingError) {
      err.write(`tickwire replay: ${file}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
