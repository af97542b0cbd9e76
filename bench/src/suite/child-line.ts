/**
 * The line protocol between the benchmark and a server process it started: the child writes
 * `@bench {json}` lines on stdout (ready, stats), the parent writes `stats <id>` (or `stats <id> detail`) lines on stdin.
 * Anything else a server prints (Colyseus logs to stdout) is not a message. A child exits when
 * its stdin closes, so a benchmark that dies leaves no server behind.
 */
import { createInterface } from 'node:readline';

export const PREFIX = '@bench ';

/** What every server process reports when asked. */
export interface ServerStats {
  /** Clients connected now. */
  clients: number;
  /** Inputs (or upstream frames, for raw) received since start. */
  inputs: number;
  /** Room ticks simulated since start, all rooms (game servers). */
  ticks?: number;
  /** With `stats detail`: others within the view radius of each player, mean (game servers). */
  neighbours?: number;
}

export interface ReadyMessage {
  ready: true;
  port: number;
  pid: number;
}

export type ChildMessage = ReadyMessage | { id: number; stats: ServerStats };

/** Child side: print one message. */
export function announce(msg: ChildMessage): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(msg)}\n`);
}

/**
 * Child side: answer `stats <id>` requests (`stats <id> detail` also asks for costlier figures,
 * after the measured window); exit when the parent goes away.
 */
export function serveStats(read: (detail: boolean) => ServerStats): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'stats') announce({ id: Number(words[1]), stats: read(words[2] === 'detail') });
  });
  lines.on('close', () => process.exit(0));
}

/** Parent side: the message on a line, or undefined for anything else. */
export function parseChildLine(line: string): ChildMessage | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  return JSON.parse(line.slice(PREFIX.length)) as ChildMessage;
}
