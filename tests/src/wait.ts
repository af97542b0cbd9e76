/**
 * Waiting on real sockets: poll a condition with a deadline instead of sleeping a fixed time.
 * (Stepped-clock scenarios do not need this; real-socket ones do.)
 */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
