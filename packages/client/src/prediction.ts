/**
 * Client-side prediction and reconciliation of the entity this client plays.
 *
 * Each input is applied locally, through the game's shared step, the moment it is sent. When a
 * snapshot arrives with the server's exact state after input N (the room must enable
 * `sendOwnState`), the prediction restarts from that state and replays the inputs after N. If
 * the replayed state differs from what was predicted, the difference is a correction: small ones
 * are blended out of the rendered position over `blendMs`, large ones (beyond `snapDistance`
 * units or `snapAngle` radians) snap. With the same step and quantization on both sides, a
 * prediction the server agrees with produces no correction at all.
 *
 * Rollback (racing-style games, seed 003): with `remotes`, other players' entities are not shown
 * in the interpolated past but simulated at the present with the local one. Each snapshot rolls
 * them back to their authoritative state and re-simulates them, interleaved with the local
 * replay, up to now; each local input steps them once more. Contact between players is then
 * resolved on positions that are all current, and remote corrections blend like local ones.
 */
import { copyValues, quantize, valuesFromWire, type EntityTypeInfo, type EntityTypeName, type EntityValuesOf, type GameProtocol, type InputOf, type MutableValues, type OwnState, type Step } from '@tickwire/protocol';

export interface PredictionOptions<P extends GameProtocol, T extends EntityTypeName<P>, W> {
  /** The entity type this client plays. */
  type: T;
  /** The shared step (the same function the server runs per input). */
  step: Step<P, T, W>;
  /** The world the step reads (walls, map size...), built from the replicated view. */
  world?: () => W;
  /** Errors at or above this distance (world units) snap instead of blending (default 50). */
  snapDistance?: number;
  /** Angle errors at or above this (radians) snap (default 0.1). */
  snapAngle?: number;
  /** Time over which a small correction is blended out (default 100 ms). */
  blendMs?: number;
  /** Unacknowledged inputs kept for replay (default 128); older ones are dropped. */
  maxHistory?: number;
  /**
   * Rollback: also simulate remote entities of these types at the present, with a step that
   * needs no input (it extrapolates from their state: velocity, last known controls...).
   */
  remotes?: {
    types: readonly EntityTypeName<P>[];
    step: (state: MutableValues<EntityValuesOf<P, EntityTypeName<P>>>, dt: number, world: W) => void;
  };
}

/** A remote entity's authoritative state as of the newest snapshot (for rollback). */
export interface RemoteSource {
  id: number;
  type: EntityTypeInfo;
  values: Record<string, Record<string, unknown>>;
}

interface Remote {
  type: EntityTypeInfo;
  state: Bag;
  previous: Bag;
  offset: Map<string, number>;
  offsetAt: number;
  render: Bag;
}

export interface PredictionStats {
  /** Reconciliations that found the prediction wrong. */
  corrections: number;
  /** Size of the last correction (world units; angles count as radians). */
  lastCorrection: number;
  /** Corrections that snapped. */
  snaps: number;
  /** Inputs replayed in total. */
  replayed: number;
}

interface Pending<I> {
  seq: number;
  input: I;
}

type Bag = Record<string, Record<string, unknown>>;

interface NumericField {
  component: string;
  name: string;
  angle: boolean;
}

export class Predictor<P extends GameProtocol, T extends EntityTypeName<P>, W = unknown> {
  /** The predicted state after the last input sent (undefined until the first own state arrives). */
  state: EntityValuesOf<P, T> | undefined;
  /** What to draw: the prediction, eased between steps and with corrections blended out. */
  readonly render: EntityValuesOf<P, T>;
  readonly stats: PredictionStats = { corrections: 0, lastCorrection: 0, snaps: 0, replayed: 0 };
  /** Called after each reconciliation with the correction's size (0 when the server agreed). */
  onCorrection: ((size: number, snapped: boolean, at: number) => void) | null = null;
  private previous: EntityValuesOf<P, T> | undefined;
  private readonly pending: Pending<InputOf<P>>[] = [];
  private readonly offset = new Map<string, number>();
  private offsetAt = 0;
  private stepAt = 0;
  private readonly fields: NumericField[];
  private readonly remoteStates = new Map<number, Remote>();
  private readonly snapDistance: number;
  private readonly snapAngle: number;
  private readonly blendMs: number;
  private readonly maxHistory: number;

  constructor(
    readonly entityType: EntityTypeInfo,
    private readonly options: PredictionOptions<P, T, W>,
    private readonly dt: number,
    private readonly tickMs: number,
  ) {
    this.snapDistance = options.snapDistance ?? 50;
    this.snapAngle = options.snapAngle ?? 0.1;
    this.blendMs = options.blendMs ?? 100;
    this.maxHistory = options.maxHistory ?? 128;
    this.fields = entityType.fields
      .filter((f) => f.type.kind === 'float' || f.type.kind === 'angle')
      .map((f) => ({ component: f.component, name: f.name, angle: f.type.kind === 'angle' }));
    const render: Bag = {};
    for (const c of entityType.components) render[c.name] = {};
    this.render = render as EntityValuesOf<P, T>;
  }

