/**
 * The HTTP API on the game port: health, room list, Prometheus metrics, extra routes a game or
 * a later module adds, then static files. JSON in and out; errors as `{ error, message }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, or a pattern whose named groups become `params`. */
  path: string | RegExp;
  handler(ctx: { req: IncomingMessage; res: ServerResponse; url: URL; params: Record<string, string> }): unknown;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The URL of an origin-form request target (`/path?query`), or undefined for anything else. */
function parseTarget(target: string | undefined): URL | undefined {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Builds the request handler from routes and an optional fallback (static files). */
export function router(
  routes: readonly Route[],
  fallback?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>,
  onError?: (err: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const url = parseTarget(req.url);
      if (!url) {
        sendJson(res, 400, { error: 'BAD_REQUEST', message: 'the request target is not a valid path' });
        return;
      }
      for (const route of routes) {
        let params: Record<string, string> | undefined;
        if (typeof route.path === 'string') {
          if (route.path === url.pathname) params = {};
        } else {
          const m = route.path.exec(url.pathname);
          if (m) params = { ...(m.groups ?? {}) };
        }
        if (!params) continue;
        if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) {
          sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: `use ${route.method} for ${url.pathname}` });
          return;
        }
        const out = await route.handler({ req, res, url, params });
        if (!res.headersSent && out !== undefined) sendJson(res, 200, out);
        return;
      }
      // The API never falls through to the game page: a client asking for an endpoint that does
      // not exist gets JSON it can read.
      if (fallback && !url.pathname.startsWith('/api/') && (await fallback(req, res, url.pathname))) return;
      sendJson(res, 404, { error: 'NOT_FOUND', message: `nothing at ${url.pathname}` });
    })().catch((err: unknown) => {
      onError?.(err);
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  };
}
