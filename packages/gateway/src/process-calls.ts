/**
 * The gateway calling a game process's HTTP API: one request with a deadline, the answer's JSON
 * read within a size limit, and a process that does not answer told apart from one that answers
 * with an error. A process is a peer of the gateway, not something it trusts blindly: every body
 * it sends back is parsed here and range-checked by the caller before it reaches a player.
 */
import { errorCodeName, type ErrorCode } from '@tickwire/protocol';
import { json } from '@tickwire/server/internal';

/** How the gateway reaches processes. */
export interface CallOptions {
  /** The fetch to use (default globalThis.fetch). */
  fetch: typeof fetch;
  /** Give up on a process after this long. */
  timeoutMs: number;
}

/** A process's answer, or why there was none. */
export type Answer = { reached: true; status: number; body: unknown } | { reached: false; reason: string };

/** The largest answer read from a process (a room's entity listing is the largest). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Calls `method path` on the process at `base` (its http://host:port) with these headers and
 * body. Never rejects: a refused connection, a timeout or an answer over the size limit come
 * back as `{ reached: false, reason }`.
 */
export async function callProcess(
  options: CallOptions,
  base: string,
  method: 'GET' | 'POST',
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  let url: URL;
  try {
    url = new URL(path, base);
  } catch {
    return { reached: false, reason: `'${base.slice(0, 100)}' is not an HTTP address` };
  }
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await options.fetch(url, { method, headers, body: init.body ?? null, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'error' });
    const text = await readText(res, MAX_ANSWER_BYTES);
    if (text === undefined) return { reached: false, reason: `its answer to ${method} ${url.pathname} is over ${MAX_ANSWER_BYTES} bytes` };
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { reached: true, status: res.status, body };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const why = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : e.message;
    return { reached: false, reason: `${method} ${url.pathname}: ${why}` };
  }
}

/** A response's body as text, or undefined once it passes `max` bytes (reading stops there). */
async function readText(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An error answer of ours: `{ error, code, message }` with a stable code. */
export function failure(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const res = json(status, { error: errorCodeName(code), code, message });
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}

/**
 * A process's error answer passed on to the player: its status (kept within 4xx and 5xx) and its
 * `error`, `code` and `message` when they have the right types, nothing else.
 */
export function relayError(status: number, body: unknown): Response {
  const out: Record<string, unknown> = {};
  if (isRecord(body)) {
    if (typeof body.error === 'string') out.error = body.error.slice(0, 64);
    if (typeof body.code === 'number' && Number.isSafeInteger(body.code)) out.code = body.code;
    if (typeof body.reason === 'string') out.reason = body.reason.slice(0, 200);
    if (typeof body.message === 'string') out.message = body.message.slice(0, 1000);
  }
  out.error ??= 'UPSTREAM';
  out.message ??= `the game process answered ${status}`;
  return json(status >= 400 && status <= 599 ? status : 502, out);
}
