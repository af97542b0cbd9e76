/**
 * The connection lifecycle as a pure transition function (diagram in docs/protocol.md):
 *
 *   handshake --hello--> authenticating --admitted--> joined --leave|close--> closed
 *       |                     |--refused--> closed
 *       |--timeout|close|fatal--> closed
 *
 * Frames other than HELLO are refused with NOT_JOINED before `joined`; a second HELLO after
 * it is refused with ALREADY_JOINED.
 */
export type ConnectionState = 'handshake' | 'authenticating' | 'joined' | 'closed';
export type ConnectionEvent = 'hello' | 'admitted' | 'refused' | 'leave' | 'close' | 'timeout' | 'fatal';

const table: Record<ConnectionState, Partial<Record<ConnectionEvent, ConnectionState>>> = {
  handshake: { hello: 'authenticating', timeout: 'closed', close: 'closed', fatal: 'closed' },
  authenticating: { admitted: 'joined', refused: 'closed', timeout: 'closed', close: 'closed', fatal: 'closed' },
  joined: { leave: 'closed', close: 'closed', fatal: 'closed' },
  closed: {},
};

/** The next state, or undefined when the event is not allowed in `state`. */
export function transition(state: ConnectionState, event: ConnectionEvent): ConnectionState | undefined {
  return table[state][event];
}
