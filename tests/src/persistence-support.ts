/**
 * Shared pieces of the persistence scenarios: the two databases (a fresh one per test, removed
 * afterwards; PostgreSQL skipped with a message when absent, unless TICKWIRE_REQUIRE_SERVICES=1),
 * and servers on a stepped clock with clients over in-memory pipes.
 *
 * Test servers authenticate by taking the HELLO token as the user id, so a scenario can come
 * back as the same player (across a restart too) without an identity service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ClientRoom } from '@tickwire/client';
import { ManualClock, createMemoryPipe, type GameProtocol } from '@tickwire/protocol';
import { createServer, type AnyRoomDefinition, type RoomStore, type ServerOptions } from '@tickwire/server';
import type { RoomRuntime as Room } from '@tickwire/server/internal';
import { openStorage, type Storage } from '@tickwire/storage';
import { freshPostgresSchema, postgresAdmin, postgresReachable, postgresTestUrl } from '@tickwire/storage/testing';
import BetterSqlite3 from 'better-sqlite3';
import { silent } from './game.js';
import { unavailable } from './services.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Holds a write lock on the player checkpoints for `ms` from another connection. */
  lock(url: string, ms: number): Promise<void>;
}

export const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-persist-'));
    return { url: join(dir, 'world.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  async lock(url, ms) {
    const db = new BetterSqlite3(url);
    db.exec('begin immediate');
    await new Promise((r) => setTimeout(r, ms));
    db.exec('commit');
    db.close();
  },
};

const pgUrl = postgresTestUrl();

export const postgres: Backend = {
  name: 'postgres',
  fresh: () => freshPostgresSchema(pgUrl),
  async lock(url, ms) {
    await postgresAdmin(url, async (c) => {
      await c.query('begin');
      await c.query('lock table tickwire_room_players in access exclusive mode');
      await new Promise((r) => setTimeout(r, ms));
      await c.query('commit');
    });
  },
};

const pgSkip = unavailable(
  `PostgreSQL at ${pgUrl}`,
  await postgresReachable(pgUrl),
  'start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL',
);

/** The databases the scenarios run on: SQLite always, PostgreSQL when reachable. */
export const backends: Backend[] = pgSkip ? [sqlite] : [sqlite, postgres];

/** Fresh databases for one test file; `dropAll` (in afterAll) removes them. */
export function databases() {
  const drops: (() => Promise<void>)[] = [];
  return {
    async fresh(backend: Backend): Promise<string> {
      const db = await backend.fresh();
      drops.push(db.drop);
      return db.url;
    },
    /** Registers something to undo before the databases go. */
    defer(fn: () => Promise<void>): void {
      drops.unshift(fn);
    },
    async dropAll(): Promise<void> {
      for (const drop of drops.splice(0)) await drop();
    },
  };
}

/** Authenticates a test client as the user its token names. */
export const byToken = ({ token }: { token: string }) => ({ userId: token });

export const quiet = { warn: () => undefined };

/** Lets pending I/O callbacks and promise jobs run. */
export const flush = () => new Promise<void>((r) => setImmediate(r));

/**
 * Waits for `promises` to settle while stepping `clock` (a write that failed backs off on the
 * room's clock, so the writer needs time to pass) and letting the database's I/O run. Fails when
 * they have not settled within `timeoutMs` of real time.
 *
 * The stepped clock runs at most ten times as fast as real time: a command waits for its
 * database commit on that clock (the SDK's command timeout is 10 s), and on a busy machine a
 * commit that takes a few hundred real milliseconds must not read as a timeout.
 */
