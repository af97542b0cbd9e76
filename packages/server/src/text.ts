/**
 * What text one player may show another: names and chat lines.
 *
 * The decoder already guarantees valid UTF-8 within the wire's byte limits; this is about what
 * the text does on someone else's screen. Control characters (a NUL, an ANSI escape, a newline
 * in a name), bidirectional overrides and isolates (which reverse what follows them, the classic
 * spoof of names and links) and invisible zero-width characters (which make two names look the
 * same) are refused, not silently stripped, so the sender learns what was wrong.
 */

// C0 and C1 controls and DEL, except tab in chat; bidi embeddings, overrides and isolates
// (U+202A-202E, U+2066-2069) and marks (U+200E, U+200F, U+061C); zero-width and invisible
// formatting (U+200B-200D, U+2060-2064, U+FEFF, U+180E, U+00AD, U+034F, U+115F, U+1160,
// U+3164, U+FFA0).
const FORBIDDEN =
  /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0]/u;

/** Why a piece of player text is refused (undefined: it is fine). */
export function textProblem(text: string, what: string): string | undefined {
  const m = FORBIDDEN.exec(text);
  if (!m) return undefined;
  const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `${what} contains U+${cp}, an invisible, control or text-direction character: remove it`;
}

/** The number of characters (code points) in a string: what a player counts, not UTF-16 units. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
