/**
 * tickwire's room for every workload: ships driven by their client's latest input under the
 * shared rules (rules.ts), on the scene's protocol; the open world adds relevance.
 */
import { seededRandom } from '@tickwire/protocol';
import { defineRoom, type Room, type RoomDefinition } from '@tickwire/server';
import type { Scene, Steer } from '../scene.js';
import { worldProtocol } from './protocols.js';
import { openWorldRelevance } from './relevance.js';
import { advance, RATE_HZ, spawn, SPAWN_SEED } from './rules.js';

/** What the server process reports about its rooms. */
export interface RoomCounters {
  /** Inputs applied (onInput calls), all rooms. */
  inputs: number;
  /** Every ship's position now, per room (for the open world's neighbour check). */
  positions: Map<BenchRoom, () => { x: number; y: number }[]>;
}

type BenchState = { random: () => number };
type BenchRoom = Room<Scene, BenchState, Steer>;

export interface BenchRoomOptions {
  /** The map's side. */
  size: number;
  /** Filter by relevance (the open world). */
  relevance: boolean;
  counters: RoomCounters;
}

export function benchRoom(o: BenchRoomOptions): RoomDefinition<Scene, BenchState, Steer> {
  const size = o.size;
  return defineRoom({
    protocol: worldProtocol(size),
    createOnJoin: true,
    data: (): Steer => ({ dx: 0, dy: 0 }),
    tickRate: RATE_HZ,
    snapshotRate: RATE_HZ,
    maxClients: 10_000,
    reconnectWindowMs: 0,
    setup(room): BenchState {
      o.counters.positions.set(room, () => [...room.entities.ofType('ship')].map((s) => ({ x: s.position.x, y: s.position.y })));
      return { random: seededRandom(SPAWN_SEED) };
    },
    onDispose(room) {
      o.counters.positions.delete(room);
    },
    onJoin(room) {
      const at = spawn(room.state.random, size);
      return room.entities.create('ship', { position: at, heading: { angle: 0 }, health: { hp: 100 } });
    },
    onLeave(room, client) {
      if (client.entity) room.entities.remove(client.entity);
    },
    onInput(_room, client, input) {
      o.counters.inputs++;
      client.data.dx = input.dx;
      client.data.dy = input.dy;
    },
    systems: [
      (room, dt) => {
        for (const client of room.clients.values()) {
          const ship = client.entity;
          if (!ship) continue;
          const next = advance(
            { x: ship.position.x, y: ship.position.y, angle: ship.heading.angle },
            client.data.dx,
            client.data.dy,
            dt,
            size,
          );
          ship.position.x = next.x;
          ship.position.y = next.y;
          ship.heading.angle = next.angle;
        }
      },
    ],
    ...(o.relevance ? openWorldRelevance : {}),
  });
}
