/**
 * Shared simulation: the step a game writes once and runs on both sides. The server calls it
 * for each input it applies; the client calls it to predict its own entity, and again to replay
 * unacknowledged inputs when the server's state arrives. Both quantize the result to the wire
 * precision after every step, so from the same state and inputs they agree to the bit.
 */
import type { ComponentsOf, EntityTypeInfo, EntityTypeName, EntityValuesOf, GameProtocol, InputOf } from './schema.js';
import type { WireValue } from './types.js';

/**
 * One step of a game's movement for one input: mutates `state` (the entity's component
 * values). Must depend only on its arguments: no clock, no randomness outside `world`.
 */
export type Step<P extends GameProtocol, T extends EntityTypeName<P>, W = unknown> = (
  state: MutableValues<EntityValuesOf<P, T>>,
  input: InputOf<P>,
  dt: number,
  world: W,
) => void;

type ComponentBag = Record<string, Record<string, unknown>>;

/** Component values a step may write. */
export type MutableValues<T> = { -readonly [K in keyof T]: T[K] extends object ? MutableValues<T[K]> : T[K] };

/**
 * Rounds every field of `components` (all when omitted) to what the wire can carry, in place.
 * Works on plain objects and on server entities alike (their fields are accessors).
 */
export function quantize(type: EntityTypeInfo, state: object, components?: readonly string[]): void {
  const bag = state as ComponentBag;
  for (const c of type.components) {
    if (components && !components.includes(c.name)) continue;
    const values = bag[c.name];
    if (!values) continue;
    for (const f of c.fields) {
      const v = values[f.name];
      const q = f.type.fromWire(f.type.toWire(v));
      if (q !== v) values[f.name] = q;
    }
  }
}

/** Plain component values from wire values (the inverse of an entity's published state). */
export function valuesFromWire<P extends GameProtocol, T extends EntityTypeName<P>>(type: EntityTypeInfo, wire: readonly WireValue[]): EntityValuesOf<P, T> {
  const out: ComponentBag = {};
  for (const c of type.components) {
    const values: Record<string, unknown> = {};
    for (const f of c.fields) values[f.name] = f.type.fromWire(wire[f.index]!);
    out[c.name] = values;
  }
  return out as EntityValuesOf<P, T>;
}

/** A deep copy of component values. */
export function copyValues<V extends object>(values: V): V {
  const out: ComponentBag = {};
  for (const [k, v] of Object.entries(values as ComponentBag)) out[k] = { ...v };
  return out as V;
}

export type { ComponentsOf };
