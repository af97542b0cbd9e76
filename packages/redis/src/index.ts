/**
 * Redis adapters for tickwire clusters: the room registry (which process owns which room, under
 * leases with fencing epochs), the process registry (each process's address, capacity, load and
 * liveness) and the message bus between processes. Redis is ephemeral coordination only: nothing
 * that must survive lives only in Redis.
 */
export { RedisRegistry, type RedisRegistryOptions } from './registry.js';
export { RedisProcessRegistry, type RedisProcessRegistryOptions } from './process-registry.js';
export { RedisBus, type RedisBusOptions } from './bus.js';
