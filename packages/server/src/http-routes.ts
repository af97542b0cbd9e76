/**
 * The HTTP API on the game port, as Web-standard handlers: a `Request` in, a `Response` out.
 * Health, room list, metrics, the routes a game or a later module adds, then static files. No
 * host types here, so any host (node:http, uWebSockets.js, a test calling `fetch` directly)
 * serves the same API. JSON in and out; errors as `{ error, message }`.
 */
import { ErrorCode, TickwireError } from '@tickwire/protocol';
import { IdentityError } from './auth-error.js';

export interface RouteContext {
  request: Request;
  url: URL;
  /** Named groups of the route's pattern. */
  params: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, or a pattern whose named groups become `params`. */
  path: string | RegExp;
  /**
   * Answers the request: a `Response`, or any other value, sent as JSON with status 200.
   *
   * @example
   * { method: 'GET', path: '/api/motd', handler: () => ({ motd: 'hello' }) }
   */
  handler(ctx: RouteContext): unknown;
}

/** A JSON response. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** The answer to a request whose token was refused: 401 (503 when the keys could not be fetched) and the reason. */
function refusal(err: IdentityError): Response {
  const res = json(err.status, { error: err.codeName, reason: err.reason, message: err.message });
  // RFC 6750: a 401 names the scheme it wants; the reason stays in the body.
  if (err.status === 401) res.headers.set('www-authenticate', err.reason === 'missing token' ? 'Bearer' : 'Bearer error="invalid_token"');
  return res;
}

/** The URL of an origin-form request target (`/path?query`), or undefined for anything else. */
export function parseTarget(target: string | undefined): URL | undefined {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Serves what the routes do not: static files, say. Undefined when it has nothing. */
export type Fallback = (request: Request, pathname: string) => Promise<Response | undefined>;

/**
 * Builds the request handler from routes and an optional fallback. It never throws: a handler
 * that does is a 500 (reported to `onError`), a malformed target a 400.
 */
export function router(routes: readonly Route[], fallback?: Fallback, onError?: (err: unknown) => void): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      // Hosts pass origin-form targets as the path of a URL on any origin: look at the path only.
      const full = URL.canParse(request.url) ? new URL(request.url) : undefined;
      const url = full && parseTarget(full.pathname + full.search);
      if (!url) return json(400, { error: 'BAD_REQUEST', message: 'the request target is not a valid path' });
      // A path may have a route per method: 405 only when none of its routes takes this one.
      let allowed: string | undefined;
      for (const route of routes) {
        let params: Record<string, string> | undefined;
        if (typeof route.path === 'string') {
          if (route.path === url.pathname) params = {};
        } else {
          const m = route.path.exec(url.pathname);
          if (m) params = { ...(m.groups ?? {}) };
        }
        if (!params) continue;
        if (route.method !== request.method && !(route.method === 'GET' && request.method === 'HEAD')) {
          allowed = allowed ? `${allowed} or ${route.method}` : route.method;
          continue;
        }
        const out = await route.handler({ request, url, params });
        return out instanceof Response ? out : json(200, out ?? null);
      }
      if (allowed) return json(405, { error: 'METHOD_NOT_ALLOWED', message: `use ${allowed} for ${url.pathname}` });
      // The API never falls through to the game page: a client asking for an endpoint that does
      // not exist gets JSON it can read.
      if (fallback && !url.pathname.startsWith('/api/')) {
        const served = await fallback(request, url.pathname);
        if (served) return served;
      }
      return json(404, { error: 'NOT_FOUND', message: `nothing at ${url.pathname}` });
    } catch (err) {
      // A refused token (runtime.authenticateRequest) is the client's to fix, not a server fault.
      if (err instanceof IdentityError) return refusal(err);
      if (err instanceof TickwireError && err.code === ErrorCode.AUTH_FAILED) return json(401, { error: err.codeName, message: err.message });
      onError?.(err);
      return json(500, { error: 'INTERNAL', message: 'internal error' });
    }
  };
}