  private world(): W {
    return (this.options.world ? this.options.world() : undefined) as W;
  }

  private run(state: EntityValuesOf<P, T>, input: InputOf<P>): void {
    // The predictor owns its state objects: the step may write them.
    this.options.step(state as MutableValues<EntityValuesOf<P, T>>, input, this.dt, this.world());
    quantize(this.entityType, state);
  }

  /** Applies an input the moment it is sent (and, with rollback, steps the remotes once). */
  apply(seq: number, input: InputOf<P>, now: number): void {
    this.pending.push({ seq, input });
    if (this.pending.length > this.maxHistory) this.pending.shift();
    if (!this.state) return;
    this.previous = copyValues(this.state);
    for (const r of this.remoteStates.values()) r.previous = copyValues(r.state);
    this.run(this.state, input);
    this.stepRemotes();
    this.stepAt = now;
  }

  private stepRemotes(): void {
    const remotes = this.options.remotes;
    if (!remotes) return;
    for (const r of this.remoteStates.values()) {
      remotes.step(r.state as MutableValues<EntityValuesOf<P, EntityTypeName<P>>>, this.dt, this.world());
      quantize(r.type, r.state);
    }
  }

  /** The entity types simulated at the present under rollback (undefined: none). */
  get rollbackTypes(): readonly string[] | undefined {
    return this.options.remotes?.types;
  }

  /** Remote entities simulated at the present (rollback), by id. */
  get remotes(): ReadonlyMap<number, { readonly state: Record<string, Record<string, unknown>> }> {
    return this.remoteStates;
  }

  /** What to draw for a remote entity under rollback (undefined if it is not simulated). */
  remoteRender(id: number): Record<string, Record<string, unknown>> | undefined {
    return this.remoteStates.get(id)?.render;
  }

  /**
   * Rolls the remotes back to their authoritative state and re-simulates them over the
   * unacknowledged inputs, interleaved with the local replay (called from reconcile).
   */
  private rollback(sources: Iterable<RemoteSource>, authoritative: Bag, now: number): void {
    const fresh = new Map<number, Remote>();
    for (const src of sources) {
      const old = this.remoteStates.get(src.id);
      const state = copyValues(src.values);
      fresh.set(src.id, { type: src.type, state, previous: old?.previous ?? copyValues(state), offset: old?.offset ?? new Map(), offsetAt: old?.offsetAt ?? now, render: old?.render ?? copyValues(state) });
    }
    const before = new Map([...this.remoteStates].map(([id, r]) => [id, r.state]));
    this.remoteStates.clear();
    for (const [id, r] of fresh) this.remoteStates.set(id, r);
    // Local replay and remote re-simulation advance together, one input at a time.
    for (const p of this.pending) {
      this.run(authoritative as EntityValuesOf<P, T>, p.input);
      this.stepRemotes();
    }
    for (const [id, r] of this.remoteStates) {
      const prior = before.get(id);
      if (!prior) continue;
      const keep = this.blendMs <= 0 ? 0 : Math.max(0, 1 - (now - r.offsetAt) / this.blendMs);
      for (const f of this.fieldsOf(r.type)) {
        const key = `${f.component}.${f.name}`;
        const delta = this.delta(f, r.state[f.component]![f.name] as number, prior[f.component]![f.name] as number);
        r.offset.set(key, (r.offset.get(key) ?? 0) * keep + delta);
        const pv = r.previous[f.component]!;
        pv[f.name] = (pv[f.name] as number) - delta;
      }
      r.offsetAt = now;
    }
  }

  private fieldsOf(type: EntityTypeInfo): NumericField[] {
    return type.fields
      .filter((f) => f.type.kind === 'float' || f.type.kind === 'angle')
      .map((f) => ({ component: f.component, name: f.name, angle: f.type.kind === 'angle' }));
  }

