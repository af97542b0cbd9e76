/**
 * Checking what a session is given outside the binary protocol: options as JSON (POST
 * /api/sessions), and the names of groups (the game's defaults, and what members rename them to).
 *
 * The binary decoder refuses a value past its field; JSON has no such decoder, and a field type's
 * encoder clamps rather than refuses. So JSON options are checked here against the same struct,
 * field by field: an unknown key, a wrong type, a number outside its field's range or off its
 * step, a string longer than its field, are all refused with the field's name, never clamped.
 */
import { LIMITS, textProblem, type AnyField, type FieldsDef, type Struct, type WireValue } from '@tickwire/protocol';

const utf8 = new TextEncoder();

/** Why a list of group names cannot be shown (undefined: it can). */
export function groupNamesProblem(names: readonly unknown[]): string | undefined {
  for (const name of names) {
    if (typeof name !== 'string' || name.trim() === '' || utf8.encode(name).length > LIMITS.nameBytes) {
      return `group names are 1-${LIMITS.nameBytes} bytes of text, got ${JSON.stringify(name)?.slice(0, 80)}`;
    }
    const problem = textProblem(name, 'a group name');
    if (problem) return problem;
  }
  return undefined;
}

/** Why one JSON value does not fit a field exactly (undefined: it does). */
function fieldProblem(field: AnyField, value: unknown): string | undefined {
  switch (field.kind) {
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return utf8.encode(value).length > field.maxWire ? `must be at most ${field.maxWire} bytes` : textProblem(value, 'the text');
    case 'enum': {
      const wire = safeWire(field, value);
      return typeof value === 'string' && wire !== undefined && field.fromWire(wire) === value ? undefined : `must be one of ${field.describe}`;
    }
    case 'bytes':
      return 'cannot be given as JSON';
    case 'angle':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number (radians)';
    default: {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
      const wire = safeWire(field, value);
      if (typeof wire !== 'number') return `must fit ${field.describe}`;
      const steps = field.steps?.(value) ?? (field.fromWire(wire) === value ? wire : Number.NaN);
      // Within half a step of a value the field can carry, and not clamped into its range.
      if (!(Math.abs(steps - wire) <= 0.5 + 1e-9)) return `must fit ${field.describe}`;
      return undefined;
    }
  }
}

function safeWire(field: AnyField, value: unknown): WireValue | undefined {
  try {
    return field.toWire(value);
  } catch {
    return undefined;
  }
}

/**
 * Checks JSON options against the game's options struct: the values (every field may be left
 * out) or why not, naming the field.
 *
 * @example
 * optionsFromJson(protocol.session.options, { difficulty: 12 }) // 'options.difficulty must fit int(min=1,max=11)'
 */
export function optionsFromJson(struct: Struct<FieldsDef>, json: unknown): Record<string, unknown> | string {
  if (json === undefined || json === null) return {};
  if (typeof json !== 'object' || Array.isArray(json)) return 'options must be an object';
  const fields = new Map(struct.entries);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = fields.get(key);
    if (!field) return `options.${key.slice(0, 40)} is not an option of this game (it has ${[...fields.keys()].join(', ') || 'none'})`;
    const problem = fieldProblem(field, value);
    if (problem) return `options.${key} ${problem}`;
    out[key] = value;
  }
  return out;
}
