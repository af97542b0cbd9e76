/**
 * Test support for cluster scenarios in one test process: processes on clocks of their own that
 * share in-memory registries on a clock of theirs, so a process "dies" or stalls exactly by not
 * stepping its clock while the registries' time and the others' go on.
 */
import { ManualClock } from '@tickwire/protocol';
import type { ClusterOptions } from './cluster.js';
import { flush, gameRoom, harness, type RawClient } from './harness.test-support.js';
import { JoinTickets, type JoinTicket } from './join-tickets.js';
import { MemoryProcessRegistry } from './process-registry.js';
import { MemoryRegistry } from './registry.js';
import type { RoomDefinition } from './room-definition.js';
import type { ServerOptions } from './server.js';
import type { Game } from './harness.test-support.js';

export const SECRET = 'the cluster test secret, 32 byte';

export type Member = ReturnType<typeof harness> & { id: string };

/** Registries on their own clock, and processes sharing them. */
export function testCluster(room: RoomDefinition<Game> = gameRoom({ createOnJoin: false })) {
  const clock = new ManualClock(0);
  const registry = new MemoryRegistry(clock);
  const processes = new MemoryProcessRegistry(clock);
  const tickets = new JoinTickets(SECRET);
  const c = {
    clock,
    registry,
    processes,
    tickets,
    /** A process in the cluster, registered and heartbeating (heartbeat 200 ms, time to live 600 ms). */
    async member(id: string, cluster: Partial<ClusterOptions> = {}, options: Partial<ServerOptions> = {}): Promise<Member> {
      const h = harness(room, {
        registry,
        processId: id,
        secret: SECRET,
        cluster: { processes, heartbeatMs: 200, processTtlMs: 600, ...cluster },
        ...options,
      });
      await h.server.startCluster({ url: `ws://${id}.test:1/ws`, httpUrl: `http://${id}.test:1` });
      return { ...h, id };
    },
    /** A ticket to `room` on `process` for `userId`. */
    ticket(userId: string, room: string, process: string, type?: string): Promise<string> {
      const t: JoinTicket = type === undefined ? { userId, name: userId, room, process } : { userId, name: userId, room, type, process };
      return tickets.issue(t);
    },
    /** Advances the registries' clock and the given processes' clocks together, in 50 ms steps. */
    async step(ms: number, ...alive: Member[]): Promise<void> {
      for (let t = 0; t < ms; t += 50) {
        clock.advance(50);
        for (const m of alive) m.clock.advance(50);
        await flush();
        await flush();
      }
    },
  };
  return c;
}

/**
 * Lets async work finish until `ok` holds: registry calls settle in a flush, but ticket checks
 * run on WebCrypto's thread pool and need real time, so this waits up to 5 s of it.
 */
export async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await flush();
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Joins `client` to `room` with a ticket and waits for WELCOME or an error. */
export async function helloWith(client: RawClient, room: string, token: string, resumeToken?: Uint8Array): Promise<RawClient> {
  client.hello(room, { token, resumeToken });
  await until(() => client.welcome !== undefined || client.errors.length > 0, `an answer to the HELLO for ${room}`);
  return client;
}
