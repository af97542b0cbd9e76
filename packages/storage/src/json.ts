/**
 * JSON in and out of TEXT columns. Serialising happens before anything is written, so a value
 * that cannot be stored (a BigInt, a cycle) fails the whole operation with a message naming
 * what it was, instead of a half-written batch or a driver error.
 */
import { StorageError } from './errors.js';

/** JSON text for `value`; throws NOT_SERIALISABLE naming `what` when it cannot be stored. */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new StorageError('NOT_SERIALISABLE', `${what} is not JSON-serialisable: ${(err as Error).message}; store plain objects, arrays, strings, finite numbers, booleans and null`, { cause: err });
  }
  if (text === undefined) {
    throw new StorageError('NOT_SERIALISABLE', `${what} is not JSON-serialisable (${typeof value}); store plain objects, arrays, strings, finite numbers, booleans and null`);
  }
  return text;
}

/** Parses JSON text written by {@link toJson}. */
export function fromJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}
