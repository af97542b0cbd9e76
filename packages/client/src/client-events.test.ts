/**
 * The client's `event` callback is typed by the protocol's events: a union over them, so that
 * checking `name` narrows `payload`. These are type assertions, checked by the typecheck (a
 * mismatch, or an `@ts-expect-error` line that compiles, fails it).
 */
import { defineProtocol, t, type EventOf, type EventPayload, type GameProtocol } from '@tickwire/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { ClientRoom, ClientRoomEvents } from './client-room.js';

const game = defineProtocol({
  name: 'events-typing',
  components: { pos: { x: t.uint(8) } },
  entities: { ship: ['pos'] },
  events: {
    hit: { target: t.ref(), damage: t.uint(8) },
    destroyed: { target: t.ref() },
  },
});
type G = typeof game;

/** What a game's client writes; never called, only compiled. */
export function listen(room: ClientRoom<G>, hits: number[]): void {
  room.on('event', (e) => {
    expectTypeOf(e.name).toEqualTypeOf<'hit' | 'destroyed'>();
    if (e.name === 'hit') {
      expectTypeOf(e.payload).toEqualTypeOf<EventPayload<G, 'hit'>>();
      hits.push(e.payload.damage);
    } else {
      expectTypeOf(e.payload).toEqualTypeOf<EventPayload<G, 'destroyed'>>();
      // @ts-expect-error a destroyed event has no damage
      hits.push(e.payload.damage);
    }
    // @ts-expect-error not an event of this protocol
    if (e.name === 'boom') hits.push(0);
  });
}

describe('client event typing', () => {
  it('is a union over the declared events, discriminated by name', () => {
    expectTypeOf<ClientRoomEvents<G>['event']>().toEqualTypeOf<[event: EventOf<G>]>();
    expectTypeOf<EventOf<G>>().toEqualTypeOf<
      { name: 'hit'; payload: EventPayload<G, 'hit'> } | { name: 'destroyed'; payload: EventPayload<G, 'destroyed'> }
    >();
    expectTypeOf<EventPayload<G, 'hit'>['damage']>().toBeNumber();
    expectTypeOf(listen).parameter(0).toEqualTypeOf<ClientRoom<G>>();
  });

  it('stays loose for a protocol not known at compile time', () => {
    expectTypeOf<EventOf<GameProtocol>['name']>().toBeString();
    expectTypeOf<EventOf<GameProtocol>['payload']>().toExtend<Record<string, unknown>>();
  });
});
