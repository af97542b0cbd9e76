/**
 * A player in Node: joins room "abc", steers its ship right until it has moved, fires once and
 * waits for the hit the room broadcasts, then leaves. In a browser the same code imports
 * `connect` from '@tickwire/client' and draws `entity.render` every animation frame.
 *
 *   npm run client                         # ws://localhost:8080/ws
 *   npm run client -- ws://example.com/ws
 */
import { connect } from '@tickwire/client/node';
import { game } from './shared/protocol.js';

const url = process.argv[2] ?? 'ws://localhost:8080/ws';
const room = await connect({ url, room: 'abc', name: 'ada', protocol: game });
console.log(`joined room ${room.code} as client ${room.clientId}`);

// A server that stops answering must not leave this script waiting for ever.
const giveUp = setTimeout(() => {
  console.error('nothing happened for 10 s: is the server running the starter game?');
  process.exit(1);
}, 10_000);

// Steer right, one input per snapshot, until our ship has moved 20 units.
let startX: number | undefined;
await new Promise<void>((moved) => {
  room.on('snapshot', () => {
    const x = room.entity?.state.position.x;
    if (x === undefined) return;
    startX ??= x;
    if (x - startX >= 20) moved();
    else room.sendInput({ dx: 1, dy: 0 });
  });
});
console.log(`my ship moved from x=${startX} to x=${room.entity?.state.position.x.toFixed(1)}`);

const hit = new Promise<void>((resolve) =>
  room.on('event', (e) => {
    if (e.name !== 'hit') return;
    console.log(`event hit: ship ${e.payload.target} took ${e.payload.damage} damage`); // the name narrows the payload
    resolve();
  }),
);
await room.sendCommand('combat', 'fire', { angle: 0 }); // rejects with a TickwireError if refused
await hit;

clearTimeout(giveUp);
room.leave();
console.log('left the room');
