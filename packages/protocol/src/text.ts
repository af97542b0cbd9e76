/**
 * What text one player may show another: names and chat lines. The server enforces it; a page
 * checks the same rule before it saves or sends a name, so both sides agree by construction.
 *
 * The decoder already guarantees valid UTF-8 within the wire's byte limits; this is about what
 * the text does on someone else's screen. Control characters (a NUL, an ANSI escape, a newline
 * in a name), bidirectional overrides and isolates (which reverse what follows them, the classic
 * spoof of names and links) and invisible zero-width characters (which make two names look the
 * same) are refused, not silently stripped, so the sender learns what was wrong.
 */

// Control characters (Cc: C0, C1, DEL, tab and newline included) and format characters (Cf:
// bidi marks, embeddings, overrides and isolates, zero-width spaces and joiners, soft hyphen,
// BOM, tag characters), and the blank fillers that render as nothing.
const FORBIDDEN = /[\p{Cc}\p{Cf}\u034F\u115F\u1160\u3164\uFFA0]/u;

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
