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
  /** A snapshot carried the view digest (docs/protocol.md 8.6). */
  viewDigestSent(): void;
  /** A client asked for a full snapshot (an ACK of 0: its view was lost, wrong, or missed a snapshot). */
  fullSnapshotRequested(): void;
  error(code: number): void;
  /** Game code threw in a hook (the room's fault boundary caught it). */
  gameFault(hook: string): void;
}

export interface ServerStats extends RoomStats {
  bytesIn(n: number): void;
  bytesOut(n: number): void;
}
