/**
 * The authoritative server: one room definition, served over WebSockets at /ws.
 *
 *   npm start                  # ws://localhost:8080/ws
 *   PORT=9000 HOST=127.0.0.1 npm start
 */
import { createServer, defineRoom, reject } from '@tickwire/server';
import { game } from './shared/protocol.js';

const room = defineRoom({
  protocol: game,
  tickRate: 20, // simulation steps per second
  snapshotRate: 20, // snapshots per second, separately
  onJoin: (room, client) => room.entities.create('ship', { position: { x: 500, y: 500 }, health: { hp: 100 } }),
  onLeave: (room, client) => client.entity && room.entities.remove(client.entity),
  onInput: (room, client, input) => {
    client.data.dx = input.dx;
    client.data.dy = input.dy;
  },
  commands: {
    combat: {
      fire(room, client, { angle }) {
        if (!client.entity) reject('you have no ship');
        room.emit('hit', { target: client.entity.id, damage: 10 });
      },
    },
  },
  systems: [
    (room, dt) => {
      for (const client of room.clients.values()) {
        const ship = client.entity;
        if (!ship) continue;
        ship.position.x += Number(client.data.dx ?? 0) * 200 * dt; // the store tracks what changed
        ship.position.y += Number(client.data.dy ?? 0) * 200 * dt;
      }
    },
  ],
});

const server = createServer({ rooms: room });
const address = await server.listen(Number(process.env.PORT ?? 8080), process.env.HOST);
server.handleSignals(); // graceful shutdown on SIGTERM / SIGINT
console.log(`game server ready at ws://localhost:${address.port}/ws (npm run client joins it)`);
