/**
 * What the runtime reports as it runs. Rooms and connections call these; the Prometheus
 * metrics implement them. A narrow interface keeps the hot path free of metric-library calls
 * it does not need and lets tests count events directly.
 */
export interface RoomStats {
  tickDuration(ms: number): void;
  ticksDropped(n: number): void;
  snapshotSent(bytes: number, full: boolean): void;
  snapshotSkipped(): void;
  error(code: number): void;
  /** Game code threw in a hook (the room's fault boundary caught it). */
  gameFault(hook: string): void;
}

export interface ServerStats extends RoomStats {
  bytesIn(n: number): void;
  bytesOut(n: number): void;
}
