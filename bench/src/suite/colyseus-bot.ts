/**
 * A Colyseus bench client over a plain `ws` socket: it reserves a seat, completes the join,
 * sends its input 20 times a second as `room.send('input', {dx, dy})` would, and counts the
 * bytes and patches it receives without decoding them (the official SDK would decode every
 * patch of every player for every bot, more than the generator can afford beside the server).
 */
import WebSocket from 'ws';
import { Steering, wsHeader, type Bot, type Probe } from './bot.js';
import { Code, codeOf, inputFrame, JOIN_ACK, joinHandshake, reserveSeat, seatUrl, StateMirror } from './colyseus-wire.js';
import { ROOM_NAME } from './colyseus-room.js';
import { noTraffic, type Traffic } from './types.js';

/** The nine possible input frames, built once per worker. */
export function inputFrames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) out.push(inputFrame('input', dx, dy));
  return out;
}

export interface ColyseusBotOptions {
  httpUrl: string;
  index: number;
  probe: boolean;
  frames: Uint8Array[];
}

export class ColyseusBot implements Bot, Probe {
  private readonly counters: Traffic = noTraffic();
  private readonly steering: Steering;
  private mirror: StateMirror | undefined;
  private isOpen = true;

  private constructor(
    private readonly ws: WebSocket,
    private readonly frames: Uint8Array[],
    index: number,
  ) {
    this.steering = new Steering(index);
  }

  static async join(o: ColyseusBotOptions): Promise<ColyseusBot> {
    const seat = await reserveSeat(o.httpUrl, ROOM_NAME);
    const ws = new WebSocket(seatUrl(o.httpUrl, seat), { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    const bot = new ColyseusBot(ws, o.frames, o.index);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Colyseus join timed out (no state within 30 s)')), 30_000);
      ws.on('message', (data: Buffer) => {
        const state = bot.receive(data, o.probe);
        if (state) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('close', (code, reason) => {
        bot.isOpen = false;
        clearTimeout(timer);
        reject(new Error(`Colyseus closed the connection while joining (${code} ${reason.toString()})`));
      });
      ws.on('error', (err) => reject(err));
    });
    return bot;
  }

  /** Counts a frame; answers the join; returns true for the full state (joined). */
  private receive(frame: Buffer, probe: boolean): boolean {
    const c = this.counters;
    c.downBytes += frame.length + wsHeader(frame.length);
    c.downFrames++;
    const code = codeOf(frame);
    if (code === Code.ROOM_STATE_PATCH) {
      c.snapshots++;
      this.mirror?.apply(frame);
    } else if (code === Code.ROOM_STATE) {
      this.mirror?.apply(frame);
      return true;
    } else if (code === Code.JOIN_ROOM) {
      if (probe) this.mirror = new StateMirror(joinHandshake(frame));
      this.send(JOIN_ACK);
    }
    return false;
  }

  private send(frame: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.counters.upBytes += frame.length + wsHeader(frame.length) + 4;
    this.counters.upFrames++;
    this.ws.send(frame);
  }

  step(now: number): void {
    this.steering.update(now);
    this.send(this.frames[(this.steering.dx + 1) * 3 + (this.steering.dy + 1)]!);
  }

  traffic(): Traffic {
    return { ...this.counters };
  }

  get open(): boolean {
    return this.isOpen && this.ws.readyState === WebSocket.OPEN;
  }

  entities(): number {
    return this.mirror?.players() ?? 0;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Uint8Array.of(Code.LEAVE_ROOM));
    this.ws.close();
  }
}
