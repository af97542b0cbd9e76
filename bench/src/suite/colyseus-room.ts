/**
 * The same game written for Colyseus 0.18 the way its users write it: a Schema state with a
 * MapSchema of players keyed by session id, inputs through `onMessage`, movement in
 * `setSimulationInterval`, patches at the room's patch rate. As most games run it, every client
 * gets every player; with `view`, the players' map is tagged `.view()` and each client's
 * StateView holds the players within the view radius (colyseus-view.ts), updated every tick.
 * The rules are rules.ts, shared with tickwire.
 */
import { Room, type Client } from '@colyseus/core';
import { schema, StateView, t, type SchemaType } from '@colyseus/schema';
import { seededRandom } from '@tickwire/protocol';
import { ViewGrid, Visibility } from './colyseus-view.js';
import { advance, RATE_HZ, spawn, SPAWN_SEED, VIEW_RADIUS, type Steer } from './rules.js';

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

/** The same state for StateView: a client receives only the players its view holds. */
export const ViewState = schema({ players: t.map(Player).view() }, 'ViewState');

/** What the server process reports about its room. */
export interface ColyseusCounters {
  clients: number;
  inputs: number;
  /** Simulation steps run, all rooms. */
  ticks: number;
  /** Every player's position now, per room (for the open world's neighbour check). */
  positions: Map<Room, () => { x: number; y: number }[]>;
}

export const ROOM_NAME = 'arena';

export interface ColyseusArenaOptions {
  /** The map's side. */
  size: number;
  /** Filter each client's view to the players within the view radius (StateView). */
  view: boolean;
  counters: ColyseusCounters;
}

/** The room class for a map of side `size`; `counters` is updated as clients come and go. */
export function colyseusArena(o: ColyseusArenaOptions) {
  const { size, counters } = o;
  return class ArenaRoom extends Room<{ state: ArenaState }> {
    override maxClients = 10_000;
    override state: ArenaState = o.view ? new ViewState() : new ArenaState();
    private readonly steering = new Map<string, Steer>();
    private readonly random = seededRandom(SPAWN_SEED);
    private readonly grid = new ViewGrid<Player>(VIEW_RADIUS);
    private readonly views = new Map<string, Visibility<Player>>();

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
      // A view takes only instances already in the state.
      if (o.view) {
        const view = new StateView();
        client.view = view;
        this.views.set(client.sessionId, new Visibility<Player>(view, player));
      }
      counters.clients++;
    }

    override onLeave(client: Client): void {
      const player = this.state.players.get(client.sessionId);
      this.state.players.delete(client.sessionId);
      this.steering.delete(client.sessionId);
      this.views.delete(client.sessionId);
      if (player) for (const v of this.views.values()) v.forget(player);
      counters.clients--;
    }

    override onDispose(): void {
      counters.positions.delete(this);
    }

    private update(dt: number): void {
      counters.ticks++;
      this.state.players.forEach((player, sessionId) => {
        const input = this.steering.get(sessionId);
        if (!input) return;
        const next = advance(player, input.dx, input.dy, dt, size);
        player.x = next.x;
        player.y = next.y;
        player.angle = next.angle;
      });
      if (this.views.size === 0) return;
      this.grid.rebuild(this.state.players.values());
      for (const v of this.views.values()) v.update(this.grid);
    }
  };
}