export async function settleStepping<T>(clock: ManualClock, promises: readonly Promise<T>[], timeoutMs = 20_000): Promise<PromiseSettledResult<T>[]> {
  let done = false;
  const all = Promise.allSettled(promises).finally(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  while (!done) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${timeoutMs} ms`);
    clock.advance(10);
    await new Promise<void>((r) => setTimeout(r, 1));
  }
  return all;
}

/** Everything a stepped-clock server scenario needs. */
export interface SteppedWorld {
  clock: ManualClock;
  storage: Storage;
  server: ReturnType<typeof createServer>;
  /** Advances the clock by `ms` in 50 ms ticks, letting I/O run between them. */
  step(ms: number): Promise<void>;
  /** Advances the clock 50 ms at a time until `cond` holds (at most `maxMs`). */
  stepUntil(cond: () => boolean, maxMs?: number): Promise<void>;
  /** Joins `room` as `user` (the token is the user id). */
  join<P extends GameProtocol>(protocol: P, room: string, user: string): Promise<ClientRoom<P>>;
  /** The room with this code, created (and hydrated) if needed, and ticking as after a join. */
  room(code: string): Promise<Room>;
  close(): Promise<void>;
}

/**
 * A server for `rooms` on a manual clock, with storage at `url`. `wrap` may put a fault
 * injector between the rooms and the real storage; `options` adds server options (a shared
 * room registry, a process id...).
 */
export async function steppedWorld(
  url: string,
  rooms: AnyRoomDefinition,
  wrap?: (storage: Storage) => RoomStore,
  options: Omit<Partial<ServerOptions>, 'rooms' | 'clock' | 'storage'> = {},
): Promise<SteppedWorld> {
  const clock = new ManualClock(1000);
  const storage = await openStorage({ url, logger: quiet });
  const server = createServer({ rooms, clock, storage: wrap ? wrap(storage) : storage, logger: silent, processMetrics: false, authenticate: byToken, ...options });
  const step = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  const stepUntil = async (cond: () => boolean, maxMs = 10_000) => {
    for (let t = 0; !cond(); t += 50) {
      if (t >= maxMs) throw new Error(`not reached within ${maxMs} ms of the clock`);
      await step(50);
    }
  };
  const join = async <P extends GameProtocol>(protocol: P, room: string, user: string) => {
    const [client, srv] = createMemoryPipe();
    server.accept(srv);
    let done = false;
    const joined = connect({ transport: client, room, name: user, token: user, protocol, clock }).finally(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) await step(10);
    return joined;
  };
  const room = async (code: string) => {
    const opened = await server.rooms.open(code);
    if (opened instanceof Error) throw opened;
    opened.start();
    return opened;
  };
  const close = async () => {
    await server.close();
    await storage.close();
  };
  return { clock, storage, server, step, stepUntil, join, room, close };
}

/**
 * The real storage behind a switch: while `failing` is set, writes (checkpoints and critical
 * commits) fail the way a database that went away does; `gate` holds them until released.
 * Every write is counted. Reads always go through.
 */
export class FaultyStore implements RoomStore {
  failing = false;
  /** Critical commits with these keys fail (the rest of the database works). */
  readonly failKeys = new Set<string>();
  writes = 0;
  /** Every checkpoint batch written (not those that failed). */
  readonly checkpoints: Parameters<RoomStore['writeCheckpoint']>[0][] = [];
  private held: Promise<void> = Promise.resolve();
  private releaseHeld: () => void = () => undefined;

  constructor(private readonly storage: Storage) {}

  /** Holds every write until `release()`. */
  hold(): void {
    this.held = new Promise((r) => (this.releaseHeld = r));
  }

  release(): void {
    this.releaseHeld();
  }

  loadRoom(code: string) {
    return this.storage.loadRoom(code);
  }

  listRooms() {
    return this.storage.listRooms();
  }

  committedResult<T>(key: string) {
    return this.storage.committedResult<T>(key);
  }

  async writeCheckpoint(batch: Parameters<RoomStore['writeCheckpoint']>[0]): Promise<void> {
    this.writes++;
    await this.held;
    if (this.failing) throw new Error('the database went away');
    await this.storage.writeCheckpoint(batch);
    this.checkpoints.push(batch);
  }

  async transact<T>(key: string, fn: (tx: unknown) => Promise<T>, options?: Parameters<RoomStore['transact']>[2]) {
    this.writes++;
    await this.held;
    if (this.failing || this.failKeys.has(key)) throw new Error('the database went away');
    return this.storage.transact(key, fn, options);
  }
}
