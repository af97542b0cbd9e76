/**
 * The game's protocol, declared once and imported by the server, the client and the bot: the
 * entities and components that are replicated, the input a player sends every frame, the
 * commands it may ask for and the events the room broadcasts.
 */
import { defineProtocol, t } from '@tickwire/protocol';

export const game = defineProtocol({
  name: 'my-game',
  components: {
    position: {
      // quantized to 0.1 units; sent as key frames along their velocity
      x: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
      y: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
    },
    health: { hp: t.uint({ max: 100 }) },
  },
  entities: { ship: ['position', 'health'] },
  input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) },
  commands: { combat: { fire: { angle: t.angle({ bits: 10 }) } } },
  events: { hit: { target: t.ref(), damage: t.uint(8) } },
});
