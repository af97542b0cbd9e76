/**
 * @tickwire/protocol: the wire format, pure and portable (no Node APIs).
 *
 * Declare a game's protocol with {@link defineProtocol} and field types from {@link t}; the
 * server and the client SDK both take the result.
 */
export * from './bits.js';
export * from './errors.js';
export * from './types.js';
export * from './schema.js';
export * from './messages.js';
export type { InputHead, InputStore } from './input-message.js';
export * from './session-messages.js';
export * from './snapshot.js';
export * from './digest.js';
export * from './clock.js';
export * from './transport.js';
export * from './random.js';
export * from './conditioner.js';
export * from './simulation.js';
export * from './text.js';
