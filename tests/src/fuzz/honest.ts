/**
 * Honest players during a fuzz run: real SDK clients in the attacked room that steer, shoot
 * now and then, and count the snapshots they receive, so the harness can say what the attack
 * cost the people it was not aimed at. They do not reconnect by themselves: a drop is a finding.
 */
import { connect, type ClientRoom } from '@tickwire/client/node';
import { arena, type Arena } from '@tickwire/arena/protocol';

export interface HonestReport {
  clients: number;
  /** Clients whose connection closed during the run, with the code and reason. */
  disconnected: { name: string; code: number; reason: string }[];
  /** Errors the server sent them (code names). */
  errors: Record<string, number>;
}

export class HonestPlayers {
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  readonly disconnected: { name: string; code: number; reason: string }[] = [];
  readonly errors: Record<string, number> = {};
  private readonly counts: number[];

  private constructor(private readonly rooms: ClientRoom<Arena>[]) {
    this.counts = rooms.map(() => 0);
    rooms.forEach((room, i) => {
      room.on('snapshot', () => this.counts[i]!++);
      room.on('close', ({ code, reason }) => this.disconnected.push({ name: `honest-${i}`, code, reason }));
      room.on('error', (e) => (this.errors[e.codeName] = (this.errors[e.codeName] ?? 0) + 1));
      let heading = i;
      this.timers.push(
        setInterval(() => {
          if (!room.isOpen) return;
          // Circle around: steady input, like a player holding keys.
          heading = (heading + 1) % 80;
          const dir = Math.floor(heading / 20);
          room.sendInput({ dx: dir === 0 ? 1 : dir === 2 ? -1 : 0, dy: dir === 1 ? 1 : dir === 3 ? -1 : 0, aim: heading / 12 });
        }, 50),
        setInterval(() => {
          if (!room.isOpen) return;
          room.sendCommand('combat', 'fire', { angle: Math.random() * 6.28 }).catch(() => undefined);
        }, 700),
      );
    });
  }

  /** Joins `count` players to `room` and waits for each one's first snapshot. */
  static async join(wsUrl: string, room: string, count: number): Promise<HonestPlayers> {
    const rooms: ClientRoom<Arena>[] = [];
    for (let i = 0; i < count; i++) {
      rooms.push(await connect({ url: wsUrl, room, name: `honest-${i}`, protocol: arena, reconnect: false }));
    }
    const players = new HonestPlayers(rooms);
    await Promise.all(rooms.map((r) => new Promise<void>((resolve) => (r.stats.snapshots > 0 ? resolve() : r.once('snapshot', () => resolve())))));
    return players;
  }

  /** Snapshots received so far, per client. */
  snapshots(): number[] {
    return [...this.counts];
  }

  /** All still connected. */
  get allOpen(): boolean {
    return this.rooms.every((r) => r.isOpen);
  }

  report(): HonestReport {
    return { clients: this.rooms.length, disconnected: [...this.disconnected], errors: { ...this.errors } };
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const r of this.rooms) if (r.isOpen) r.disconnect();
  }
}

/** Snapshot counts over a window: per client, and the mean rate per client per second. */
export class RateWindow {
  private readonly start: number[];
  private readonly t0 = performance.now();

  constructor(private readonly players: HonestPlayers) {
    this.start = players.snapshots();
  }

  /** Per-client snapshots since the window opened, and the mean rate (snapshots/s/client). */
  read(): { perClient: number[]; seconds: number; rate: number } {
    const now = this.players.snapshots();
    const perClient = now.map((n, i) => n - this.start[i]!);
    const seconds = (performance.now() - this.t0) / 1000;
    const mean = perClient.reduce((a, b) => a + b, 0) / Math.max(1, perClient.length);
    return { perClient, seconds: round(seconds, 2), rate: round(mean / Math.max(seconds, 1e-9), 2) };
  }
}

export function round(v: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}

export { arena };
