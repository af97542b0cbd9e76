/**
 * What really happened on the server, recorded by a room system every tick: each ship's position,
 * when each entity was removed, and when a ship was teleported (a respawn). The feel meter
 * compares what the client draws with this. It runs inside the room, as the last system, so a
 * tick's record is the state that tick's snapshot carries.
 */
import type { ArenaDefinition, ArenaRoom } from './types.js';

/** A jump of more than this many ticks' worth of top speed in one tick is a teleport. */
const TELEPORT_TICKS = 3;

export class Truth {
  /** Ship positions by entity id, by tick. */
  private readonly ships = new Map<number, Map<number, [number, number]>>();
  /** Server-clock time each entity was removed at. */
  readonly removedAt = new Map<number, number>();
  /** Teleports (respawns) by entity id: server-clock times. */
  readonly teleports = new Map<number, number[]>();
  private readonly teleportTicks = new Map<number, number[]>();
  private alive = new Set<number>();
  /** The last tick recorded. */
  tick = 0;

  constructor(
    private readonly now: () => number,
    private readonly maxStep: number,
  ) {}

  /** The room system: call once per tick, after every other system. */
  record(room: ArenaRoom): void {
    this.tick = room.tick;
    const alive = new Set<number>();
    for (const e of room.entities.all()) alive.add(e.id);
    for (const id of this.alive) if (!alive.has(id)) this.removedAt.set(id, this.now());
    this.alive = alive;
    for (const s of room.entities.ofType('ship')) {
      let m = this.ships.get(s.id);
      if (!m) this.ships.set(s.id, (m = new Map()));
      const last = m.get(room.tick - 1);
      if (last && Math.hypot(s.position.x - last[0], s.position.y - last[1]) > this.maxStep * TELEPORT_TICKS) {
        push(this.teleports, s.id, this.now());
        push(this.teleportTicks, s.id, room.tick);
      }
      m.set(room.tick, [s.position.x, s.position.y]);
    }
  }

  /** A ship's position at a (fractional) tick, interpolated between the recorded ticks. */
  at(id: number, tick: number): [number, number] | undefined {
    const m = this.ships.get(id);
    const a = m?.get(Math.floor(tick));
    const b = m?.get(Math.floor(tick) + 1);
    if (!a || !b) return a;
    const f = tick - Math.floor(tick);
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
  }

  /** A ship's latest recorded position and its motion over the last tick. */
  latest(id: number): { x: number; y: number; vx: number; vy: number } | undefined {
    const m = this.ships.get(id);
    const p = m?.get(this.tick);
    if (!p) return undefined;
    const q = m!.get(this.tick - 1) ?? p;
    return { x: p[0], y: p[1], vx: p[0] - q[0], vy: p[1] - q[1] };
  }

  /** Whether a ship teleported between two (fractional) ticks: its path there is a jump by design. */
  teleportedWithin(id: number, from: number, to: number): boolean {
    return (this.teleportTicks.get(id) ?? []).some((t) => t >= Math.floor(from) && t <= Math.ceil(to));
  }

  /** Whether an entity is alive on the server now. */
  isAlive(id: number): boolean {
    return this.alive.has(id);
  }
}

function push(m: Map<number, number[]>, id: number, v: number): void {
  const list = m.get(id);
  if (list) list.push(v);
  else m.set(id, [v]);
}

/** The arena's room with extra systems appended (they run after the game's own). */
export function withSystems(base: ArenaDefinition, ...extra: NonNullable<ArenaDefinition['systems']>): ArenaDefinition {
  return { ...base, systems: [...(base.systems ?? []), ...extra] };
}