  /**
   * Reconciles with the server's exact state after input `ackInput`; with rollback, `remotes`
   * are the other entities' authoritative states from the same snapshot.
   */
  reconcile(ackInput: number, own: OwnState, now: number, remotes: Iterable<RemoteSource> = []): void {
    while (this.pending.length > 0 && this.pending[0]!.seq <= ackInput) this.pending.shift();
    const authoritative = valuesFromWire<P, T>(own.type, own.wire);
    if (this.options.remotes) this.rollback(remotes, authoritative as Bag, now);
    else for (const p of this.pending) this.run(authoritative, p.input);
    this.stats.replayed += this.pending.length;
    const before = this.state;
    this.state = authoritative;
    if (!before) {
      this.previous = copyValues(authoritative);
      this.onCorrection?.(0, false, now);
      return;
    }
    const { distance, angle } = this.difference(before, authoritative);
    if (distance === 0 && angle === 0) {
      this.onCorrection?.(0, false, now);
      return;
    }
    this.stats.corrections++;
    this.stats.lastCorrection = Math.max(distance, angle);
    const snap = distance >= this.snapDistance || angle >= this.snapAngle;
    this.decay(now);
    const b = before as Bag;
    const a = authoritative as Bag;
    for (const f of this.fields) {
      const key = `${f.component}.${f.name}`;
      const delta = snap ? 0 : this.delta(f, a[f.component]![f.name] as number, b[f.component]![f.name] as number);
      this.offset.set(key, snap ? 0 : (this.offset.get(key) ?? 0) + delta);
    }
    if (snap) {
      this.stats.snaps++;
      this.previous = copyValues(authoritative);
    } else if (this.previous) {
      // Shift the easing origin by the same correction so it carries no jump either.
      const p = this.previous as Bag;
      for (const f of this.fields) {
        const d = this.delta(f, b[f.component]![f.name] as number, a[f.component]![f.name] as number);
        p[f.component]![f.name] = (p[f.component]![f.name] as number) + d;
      }
    }
    this.onCorrection?.(this.stats.lastCorrection, snap, now);
  }

  private delta(f: NumericField, from: number, to: number): number {
    let d = to - from;
    if (f.angle) {
      d = d % (2 * Math.PI);
      if (d > Math.PI) d -= 2 * Math.PI;
      if (d < -Math.PI) d += 2 * Math.PI;
    }
    return d;
  }

  /** Positional distance (float fields) and largest angle difference between two states. */
  private difference(x: EntityValuesOf<P, T>, y: EntityValuesOf<P, T>): { distance: number; angle: number } {
    let sq = 0;
    let angle = 0;
    const a = x as Bag;
    const b = y as Bag;
    for (const f of this.fields) {
      const d = this.delta(f, a[f.component]![f.name] as number, b[f.component]![f.name] as number);
      if (f.angle) angle = Math.max(angle, Math.abs(d));
      else sq += d * d;
    }
    return { distance: Math.sqrt(sq), angle };
  }

  /** Share of a correction still to blend out at `now`: linear from 1 to 0 over blendMs. */
  private remaining(now: number): number {
    return this.blendMs <= 0 ? 0 : Math.max(0, 1 - (now - this.offsetAt) / this.blendMs);
  }

  /** Re-bases the offsets at `now` (before a new correction is added to them). */
  private decay(now: number): void {
    const keep = this.remaining(now);
    for (const [k, v] of this.offset) this.offset.set(k, v * keep);
    this.offsetAt = now;
  }

  /** The largest correction still being blended out at `now` (world units); 0 once converged. */
  residual(now: number): number {
    const keep = this.remaining(now);
    let m = 0;
    for (const v of this.offset.values()) m = Math.max(m, Math.abs(v * keep));
    return m;
  }

  /** Inputs sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.pending.length;
  }

  /**
   * Updates `render` for time `now`: the prediction eased from the previous step to the last
   * one over a tick, plus what is left of the correction offset.
   */
  update(now: number): EntityValuesOf<P, T> | undefined {
    const state = this.state as Bag | undefined;
    if (!state) return undefined;
    const keep = this.remaining(now);
    const prev = (this.previous ?? this.state) as Bag;
    const alpha = this.tickMs > 0 ? Math.min(1, Math.max(0, (now - this.stepAt) / this.tickMs)) : 1;
    const out = this.render as Bag;
    for (const [c, values] of Object.entries(state)) out[c] = { ...values };
    for (const f of this.fields) {
      const cur = state[f.component]![f.name] as number;
      const from = prev[f.component]![f.name] as number;
      const v = from + this.delta(f, from, cur) * alpha + (this.offset.get(`${f.component}.${f.name}`) ?? 0) * keep;
      out[f.component]![f.name] = f.angle ? ((v % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI) : v;
    }
    for (const r of this.remoteStates.values()) {
      const rkeep = this.blendMs <= 0 ? 0 : Math.max(0, 1 - (now - r.offsetAt) / this.blendMs);
      for (const [c, values] of Object.entries(r.state)) r.render[c] = { ...values };
      for (const f of this.fieldsOf(r.type)) {
        const cur = r.state[f.component]![f.name] as number;
        const from = r.previous[f.component]![f.name] as number;
        const v = from + this.delta(f, from, cur) * alpha + (r.offset.get(`${f.component}.${f.name}`) ?? 0) * rkeep;
        r.render[f.component]![f.name] = f.angle ? ((v % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI) : v;
      }
    }
    return this.render;
  }
}
