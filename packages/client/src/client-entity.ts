/**
 * A replicated entity on the client: its latest authoritative state, and a short history of
 * samples from which `render` values are interpolated.
 *
 * Samples are taken only when the entity changes (plus one "hold" sample at the previous
 * snapshot tick, so a value that was still until the change does not start moving early), so
 * applying a snapshot costs in proportion to what changed. Linear fields are evaluated along
 * their key frame, continuously, up to one snapshot interval past the newest snapshot tick and
 * never beyond: a snapshot late or lost does not stop a moving entity, and when snapshots stop
 * arriving it holds its state rather than running off.
 *
 * In interest-managed rooms an entity can be known only in part: a distant ship arrives with
 * its far tier's fields and gets the rest when it comes nearer. A field the server has not sent
 * yet holds its type's default (the one `entities.create` uses: 0, false, '', the first enum
 * value); `has()` tells the two apart.
 */
import { addDigest, fieldDigest, linearAt, presenceDigest, type EntityTypeInfo, type EntityTypeName, type EntityValuesOf, type GameProtocol, type WireValue } from '@tickwire/protocol';

/**
 * A replicated entity typed by a game protocol: the union of its entity types, so that
 * `if (e.typeName === 'ship') e.render.position.x` type-checks.
 */
export type ClientEntityOf<P extends GameProtocol> = {
  [T in EntityTypeName<P>]: ClientEntity<EntityValuesOf<P, T>, T>;
}[EntityTypeName<P>];

const SAMPLES = 32;
const EMPTY = new Float64Array(0);

export class ClientEntity<V extends Record<string, Record<string, unknown>> = Record<string, Record<string, unknown>>, T extends string = string> {
  /** Latest authoritative values, by component. */
  readonly state: V;
  /** Interpolated values for rendering; updated by `ReplicatedView.interpolate`. */
  readonly render: V;
  readonly wire: WireValue[];
  readonly rates: number[];
  readonly keyTicks: number[];
  /** Bit i set: flat field i holds a value from the server (all bits, unless created partially). */
  received = 0;
  // Allocated on the first sample: headless clients (bots) never interpolate.
  private sampleTicks = EMPTY;
  private samples = EMPTY;
  private sampleCount = 0;
  private sampleHead = 0;

  constructor(
    readonly id: number,
    readonly type: EntityTypeInfo,
  ) {
    const n = type.fields.length;
    this.wire = type.fields.map((f) => f.type.toWire(f.type.defaultValue));
    this.rates = new Array<number>(n).fill(0);
    this.keyTicks = new Array<number>(n).fill(0);
    const state: Record<string, Record<string, unknown>> = {};
    const render: Record<string, Record<string, unknown>> = {};
    for (const c of type.components) {
      state[c.name] = {};
      render[c.name] = {};
    }
    this.state = state as V;
    this.render = render as V;
  }

  /** The entity type's name; compare it to narrow `state` and `render` to that type's components. */
  get typeName(): T {
    return this.type.name as T;
  }

  /** Applies wire values for the fields in `mask` (all fields when mask is -1). */
  apply(mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): void {
    const fields = this.type.fields;
    for (let i = 0; i < fields.length; i++) {
      if (mask !== -1 && (mask & (1 << i)) === 0) continue;
      this.wire[i] = wire[i]!;
      this.rates[i] = rates[i]!;
      this.keyTicks[i] = keyTicks[i]!;
      this.received |= 1 << i;
    }
  }

  /**
   * Sets the entity to what a created record carries: the fields in `mask` (all when -1), and
   * defaults for the rest. A creation is the whole entity as far as this client may know it, so
   * nothing from an earlier life of the id (it left the view and came back) survives it.
   */
  reset(mask: number, wire: readonly WireValue[], rates: readonly number[], keyTicks: readonly number[]): void {
    const fields = this.type.fields;
    this.received = 0;
    for (let i = 0; i < fields.length; i++) {
      if (mask !== -1 && (mask & (1 << i)) === 0) {
        const ft = fields[i]!.type;
        this.wire[i] = ft.toWire(ft.defaultValue);
        this.rates[i] = 0;
        this.keyTicks[i] = 0;
      }
    }
    this.apply(mask, wire, rates, keyTicks);
  }

