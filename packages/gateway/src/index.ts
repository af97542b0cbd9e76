/**
 * @tickwire/gateway: the front door of a tickwire cluster. Players ask it to list, create and
 * join sessions and rooms; it answers with the address of the game process that owns the room
 * and a short-lived join ticket that process checks, and never carries game traffic. It serves
 * the cluster's admin page at /admin. `tickwire gateway` runs one from the environment.
 */
export { Gateway, createGateway, type GatewayOptions } from './gateway.js';
export type { Direction } from './context.js';
export type { ClusterSessions } from './session-routes.js';
export type { Location } from './placement.js';
export type { LoadSample, MonitorOptions } from './monitor.js';
export { startGateway, gatewayEnv, type GatewayEnv, type RunningGateway } from './from-env.js';
