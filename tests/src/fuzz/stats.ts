/**
 * What a fuzz run counts: frames sent by category, connections and how they ended, the error
 * codes the server answered with, HTTP statuses, and the last frames sent (for a crash report).
 * Also the pacer that holds the attack to a frame rate, so a run measures the server and not
 * how fast one process can write to a socket.
 */
import { toHex } from './frames.js';

export type Counter = Record<string, number>;

export function bump(c: Counter, key: string | number, n = 1): void {
  const k = String(key);
  c[k] = (c[k] ?? 0) + n;
}

export interface SentFrame {
  at: number;
  category: string;
  label: string;
  hex: string;
}

export class FuzzStats {
  readonly frames: Counter = {};
  total = 0;
  readonly connections = { opened: 0, refused: {} as Counter, closedBy: {} as Counter };
  /** ERROR frames received, by code name. */
  readonly errors: Counter = {};
  /** Failed COMMAND_RESULTs received, by code name. */
  readonly commandResults: Counter = {};
  /** Raw HTTP attacks: answer status (or what happened) by count. */
  readonly http: Counter = {};
  /** Raw HTTP attacks answered with a 5xx, by attack. */
  readonly http5xx: Counter = {};
  /** Raw HTTP attacks with no answer (closed, or still waiting after 2 s), by attack. */
  readonly httpUnanswered: Counter = {};
  /** Raw WebSocket framing attacks: close code the server sent (or what happened). */
  readonly wsFraming: Counter = {};
  /** Server frames the client decoder refused: the server wrote something malformed. */
  undecodable = 0;
  readonly undecodableSamples: string[] = [];
  /** Resume tokens seen in WELCOMEs (for seat-theft attempts), bounded. */
  readonly resumeTokens: Uint8Array[] = [];
  private readonly recent: SentFrame[] = [];

  /** Counts a frame and keeps it among the recent ones. */
  sent(category: string, label: string, data: Uint8Array | string): void {
    bump(this.frames, category);
    this.total++;
    const hex = typeof data === 'string' ? `text:${JSON.stringify(data.slice(0, 40))}${data.length > 40 ? `...(${data.length} chars)` : ''}` : toHex(data);
    this.recent.push({ at: Date.now(), category, label, hex });
    if (this.recent.length > 400) this.recent.splice(0, 200);
  }

  /** The last `n` frames sent, oldest first. */
  lastFrames(n: number): SentFrame[] {
    return this.recent.slice(-n);
  }

  keepResumeToken(t: Uint8Array): void {
    this.resumeTokens.push(t);
    if (this.resumeTokens.length > 64) this.resumeTokens.shift();
  }
}

/** Holds all attackers together to `rate` frames a second (no bursts above 50 ms of credit). */
export class Pacer {
  private next = performance.now();
  private readonly msPerFrame: number;

  constructor(rate: number) {
    this.msPerFrame = 1000 / rate;
  }

  async take(n = 1): Promise<void> {
    const now = performance.now();
    if (this.next < now - 50) this.next = now - 50;
    this.next += n * this.msPerFrame;
    const wait = this.next - now;
    if (wait > 1) await sleep(wait);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
