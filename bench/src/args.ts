/** Tiny --flag value parser for the measurement scripts. */
export function flags(argv = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else out.set(a.slice(2), argv[++i]!);
  }
  return out;
}

export function num(f: Map<string, string>, name: string, dflt: number): number {
  const v = f.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} needs a number, got ${v}`);
  return n;
}

/** WebSocket frame header bytes for a server-to-client (unmasked) payload. */
export function wsHeader(payload: number): number {
  return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
}
