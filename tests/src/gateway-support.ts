/**
 * A cluster in one test process: game processes (real servers on port 0, in cluster mode) and a
 * gateway, sharing registries (in memory by default, or Redis ones passed in). Processes
 * heartbeat every 250 ms with a 3 s time to live: long enough that a test process busy with
 * other work never looks dead, short enough for a takeover test.
 */
import { createGateway, type Gateway } from '@tickwire/gateway';
import { createServer, MemoryProcessRegistry, MemoryRegistry, type ProcessRegistry, type RoomRegistry, type RoomsOption, type TickwireServer } from '@tickwire/server';
import { systemClock } from '@tickwire/protocol';
import { silent, testRoom } from './game.js';
import { teamsRoom } from './teams-game.js';

/** The deployment's shared secret in these tests (at least 32 bytes). */
export const SECRET = 'the gateway test secret, 32 bytes long';
/** The admin token of every process and the gateway. */
export const ADMIN_TOKEN = 'gateway-test-admin-token-0123456789';

/** The room types every process serves: the test game (created on join) and a session game. */
export function clusterRooms(): RoomsOption {
  return { game: testRoom({ reconnectWindowMs: 30_000 }), teams: teamsRoom() };
}

export interface TestCluster {
  registry: RoomRegistry;
  processes: ProcessRegistry;
  servers: Map<string, TickwireServer>;
  gateway: Gateway;
  /** The gateway's HTTP address. */
  url: string;
  /** Starts one more process. */
  add(id: string, capacity?: { rooms?: number; clients?: number }): Promise<TickwireServer>;
  close(): Promise<void>;
}

/** A gateway and processes `ids` on shared registries (in memory unless given). */
export async function testCluster(ids: readonly string[], shared?: { registry: RoomRegistry; processes: ProcessRegistry }): Promise<TestCluster> {
  const registry = shared?.registry ?? new MemoryRegistry(systemClock);
  const processes = shared?.processes ?? new MemoryProcessRegistry(systemClock);
  const servers = new Map<string, TickwireServer>();
  const add = async (id: string, capacity?: { rooms?: number; clients?: number }) => {
    const server = createServer({
      rooms: clusterRooms(),
      registry,
      processId: id,
      secret: SECRET,
      adminToken: ADMIN_TOKEN,
      cluster: { processes, heartbeatMs: 250, processTtlMs: 3000, ...(capacity ? { capacity } : {}) },
      logger: silent,
      processMetrics: false,
      env: {},
    });
    await server.listen(0, '127.0.0.1');
    servers.set(id, server);
    return server;
  };
  for (const id of ids) await add(id);
  const gateway = createGateway({ processes, rooms: registry, secret: SECRET, adminToken: ADMIN_TOKEN, env: {}, logger: silent, samples: { intervalMs: 100 }, processTimeoutMs: 1000 });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return {
    registry,
    processes,
    servers,
    gateway,
    url,
    add,
    close: async () => {
      await gateway.close();
      await Promise.all([...servers.values()].map((s) => s.close()));
    },
  };
}
