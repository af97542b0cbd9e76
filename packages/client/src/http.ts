/**
 * Calling the server's HTTP API from the SDK (anonymous identities, sessions, a gateway): one
 * request, its JSON body read leniently, and a network failure or a refusal turned into a
 * TickwireError the caller's promise can carry. Uses the host's `fetch`, so it runs in browsers
 * and Node alike.
 */
import { ErrorCode, TickwireError } from '@tickwire/protocol';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sends a request and reads its JSON body (undefined when there is none, or it is not JSON).
 * Rejects with DISCONNECTED, naming `what`, when the server cannot be reached; an aborted
 * request rejects with the abort.
 */
export async function fetchJson(doFetch: typeof fetch, url: URL, init: RequestInit, what: string): Promise<{ res: Response; body: unknown }> {
  let res: Response;
  try {
    res = await doFetch(url, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new TickwireError(ErrorCode.DISCONNECTED, `could not reach ${url.origin} for ${what}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  return { res, body };
}

/** The code a refusal without one of ours stands for. */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return ErrorCode.AUTH_FAILED;
  if (status === 403) return ErrorCode.WRONG_PASSWORD;
  if (status === 404) return ErrorCode.ROOM_NOT_FOUND;
  if (status === 409) return ErrorCode.SESSION_STATE;
  if (status === 429) return ErrorCode.RATE_LIMITED;
  return ErrorCode.INTERNAL;
}

/** One call of a tickwire HTTP API. */
export interface ApiCall {
  method: 'GET' | 'POST';
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls `base`'s API and answers its JSON body. A refusal rejects with a TickwireError: the
 * answer's own `code` and `message` when it has them (every tickwire endpoint does), else a code
 * for the status; an unreachable server rejects with DISCONNECTED.
 */
export async function callApi(doFetch: typeof fetch, base: URL, call: ApiCall): Promise<unknown> {
  const url = new URL(call.path, base);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const init = { method: call.method, headers, body: call.body === undefined ? null : JSON.stringify(call.body), signal: call.signal ?? null };
  const { res, body } = await fetchJson(doFetch, url, init, `${call.method} ${url.pathname}`);
  if (!res.ok) {
    const code = isRecord(body) && typeof body.code === 'number' && Number.isSafeInteger(body.code) ? (body.code as ErrorCode) : codeForStatus(res.status);
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : `${call.method} ${url.pathname} answered ${res.status}`;
    throw new TickwireError(code, message);
  }
  return body;
}
