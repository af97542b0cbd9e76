/**
 * Game processes of a cluster in one test process, on real sockets, sharing a real Redis (room
 * and process registries) and a real PostgreSQL, each on a clock that can be frozen.
 *
 * A frozen clock is what SIGSTOP does to a process: none of its timers run (no tick, no
 * heartbeat, no lease renewal, no checkpoint) while the registries' time (Redis's) goes on.
 * `kill` also closes its listening socket and cuts its clients' sockets, as the operating system
 * does for a process that died, so nothing reaches it any more; `resume` lets its timers run
 * again, as a SIGCONT would, to show what a stale owner that wakes up can still do.
 */
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocketLike } from '@tickwire/client';
import { systemClock, type Clock, type TimerHandle } from '@tickwire/protocol';
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import { createServer, type AnyRoomDefinition, type ClusterOptions, type RoomStore, type TickwireServer } from '@tickwire/server';
import { openStorage, type Storage } from '@tickwire/storage';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { silent } from './game.js';

/** The real clock, whose timers can be held: while frozen, a timer that falls due waits for `resume`. */
export class FreezableClock implements Clock {
  private frozen = false;
  private held: (() => void)[] = [];
  private nextId = 1;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        if (this.frozen) this.held.push(fn);
        else fn();
      }, ms),
    );
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle !== 'object' || handle === null || !('id' in handle) || typeof handle.id !== 'number') return;
    clearTimeout(this.timers.get(handle.id));
    this.timers.delete(handle.id);
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Runs what fell due meanwhile, in order, and lets timers run again. */
  resume(): void {
    this.frozen = false;
    for (const fn of this.held.splice(0)) fn();
  }
}

/** A `ws` socket as the SDK's WebSocketLike (Node 20 has no global WebSocket). */
export function socketTo(url: string): WebSocketLike {
  const ws = new WebSocket(url);
  const like: WebSocketLike = {
    get binaryType() {
      return ws.binaryType;
    },
    set binaryType(type: string) {
      ws.binaryType = type === 'arraybuffer' ? 'arraybuffer' : 'nodebuffer';
    },
    get readyState() {
      return ws.readyState;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.onopen = (ev) => like.onopen?.(ev);
  ws.onmessage = (ev) => like.onmessage?.({ data: ev.data });
  ws.onclose = (ev) => like.onclose?.({ code: ev.code, reason: ev.reason });
  ws.onerror = (ev) => like.onerror?.(ev);
  return like;
}

export interface GameProcess {
  id: string;
  server: TickwireServer;
  storage: Storage;
  clock: FreezableClock;
  /** As kill -9 leaves it: no timer runs, nothing can connect, its clients' sockets are cut. */
  kill(): void;
  /** Its timers run again (a SIGCONT after SIGSTOP). */
  resume(): void;
  close(): Promise<void>;
}

/** The deployment the processes share. */
export interface Deployment {
  redis: Redis;
  prefix: string;
  databaseUrl: string;
  secret: string;
}

/**
 * A game process of the deployment, listening on 127.0.0.1 port 0 and registered in the cluster.
 * `wrap` may put a fault injector between its rooms and the real storage.
 */
export async function startProcess(
  d: Deployment,
  id: string,
  rooms: Record<string, AnyRoomDefinition>,
  cluster: Partial<ClusterOptions> = {},
  wrap?: (storage: Storage) => RoomStore,
): Promise<GameProcess> {
  const clock = new FreezableClock();
  const storage = await openStorage({ url: d.databaseUrl, logger: { warn: () => undefined } });
  const server = createServer({
    rooms,
    clock,
    storage: wrap ? wrap(storage) : storage,
    logger: silent,
    processMetrics: false,
    processId: id,
    secret: d.secret,
    env: {},
    registry: new RedisRegistry(d.redis, { prefix: d.prefix }),
    cluster: { processes: new RedisProcessRegistry(d.redis, { prefix: d.prefix }), ...cluster },
  });
  const sockets = trackUpgrades(server.http);
  await server.listen(0, '127.0.0.1');
  let killed = false;
  return {
    id,
    server,
    storage,
    clock,
    kill() {
      killed = true;
      clock.freeze();
      server.http.close();
      for (const s of sockets) s.destroy();
    },
    resume: () => clock.resume(),
    async close() {
      if (killed) clock.resume();
      await server.close();
      await storage.close();
    },
  };
}

/** The sockets upgraded to WebSockets on `http` (the host keeps its own; these are to cut them). */
function trackUpgrades(http: HttpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  http.on('upgrade', (_req, socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Polls `check` every 20 ms of real time until it answers something, for at most `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The real storage, unreachable while `down` is set: loading and acquiring a room fail as a lost connection does. */
export class SwitchableStore implements RoomStore {
  down = false;
  attempts = 0;

  constructor(private readonly storage: Storage) {}

  get sessions() {
    return this.storage.sessions;
  }

  private check(): void {
    if (!this.down) return;
    this.attempts++;
    throw new Error('connect ECONNREFUSED: the database is unreachable');
  }

  async loadRoom(code: string) {
    this.check();
    return this.storage.loadRoom(code);
  }

  listRooms() {
    return this.storage.listRooms();
  }

  async acquireRoom(code: string, atLeast: number) {
    this.check();
    return this.storage.acquireRoom(code, atLeast);
  }

  writeCheckpoint(batch: Parameters<RoomStore['writeCheckpoint']>[0]) {
    return this.storage.writeCheckpoint(batch);
  }

  transact<T>(key: string, fn: (tx: unknown) => Promise<T>, options?: Parameters<RoomStore['transact']>[2]) {
    return this.storage.transact(key, fn, options);
  }

  committedResult<T>(key: string) {
    return this.storage.committedResult<T>(key);
  }
}
