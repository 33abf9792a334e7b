/**
 * Request targets a proxy receives: the authority of a CONNECT (`host:port`) and the absolute
 * form of a plain HTTP request (`http://host[:port]/path`). Parsed by hand with the strict host
 * rules; a general URL parser would normalise tricks (backslashes, integer IPs, percent-escapes)
 * into a host that differs from the one the allowlist was checked against.
 */
import { parseAuthority } from './host-syntax.js';
import type { Parsed, ParsedAuthority } from './host-syntax.js';

export interface HttpTarget extends ParsedAuthority {
  /** Origin-form path and query to send upstream (`/` when the target had none). */
  readonly path: string;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return true;
  }
  return false;
}

/** The target of `CONNECT host:port`: an authority with a mandatory port. */
export function parseConnectTarget(url: string): Parsed<ParsedAuthority> {
  return parseAuthority(url, null);
}

/** The target of a plain proxied request: `http://` absolute form only. */
export function parseHttpTarget(url: string): Parsed<HttpTarget> {
  const scheme = SCHEME.exec(url);
  if (scheme === null) {
    return { ok: false, why: url.startsWith('/') ? 'not a proxy request (absolute-form URL required)' : 'malformed request target' };
  }
  const name = (scheme[1] ?? '').toLowerCase();
  if (name === 'https') return { ok: false, why: 'https must use CONNECT' };
  if (name !== 'http') return { ok: false, why: 'unsupported scheme' };
  const rest = url.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const parsed = parseAuthority(authority, 80);
  if (!parsed.ok) return parsed;
  let path = end < 0 ? '' : rest.slice(end);
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (hasControlOrSpace(path)) return { ok: false, why: 'malformed request path' };
  if (path === '') path = '/';
  else if (path.startsWith('?')) path = `/${path}`;
  return { ...parsed, path };
}
