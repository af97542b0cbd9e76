/**
 * Serves a folder of built client files (the arena example's page) as Web `Response`s. Paths
 * are resolved inside the folder only; unknown paths without an extension fall back to
 * index.html so client-side routes like /?room=abc work.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Fallback } from './http-routes.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Returns a fallback that serves `dir`, or answers undefined when it has no such file. */
export function staticFiles(dir: string): Fallback {
  const root = resolve(dir);
  return async (request, pathname) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (rel.includes('\0')) return undefined;
    let file = resolve(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info && extname(rel) === '') {
      file = join(root, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) return undefined;
    const headers = {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'cache-control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600',
    };
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
    const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers });
  };
}
