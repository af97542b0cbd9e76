/**
 * The names and messages the benchmark's parts share: systems, transports, workloads, what a
 * worker of the load generator is told and what it reports.
 */
import type { ClientRecording } from './replay.js';

/**
 * What serves the clients: tickwire; Colyseus sending everyone everything (as it is usually
 * run); Colyseus filtering each client's view with StateView (where the workload filters); and
 * raw, a plain server replaying tickwire's frames.
 */
export type System = 'tickwire' | 'colyseus' | 'colyseus-view' | 'raw';
/** The WebSocket server under every system: `ws` (node:http) or uWebSockets.js. */
export type Transport = 'ws' | 'uws';
export type Workload = 'arena' | 'open-world' | 'rooms' | 'bridge';

export const SYSTEMS: readonly System[] = ['tickwire', 'colyseus', 'colyseus-view', 'raw'];
export const TRANSPORTS: readonly Transport[] = ['ws', 'uws'];
export const WORKLOADS: readonly Workload[] = ['arena', 'open-world', 'rooms', 'bridge'];

/** One system on one transport: what a run measures. */
export interface Contender {
  system: System;
  transport: Transport;
}

/** The Colyseus systems. */
export const isColyseus = (s: System): boolean => s === 'colyseus' || s === 'colyseus-view';

/** Everything a worker needs to run its share of the clients. */
export interface WorkerConfig {
  system: System;
  workload: Workload;
  /** tickwire: ws://host:port/ws; colyseus(-view): http://host:port; raw: ws://host:port/ */
  url: string;
  /** The map's side (it selects tickwire's protocol). */
  mapSize: number;
  /** Global client indices this worker runs. */
  indices: number[];
  /** Record what each client receives and sends in the window (tickwire, for the raw replay). */
  record: boolean;
  /** Run a probe: this worker's first client decodes the state and counts what it sees. */
  probe: boolean;
  /** Raw clients: each client's recording (aligned with `indices`) and the loop period. */
  replay?: { periodMs: number; clients: ClientRecording[] };
}

/** Down and up traffic of one client, or summed over clients. Bytes include WebSocket framing. */
export interface Traffic {
  downBytes: number;
  downFrames: number;
  snapshots: number;
  upBytes: number;
  upFrames: number;
}

export const noTraffic = (): Traffic => ({ downBytes: 0, downFrames: 0, snapshots: 0, upBytes: 0, upFrames: 0 });

/** A worker's account of the measured window. */
export interface WorkerReport {
  clients: number;
  /** Clients that closed during the window. */
  closed: number;
  /** Summed over clients, over the window. */
  traffic: Traffic;
  /** Fewest snapshots a single client got in the window. */
  minSnapshots: number;
  /** Input rounds due in the window, started more than half an input interval late, or skipped. */
  rounds: number;
  lateRounds: number;
  maxLateMs: number;
  /** Event-loop delay over the window (ms). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Probe: entities (players) it had in view, mean over its snapshots. */
  probeEntities?: number;
  /** tickwire runs: what each client got and sent, aligned with the worker's indices. */
  recording?: ClientRecording[];
}

export type ToWorker = { type: 'mark' } | { type: 'report' } | { type: 'stop' };

export type FromWorker =
  | { type: 'progress'; joined: number; failed: number }
  | { type: 'joined'; joined: number; failed: number; error?: string }
  | { type: 'marked' }
  | { type: 'report'; report: WorkerReport }
  | { type: 'stopped' };
