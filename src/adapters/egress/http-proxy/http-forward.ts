/**
 * Plain HTTP through the proxy: `GET http://host:port/path`. The target and the Host header must
 * name the same host; the request goes to the checked address and the response comes back as it
 * is. Redirects are never followed here: a 3xx reaches the client, whose next request is checked
 * like any other.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { decide } from './egress-policy.js';
import { dial } from './dial.js';
import { formatAuthority, parseAuthority } from './host-syntax.js';
import type { ParsedAuthority } from './host-syntax.js';
import { denialBody, describeRequest } from './proxy-context.js';
import type { ProxyContext } from './proxy-context.js';
import { parseHttpTarget } from './request-target.js';

/** Headers that describe one hop, not the message; never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Flat `[name, value, …]` list without hop-by-hop headers and those named in Connection. */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/** Null when the Host header agrees with the target; otherwise why not. */
function hostHeaderProblem(raw: readonly string[], target: ParsedAuthority): string | null {
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() === 'host') values.push(raw[i + 1] ?? '');
  }
  if (values.length === 0) return null;
  if (values.length > 1) return 'multiple host headers';
  const header = parseAuthority(values[0] ?? '', 80);
  if (!header.ok) return 'host header mismatch';
  if (header.kind !== target.kind || header.host !== target.host || header.port !== target.port) return 'host header mismatch';
  return null;
}

function deny(res: ServerResponse, status: number, why: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = denialBody(why);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

export async function handleHttp(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? '';
  const url = req.url ?? '';
  const request = describeRequest(method, url);
  const target = parseHttpTarget(url);
  if (!target.ok) {
    ctx.decide({ request, host: null, port: null, allowed: false, why: target.why });
    deny(res, 403, target.why);
    return;
  }
  const mismatch = hostHeaderProblem(req.rawHeaders, target);
  if (mismatch !== null) {
    ctx.decide({ request, host: target.host, port: target.port, allowed: false, why: mismatch });
    deny(res, 403, mismatch);
    return;
  }
  const verdict = await decide(target, ctx.allowlist, ctx.resolve);
  ctx.decide({ request, host: target.host, port: target.port, allowed: verdict.allowed, why: verdict.why });
  if (!verdict.allowed) {
    deny(res, 403, verdict.why);
    return;
  }
  let upstream: Socket;
  try {
    upstream = await dial(verdict.addresses, target.port, ctx.connectTimeoutMs);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    ctx.logger.warn({ sleeveId: ctx.sleeveId, target: formatAuthority(target), code }, 'egress http connect failed');
    deny(res, code === 'ETIMEDOUT' ? 504 : 502, 'upstream connect failed');
    return;
  }
  if (ctx.released || res.destroyed || req.socket.destroyed) {
    upstream.destroy();
    return;
  }
  ctx.track(upstream);
  const headers = endToEndHeaders(req.rawHeaders);
  // Keep the body framed as the proxy parsed it: a body sent chunked goes on chunked, so the
  // upstream can never read part of it as a second request (with another Host).
  if (req.headers['transfer-encoding'] !== undefined) headers.push('Transfer-Encoding', 'chunked');
  if (!headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host')) {
    headers.push('Host', target.port === 80 ? hostText(target) : formatAuthority(target));
  }
  const out = httpRequest({ method, path: target.path, headers, setHost: false, createConnection: () => upstream });
  out.on('response', (up) => {
    up.on('error', () => res.destroy());
    try {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, endToEndHeaders(up.rawHeaders));
    } catch {
      // A head the server side refuses to write (invalid characters) must not crash the node.
      up.destroy();
      deny(res, 502, 'invalid upstream response');
      return;
    }
    up.pipe(res);
  });
  out.on('error', () => deny(res, 502, 'upstream failed'));
  res.on('close', () => {
    out.destroy();
    upstream.destroy();
  });
  req.pipe(out);
}

function hostText(a: ParsedAuthority): string {
  return a.kind === 'ipv6' ? `[${a.host}]` : a.host;
}
