/**
 * A tickwire bench client: the SDK as a load generator uses it (connect from
 * '@tickwire/client/node', interpolation and entity decoding off), over the SDK's own
 * WebSocket transport. When recording, a thin wrapper notes each frame's time and size for
 * the raw replay; the probe decodes entities to count what it sees.
 */
import { connect, webSocketTransport, type ClientRoom, type WebSocketLike } from '@tickwire/client/node';
import { Kind, type Transport } from '@tickwire/protocol';
import WebSocket from 'ws';
import type { Scene } from '../scene.js';
import { Steering, type Bot, type Probe } from './bot.js';
import { bridge } from './bridge-protocol.js';
import { ROOM_CLIENTS, type Steer } from './rules.js';
import type { ClientRecording } from './replay.js';
import type { Traffic, Workload } from './types.js';

/** Records frames while `active`, with times from `t0`. */
export class Recorder {
  active = false;
  t0 = 0;
  readonly data: ClientRecording = { down: [], up: [] };

  start(now: number): void {
    this.active = true;
    this.t0 = now;
    this.data.down = [];
    this.data.up = [];
  }
}

function recordingTransport(inner: Transport, rec: Recorder): Transport {
  const outer: Transport = {
    onmessage: null,
    onclose: null,
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
    send(frame) {
      if (rec.active) rec.data.up.push(Math.round(performance.now() - rec.t0), frame.length);
      inner.send(frame);
    },
    close(code, reason) {
      inner.close(code, reason);
    },
  };
  inner.onmessage = (frame) => {
    if (rec.active) rec.data.down.push(Math.round(performance.now() - rec.t0), frame.length, frame[1] === Kind.SNAPSHOT ? 1 : 0);
    outer.onmessage?.(frame);
  };
  inner.onclose = (code, reason) => outer.onclose?.(code, reason);
  return outer;
}

/** The room code client `index` joins in a workload. */
export function roomCode(workload: Workload, index: number): string {
  return workload === 'rooms' ? `r${Math.floor(index / ROOM_CLIENTS)}` : 'bench';
}

export interface TickwireBotOptions {
  url: string;
  workload: Workload;
  /** The world's protocol (worldProtocol(mapSize)), built once per worker; the bridge has its own. */
  protocol: Scene;
  index: number;
  recorder?: Recorder;
  probe: boolean;
}

/** What a bench client uses of its room, whichever protocol it speaks (every one steers with {dx, dy}). */
interface BenchRoom {
  readonly isOpen: boolean;
  readonly stats: ClientRoom<Scene>['stats'];
  readonly entities: { readonly size: number };
  sendInput(input: Steer): number;
  leave(): void;
}

export class TickwireBot implements Bot, Probe {
  private readonly steering: Steering;

  private constructor(
    private readonly room: BenchRoom,
    index: number,
  ) {
    this.steering = new Steering(index);
  }

  static async join(o: TickwireBotOptions): Promise<TickwireBot> {
    const made = webSocketTransport(new WebSocket(o.url) as unknown as WebSocketLike);
    await made.opened;
    const transport = o.recorder ? recordingTransport(made.transport, o.recorder) : made.transport;
    const common = { transport, room: roomCode(o.workload, o.index), name: `bot-${o.index}`, interpolation: false, decodeEntities: o.probe, timeoutMs: 30_000 };
    const room: BenchRoom = o.workload === 'bridge' ? await connect({ ...common, protocol: bridge }) : await connect({ ...common, protocol: o.protocol });
    return new TickwireBot(room, o.index);
  }

  step(now: number): void {
    if (!this.room.isOpen) return;
    this.steering.update(now);
    this.room.sendInput({ dx: this.steering.dx, dy: this.steering.dy });
  }

  traffic(): Traffic {
    const s = this.room.stats;
    return { downBytes: s.wireBytesIn, downFrames: s.framesIn, snapshots: s.snapshots, upBytes: s.wireBytesOut, upFrames: s.framesOut };
  }

  get open(): boolean {
    return this.room.isOpen;
  }

  entities(): number {
    return this.room.entities.size;
  }

  close(): void {
    if (this.room.isOpen) this.room.leave();
  }
}
