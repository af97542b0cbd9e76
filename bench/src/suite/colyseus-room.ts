/**
 * The same game written for Colyseus 0.18 the way its users write it: a Schema state with a
 * MapSchema of players keyed by session id, inputs through `onMessage`, movement in
 * `setSimulationInterval`, patches at the room's patch rate, and no filtering (every client
 * gets every player, as most games run it). The rules are rules.ts, shared with tickwire.
 */
import { Room, type Client } from '@colyseus/core';
import { schema, t, type SchemaType } from '@colyseus/schema';
import { seededRandom } from '@tickwire/protocol';
import { advance, RATE_HZ, spawn, SPAWN_SEED, type Steer } from './rules.js';

// Schema 5's t.number() has no default value: give every field one.
export const Player = schema(
  {
    x: t.number().default(0),
    y: t.number().default(0),
    angle: t.number().default(0),
    hp: t.uint8().default(100),
  },
  'Player',
);
export type Player = SchemaType<typeof Player>;

export const ArenaState = schema({ players: t.map(Player) }, 'ArenaState');
export type ArenaState = SchemaType<typeof ArenaState>;

/** What the server process reports about its room. */
export interface ColyseusCounters {
  clients: number;
  inputs: number;
  /** Every player's position now, per room (for the open world's neighbour check). */
  positions: Map<Room, () => { x: number; y: number }[]>;
}

export const ROOM_NAME = 'arena';

/** The room class for a map of side `size`; `counters` is updated as clients come and go. */
export function colyseusArena(size: number, counters: ColyseusCounters) {
  return class ArenaRoom extends Room<{ state: ArenaState }> {
    override maxClients = 10_000;
    override state = new ArenaState();
    private readonly steering = new Map<string, Steer>();
    private readonly random = seededRandom(SPAWN_SEED);

    override onCreate(): void {
      counters.positions.set(this, () => [...this.state.players.values()].map((p) => ({ x: p.x, y: p.y })));
      this.setPatchRate(1000 / RATE_HZ);
      this.onMessage('input', (client: Client, input: Steer) => {
        counters.inputs++;
        this.steering.set(client.sessionId, { dx: Number(input.dx) || 0, dy: Number(input.dy) || 0 });
      });
      this.setSimulationInterval((deltaTime) => this.update(deltaTime / 1000), 1000 / RATE_HZ);
    }

    override onJoin(client: Client): void {
      const player = new Player();
      const at = spawn(this.random, size);
      player.x = at.x;
      player.y = at.y;
      this.state.players.set(client.sessionId, player);
      counters.clients++;
    }

    override onLeave(client: Client): void {
      this.state.players.delete(client.sessionId);
      this.steering.delete(client.sessionId);
      counters.clients--;
    }

    override onDispose(): void {
      counters.positions.delete(this);
    }

    private update(dt: number): void {
      this.state.players.forEach((player, sessionId) => {
        const input = this.steering.get(sessionId);
        if (!input) return;
        const next = advance(player, input.dx, input.dy, dt, size);
        player.x = next.x;
        player.y = next.y;
        player.angle = next.angle;
      });
    }
  };
}
