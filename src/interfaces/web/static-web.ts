import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Context, Env, Hono } from 'hono';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The page talks only to its own origin; nothing inline runs. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cortical</title></head>
<body><h1>Cortical HQ</h1><p>The web dashboard is not built. Run <code>npm run build:web</code> (or <code>npm install</code>) and reload.</p>
<p>The API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></body></html>`;

/** Paths that belong to the API and are never answered with the dashboard. */
function isApiPath(path: string): boolean {
  return path === '/healthz' || path === '/metrics' || path === '/api' || path.startsWith('/api/');
}

/**
 * Serves the built dashboard (`web/dist`) at `/`: files by path (only inside `root`; hashed
 * assets cached for a year), `index.html` for every other non-API GET (the page routes by hash).
 * API paths fall through to the API's own 404.
 */
export function registerStaticWeb<E extends Env>(app: Hono<E>, root: string): void {
  const base = resolve(root);
  const serve = async (c: Context<E>): Promise<Response | undefined> => {
    const path = decodeURIComponentSafe(c.req.path);
    if (path === null || isApiPath(path)) return undefined;
    const file = path === '/' ? null : resolve(join(base, path));
    if (file !== null && (file === base || file.startsWith(base + sep))) {
      const st = await stat(file).catch(() => null);
      if (st?.isFile() === true) {
        const immutable = path.startsWith('/assets/');
        return new Response(new Uint8Array(await readFile(file)), {
          headers: {
            'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
            'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
            ...SECURITY_HEADERS,
          },
        });
      }
      if (extname(path) !== '') return undefined; // a missing asset is a 404, not the page
    }
    const index = await readFile(join(base, 'index.html')).catch(() => null);
    return new Response(index === null ? NOT_BUILT : new Uint8Array(index), {
      headers: { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache', ...SECURITY_HEADERS },
    });
  };
  app.get('*', async (c, next) => {
    const res = await serve(c);
    if (res === undefined) return next();
    return res;
  });
}

function decodeURIComponentSafe(path: string): string | null {
  try {
    const p = decodeURIComponent(path);
    return p.includes('\0') ? null : p;
  } catch {
    return null;
  }
}
