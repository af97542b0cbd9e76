/**
 * A raw bench client: a plain `ws` socket to the raw server that counts what arrives (a first
 * byte of 1 marks a frame that stood for a snapshot) and sends the up frames its tickwire
 * counterpart sent, same sizes, same times within the window, looped.
 */
import WebSocket from 'ws';
import { wsHeader, type Bot } from './bot.js';
import { LoopCursor, upItems, type ClientRecording } from './replay.js';
import { noTraffic, type Traffic } from './types.js';

export interface RawBotOptions {
  url: string;
  index: number;
  recording: ClientRecording;
  periodMs: number;
}

export class RawBot implements Bot {
  private readonly counters: Traffic = noTraffic();
  private readonly cursor: LoopCursor<{ ms: number; bytes: number }>;
  private readonly startedAt = performance.now();
  private readonly payloads = new Map<number, Uint8Array>();

  private constructor(
    private readonly ws: WebSocket,
    o: RawBotOptions,
  ) {
    this.cursor = new LoopCursor(upItems(o.recording, o.periodMs), o.periodMs);
    ws.on('message', (data: Buffer) => {
      const c = this.counters;
      c.downBytes += data.length + wsHeader(data.length);
      c.downFrames++;
      if (data[0] === 1) c.snapshots++;
    });
  }

  static async join(o: RawBotOptions): Promise<RawBot> {
    const ws = new WebSocket(`${o.url}?i=${o.index}`, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawBot(ws, o);
  }

  step(now: number): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    for (const frame of this.cursor.due(now - this.startedAt)) {
      let p = this.payloads.get(frame.bytes);
      if (!p) this.payloads.set(frame.bytes, (p = new Uint8Array(Math.max(1, frame.bytes))));
      this.counters.upBytes += p.length + wsHeader(p.length) + 4;
      this.counters.upFrames++;
      this.ws.send(p);
    }
  }

  traffic(): Traffic {
    return { ...this.counters };
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws.close();
  }
}
