/**
 * An HTTP request body, read whole up to `maxRequestBodyBytes` before the runtime sees the
 * request. Both hosts use it, so a body over the limit is refused the same way on each (413,
 * the connection closed) and a route handler never reads an unbounded stream; and the answers a
 * host gives itself to a request it cannot pass on.
 */
import { ErrorCode, errorCodeName } from '@tickwire/protocol';
import { json } from './http-routes.js';

/** The 400 answer to a request whose target or headers are not valid. */
export function invalidRequest(): Response {
  return json(400, { error: 'BAD_REQUEST', message: 'the request target or its headers are not valid' });
}

/** The 413 answer to a body over the limit. */
export function bodyTooLarge(limit: number): Response {
  return json(413, { error: 'PAYLOAD_TOO_LARGE', message: `request bodies are limited to ${limit} bytes` });
}

/**
 * Whether a request with this Content-Length header is over the limit before a byte is read.
 * A missing or unreadable header is not (the bytes are counted as they come).
 */
export function declaredTooLarge(contentLength: string | undefined, limit: number): boolean {
  if (!contentLength) return false;
  const n = Number(contentLength);
  return Number.isFinite(n) && n > limit;
}

/** Collects body chunks, copying each (a host may reuse its buffer), up to a limit. */
export class BodyBuffer {
  private readonly chunks: Uint8Array<ArrayBuffer>[] = [];
  private size = 0;

  constructor(readonly limit: number) {}

  /** Adds a copy of `chunk`; false once the body is over the limit (nothing more is kept). */
  add(chunk: Uint8Array): boolean {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.chunks.length = 0;
      return false;
    }
    // A copy (a Buffer's slice() would not be one).
    if (chunk.length > 0) this.chunks.push(new Uint8Array(chunk));
    return true;
  }

  /** The body so far, as one array. */
  bytes(): Uint8Array<ArrayBuffer> {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A Web Request for the runtime, or undefined when a header (name or value) is not valid. */
export function webRequest(url: URL, method: string, headers: Iterable<readonly [string, string]>, body: Uint8Array<ArrayBuffer> | undefined): Request | undefined {
  try {
    const h = new Headers();
    for (const [name, value] of headers) h.append(name, value);
    return new Request(url.href, { method, headers: h, body });
  } catch {
    return undefined;
  }
}

/** Methods whose requests carry no body the runtime reads. */
export function hasNoBody(method: string): boolean {
  const m = method.toUpperCase();
  return m === 'GET' || m === 'HEAD';
}

/** Largest JSON body a route reads with {@link readJsonObject}. */
export const MAX_JSON_BODY = 16 * 1024;

/**
 * A request's body as a JSON object ({} when empty), or the 4xx answer refusing it (too large,
 * not JSON, not an object), as `{ error, code, message }`.
 */
export async function readJsonObject(request: Request): Promise<Record<string, unknown> | Response> {
  const refuse = (status: number, code: ErrorCode, message: string) => json(status, { error: errorCodeName(code), code, message });
  const text = await request.text();
  if (text.length > MAX_JSON_BODY) return refuse(413, ErrorCode.COUNT_TOO_LARGE, `the body is over ${MAX_JSON_BODY} bytes`);
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse(400, ErrorCode.VALUE_OUT_OF_RANGE, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse(400, ErrorCode.VALUE_OUT_OF_RANGE, 'the body must be a JSON object');
  return { ...parsed };
}
