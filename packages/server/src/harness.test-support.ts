/**
 * Test support: a server on a manual clock with raw protocol clients over in-memory pipes.
 * Raw clients speak frames directly (no SDK), so runtime tests see exactly what is on the wire.
 */
import {
  BitReader,
  FrameEncoder,
  ManualClock,
  MessageCodec,
  createMemoryPipe,
  decodeServer,
  defineProtocol,
  readDigest,
  readEvents,
  readSnapshotBody,
  t,
  type EntityTypeInfo,
  type GameProtocol,
  type InputEntry,
  type ServerMessage,
  type SnapshotVisitor,
  type Transport,
  type WireValue,
} from '@tickwire/protocol';
import { pino } from 'pino';
import { createServer, type ServerOptions } from './server.js';
import { defineRoom, type RoomDefinition } from './room-definition.js';

export const game = defineProtocol({
  name: 'harness',
  components: {
    pos: { x: t.float({ min: 0, max: 1000, precision: 0.1 }), y: t.float({ min: 0, max: 1000, precision: 0.1 }) },
    vel: { vx: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }) },
    hp: { hp: t.uint({ max: 100 }) },
  },
  entities: { ship: ['pos', 'hp'], mover: ['vel'] },
  input: { dx: t.int({ min: -1, max: 1 }) },
  commands: { combat: { fire: { power: t.uint(8) } } },
  events: { boom: { at: t.ref() } },
});
export type Game = typeof game;

export const silent = pino({ level: 'silent' });

/** Moves each client's ship by dx * 10 per tick. */
export function gameRoom(overrides: Partial<RoomDefinition<Game>> = {}): RoomDefinition<Game> {
  return defineRoom<Game, unknown, unknown>({
    protocol: game,
    createOnJoin: true,
    reconnectWindowMs: 0,
    onJoin: (room) => room.entities.create('ship', { pos: { x: 100, y: 100 }, hp: { hp: 100 } }),
    onLeave: (room, client) => {
      if (client.entity) room.entities.remove(client.entity);
    },
    onInput: (room, client, input) => {
      const ship = client.entity;
      if (ship && ship.type === 'ship') ship.pos.x += input.dx * 10;
    },
    ...overrides,
  });
}

export interface RecordedRecord {
  id: number;
  created: boolean;
  type: string;
  /** Update: its change mask. Creation: -1 (every field) or a partial creation's mask. */
  mask: number;
  wire: WireValue[];
}

export interface RecordedSnapshot {
  tick: number;
  ackInput: number;
  full: boolean;
  baselineTick: number;
  removed: number[];
  records: RecordedRecord[];
  events: { name: string; payload: Record<string, unknown> }[];
  /** The view digest it carried, if any (docs/protocol.md 8.6). */
  digest?: number | undefined;
  bytes: number;
}

export const flush = () => new Promise<void>((r) => setImmediate(r));

/** A client that speaks raw frames and records what it receives. */
export class RawClient {
  readonly received: ServerMessage[] = [];
  readonly snapshots: RecordedSnapshot[] = [];
  readonly types = new Map<number, EntityTypeInfo>();
  closed: { code: number; reason: string } | null = null;
  readonly codec: MessageCodec<GameProtocol>;
  readonly frames = new FrameEncoder();
  autoAck = true;
  private inputSeq = 0;

  constructor(
    readonly transport: Transport,
    readonly protocol: GameProtocol = game,
  ) {
    this.codec = new MessageCodec(protocol);
    transport.onmessage = (frame) => this.receive(frame);
    transport.onclose = (code, reason) => {
      this.closed = { code, reason };
    };
  }

  private receive(frame: Uint8Array): void {
    const msg = decodeServer(frame, this.protocol);
    this.received.push(msg);
    if (msg.kind !== 'snapshot') return;
    const snap: RecordedSnapshot = { tick: msg.tick, ackInput: msg.ackInput, full: false, baselineTick: 0, removed: [], records: [], events: [], bytes: frame.length };
    const types = this.types;
    const visitor: SnapshotVisitor = {
      typeOf: (id) => types.get(id),
      begin: (full, baselineTick) => {
        snap.full = full;
        snap.baselineTick = baselineTick;
        if (full) types.clear();
      },
      remove: (id) => {
        snap.removed.push(id);
        types.delete(id);
      },
      create: (id, type, wire, _rates, _keyTicks, mask) => {
        types.set(id, type);
        snap.records.push({ id, created: true, type: type.name, mask, wire: wire.slice(0, type.fields.length) });
      },
      update: (id, type, mask, wire) => {
        snap.records.push({ id, created: false, type: type.name, mask, wire: wire.slice(0, type.fields.length) });
      },
    };
    readSnapshotBody(msg.reader, this.protocol, msg.tick, visitor);
    snap.events = readEvents(msg.reader, this.protocol);
    snap.digest = readDigest(msg.reader);
    msg.reader.expectEnd();
    this.snapshots.push(snap);
    if (this.autoAck) this.send(this.codec.ack(msg.tick));
  }

