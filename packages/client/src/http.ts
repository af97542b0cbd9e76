/**
 * Calling the server's HTTP API from the SDK (anonymous identities, sessions): one request, its
 * JSON body read leniently, and a network failure turned into a TickwireError the caller's
 * promise can carry. Uses the host's `fetch`, so it runs in browsers and Node alike.
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
