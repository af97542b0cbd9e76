/**
 * The authoritative server: one room definition, served over WebSockets at /ws.
 *
 *   npm start                  # ws://localhost:8080/ws
 *   PORT=9000 HOST=127.0.0.1 npm start
 */
import { createServer, defineRoom, reject } from '@tickwire/server';
import { game } from './shared/protocol.js';

/** What the server keeps for each player beside their ship (never sent to anyone). */
interface Pilot {
  dx: number;
  dy: number;
}

const room = defineRoom({
  protocol: game,
  tickRate: 20, // simulation steps per second
  snapshotRate: 20, // snapshots per second, separately
  createOnJoin: true, // the first player to join a code opens that room
  data: (): Pilot => ({ dx: 0, dy: 0 }), // each player's own state: player.data in every handler

  onJoin: (room, player) => room.entities.create('ship', { position: { x: 500, y: 500 }, health: { hp: 100 } }),
  onLeave: (room, player) => player.entity && room.entities.remove(player.entity),
  onInput: (room, player, input) => {
    player.data.dx = input.dx; // input: { dx: number; dy: number }, from the protocol
    player.data.dy = input.dy;
  },
  commands: {
    combat: {
      fire(room, player, { angle }) {
        if (!player.entity) reject('you have no ship'); // the client's sendCommand rejects with this
        room.emit('hit', { target: player.entity.id, damage: 10 }); // checked against events.hit
      },
    },
  },
  systems: [
    (room, dt) => {
      for (const player of room.clients.values()) {
        const ship = player.entity;
        if (!ship) continue;
        ship.position.x += player.data.dx * 200 * dt; // the store tracks what changed
        ship.position.y += player.data.dy * 200 * dt;
      }
    },
  ],
});

const server = createServer({ rooms: room });
const address = await server.listen(Number(process.env.PORT ?? 8080), process.env.HOST);
server.handleSignals(); // graceful shutdown on SIGTERM / SIGINT
console.log(`game server ready at ws://localhost:${address.port}/ws (npm run client joins it)`);
