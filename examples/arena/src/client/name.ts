/**
 * The pilot's name, checked on the page before it is saved or sent: at most the protocol's
 * HELLO name limit in UTF-8 bytes, and nothing another player's screen would show wrongly
 * (control characters, text-direction overrides, invisible characters). The server refuses the
 * same things; checking here lets the page say so before a bad name sticks in localStorage.
 */
import { LIMITS } from '@tickwire/protocol';

// Control (Cc) and format (Cf: bidi marks, overrides and isolates, zero-width joiners and
// spaces, soft hyphen, BOM) characters, and the blank fillers that render as nothing.
const HIDDEN = /[\p{Cc}\p{Cf}\u034F\u115F\u1160\u3164\uFFA0]/u;

/** Why `name` cannot be a pilot's name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'a name needs at least one visible character';
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > LIMITS.nameBytes) return `it is ${bytes} bytes long in UTF-8; the most is ${LIMITS.nameBytes}`;
  const hidden = HIDDEN.exec(name);
  if (hidden) {
    const cp = hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `it contains U+${cp}, an invisible, control or text-direction character`;
  }
  return undefined;
}

/** A fresh name for a new pilot. */
export function randomPilotName(random: () => number = Math.random): string {
  return `pilot-${Math.floor(random() * 9000 + 1000)}`;
}