  /**
   * Whether a field holds a value from the server. Always true except in interest-managed rooms,
   * where an entity in a far tier has only that tier's fields; the others hold defaults.
   *
   * @example
   * if (ship.has('systems', 'power')) showPower(ship.state.systems.power);
   */
  has<C extends keyof V & string>(component: C, field: keyof V[C] & string): boolean {
    const fields = this.type.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.component === component && f.name === field) return (this.received & (1 << i)) !== 0;
    }
    return false;
  }

  /**
   * This entity's share of the view digest (docs/protocol.md 8.6): its presence and each field
   * it holds, linear ones with their key frame.
   */
  digest(): number {
    let sum = presenceDigest(this.id, this.type.index);
    const fields = this.type.fields;
    for (let i = 0; i < fields.length; i++) {
      if ((this.received & (1 << i)) === 0) continue;
      sum = addDigest(sum, fieldDigest(this.id, i, this.wire[i]!, fields[i]!.type.linear, this.rates[i], this.keyTicks[i]));
    }
    return sum;
  }

  /**
   * Numeric wire value of field i at tick (fractional ticks give a continuous linear value; a
   * tick before the key frame evaluates its path backwards). `held` replaces the wire values of
   * the fields that are not linear.
   */
  private numericAt(i: number, tick: number, held?: readonly WireValue[]): number {
    const f = this.type.fields[i]!.type;
    const w = held && !f.linear ? held[i] : this.wire[i];
    if (f.linear) {
      const dt = tick - this.keyTicks[i]!;
      const v = (w as number) + (this.rates[i]! * dt) / 16;
      return Number.isInteger(tick) ? linearAt(w as number, this.rates[i]!, dt, f.maxWire) : Math.min(f.maxWire, Math.max(0, v));
    }
    return typeof w === 'number' ? w : w === true ? 1 : 0;
  }

  /** Refreshes `state` from wire values as of `tick`. */
  updateState(tick: number): void {
    const fields = this.type.fields;
    const state = this.state as Record<string, Record<string, unknown>>;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const w = this.wire[i]!;
      state[f.component]![f.name] = f.type.linear ? f.type.fromWire(this.numericAt(i, tick)) : f.type.fromWire(w);
    }
  }

  get lastSampleTick(): number {
    if (this.sampleCount === 0) return -Infinity;
    return this.sampleTicks[(this.sampleHead + SAMPLES - 1) % SAMPLES]!;
  }

  /**
   * Records the entity's values at a snapshot tick for interpolation: linear fields along their
   * key frames, the others as they are now, or as `held` has them.
   */
  sample(tick: number, held?: readonly WireValue[]): void {
    const n = this.type.fields.length;
    if (this.sampleCount > 0 && this.lastSampleTick >= tick) return;
    if (this.samples.length === 0) {
      this.samples = new Float64Array(SAMPLES * n);
      this.sampleTicks = new Float64Array(SAMPLES);
    }
    const row = this.sampleHead * n;
    for (let i = 0; i < n; i++) this.samples[row + i] = this.numericAt(i, tick, held);
    this.sampleTicks[this.sampleHead] = tick;
    this.sampleHead = (this.sampleHead + 1) % SAMPLES;
    if (this.sampleCount < SAMPLES) this.sampleCount++;
  }

  /**
   * Sets `render` to the entity as it was at (fractional) `renderTick`, never later than
   * `limitTick` (the newest snapshot, plus the one interval linear fields may run on past it).
   * Floats and angles are interpolated; other fields step.
   */
  interpolate(renderTick: number, limitTick: number): void {
    const fields = this.type.fields;
    const render = this.render as Record<string, Record<string, unknown>>;
    const count = this.sampleCount;
    const n = fields.length;
    const oldest = (this.sampleHead + SAMPLES - count) % SAMPLES;
    if (count === 0 || renderTick >= this.lastSampleTick) {
      const t = Math.min(renderTick, limitTick);
      for (let i = 0; i < n; i++) {
        const f = fields[i]!;
        render[f.component]![f.name] = f.type.linear ? f.type.fromWire(this.numericAt(i, Math.max(t, this.lastSampleTick))) : f.type.fromWire(this.wire[i]!);
      }
      return;
    }
    // Find the newest sample at or before renderTick.
    let a = -1;
    for (let k = count - 1; k >= 0; k--) {
      const idx = (oldest + k) % SAMPLES;
      if (this.sampleTicks[idx]! <= renderTick) {
        a = k;
        break;
      }
    }
    if (a === -1) a = 0;
    const ia = (oldest + a) % SAMPLES;
    const ib = (oldest + Math.min(a + 1, count - 1)) % SAMPLES;
    const ta = this.sampleTicks[ia]!;
    const tb = this.sampleTicks[ib]!;
    const alpha = tb > ta ? Math.min(1, Math.max(0, (renderTick - ta) / (tb - ta))) : 0;
    for (let i = 0; i < n; i++) {
      const f = fields[i]!;
      const ft = f.type;
      const va = this.samples[ia * n + i]!;
      const vb = this.samples[ib * n + i]!;
      let v: number;
      if (ft.kind === 'float') v = va + (vb - va) * alpha;
      else if (ft.kind === 'angle') {
        const period = ft.maxWire + 1;
        let d = (vb - va) % period;
        if (d > period / 2) d -= period;
        if (d < -period / 2) d += period;
        v = (((va + d * alpha) % period) + period) % period;
      } else v = va;
      render[f.component]![f.name] =
        ft.kind === 'string' ? ft.fromWire(this.wire[i]!) : ft.kind === 'bool' ? ft.fromWire(v >= 0.5) : ft.kind === 'float' || ft.kind === 'angle' ? ft.fromWire(v) : ft.fromWire(Math.round(v));
    }
  }
}