  send(frame: Uint8Array): void {
    this.transport.send(frame);
  }

  hello(room = 'r', extra: { resumeToken?: Uint8Array; protocolHash?: number; name?: string; token?: string; create?: boolean; options?: Uint8Array } = {}): void {
    this.send(
      this.frames.hello({
        room,
        name: extra.name ?? 'raw',
        token: extra.token ?? '',
        resumeToken: extra.resumeToken,
        protocolHash: extra.protocolHash ?? this.protocol.hash,
        create: extra.create,
        options: extra.options,
      }),
    );
  }

  input(dx: number, time = 0, ackTick = 0): number {
    const seq = ++this.inputSeq;
    const entries: InputEntry<Record<string, unknown>>[] = [{ seq, time, input: { dx } }];
    this.send(this.codec.input(ackTick, entries));
    return seq;
  }

  last<K extends ServerMessage['kind']>(kind: K): Extract<ServerMessage, { kind: K }> | undefined {
    for (let i = this.received.length - 1; i >= 0; i--) if (this.received[i]!.kind === kind) return this.received[i] as Extract<ServerMessage, { kind: K }>;
    return undefined;
  }

  get welcome() {
    return this.last('welcome');
  }

  get errors() {
    return this.received.filter((m): m is Extract<ServerMessage, { kind: 'error' }> => m.kind === 'error');
  }
}

/** A server on a manual clock with helpers to join raw clients and step time. */
/**
 * The server's end of a pipe, as seen through a wrapper: the same frames, with what a test sets
 * instead of the real queue size (`buffered`), or declared unreliable.
 */
export function relay(inner: Transport, o: { buffered?: () => number; unreliable?: boolean }): Transport {
  return {
    unreliable: o.unreliable === true,
    get bufferedAmount() {
      return o.buffered ? o.buffered() : inner.bufferedAmount;
    },
    send: (frame) => inner.send(frame),
    close: (code, reason) => inner.close(code, reason),
    get onmessage() {
      return inner.onmessage;
    },
    set onmessage(fn) {
      inner.onmessage = fn;
    },
    get onclose() {
      return inner.onclose;
    },
    set onclose(fn) {
      inner.onclose = fn;
    },
  };
}

export function harness<P extends GameProtocol = Game>(room: RoomDefinition<P> | RoomDefinition<Game> = gameRoom(), options: Partial<ServerOptions> = {}) {
  const clock = new ManualClock(1000);
  const protocol = room.protocol as GameProtocol;
  // Joins create their room unless a test says otherwise: most tests just want a room to be in.
  const server = createServer({ rooms: { ...room, createOnJoin: room.createOnJoin ?? true }, clock, logger: silent, processMetrics: false, ...options });
  const h = {
    clock,
    server,
    /**
     * Connects a raw client (without joining). `unreliable`: the server's end says its frames may
     * be lost (as a datagram transport would), so the room takes deltas against acknowledged snapshots.
     */
    connect(remoteAddress = '127.0.0.1', link: { unreliable?: boolean } = {}): RawClient {
      const [mine, theirs] = createMemoryPipe();
      server.accept(link.unreliable ? relay(theirs, { unreliable: true }) : theirs, remoteAddress);
      return new RawClient(mine, protocol);
    },
    /** Joins a raw client; `token` is its identity (default: a new anonymous guest). */
    async join(code = 'r', token = ''): Promise<RawClient> {
      const c = h.connect();
      c.hello(code, { token });
      await flush();
      if (!c.welcome) throw new Error(`not welcomed: ${JSON.stringify(c.errors)}`);
      return c;
    },
    close: () => server.close(),
    /** Advances the clock in tick-sized steps, letting frames flow between steps. */
    async step(ms: number, stepMs = 50): Promise<void> {
      for (let done = 0; done < ms; done += stepMs) {
        clock.advance(Math.min(stepMs, ms - done));
        await flush();
      }
    },
  };
  return h;
}

export { BitReader };
