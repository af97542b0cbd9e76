/**
 * The pilot's name, checked on the page before it is saved or sent: at most the protocol's
 * HELLO name limit in UTF-8 bytes, and nothing another player's screen would show wrongly
 * (control characters, text-direction overrides, invisible characters): the protocol package's
 * `textProblem`, the rule the server enforces, so the page says so before a bad name sticks in
 * localStorage.
 */
import { LIMITS, textProblem } from '@tickwire/protocol';

/** Why `name` cannot be a pilot's name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'a name needs at least one visible character';
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > LIMITS.nameBytes) return `it is ${bytes} bytes long in UTF-8; the most is ${LIMITS.nameBytes}`;
  return textProblem(name, 'it');
}

/** A fresh name for a new pilot. */
export function randomPilotName(random: () => number = Math.random): string {
  return `pilot-${Math.floor(random() * 9000 + 1000)}`;
}
