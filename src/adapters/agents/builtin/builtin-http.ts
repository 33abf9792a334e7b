/**
 * A streaming HTTP POST for the built-in agent's model calls that honours HTTP_PROXY /
 * HTTPS_PROXY / NO_PROXY (Node 20's fetch does not, and a sleeve reaches the network only
 * through its egress proxy): plain `http://` targets go through the proxy in absolute form,
 * `https://` ones through a CONNECT tunnel.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';

export interface HttpResponse {
  readonly status: number;
  /** Header names lowercased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text chunks. */
  readonly body: AsyncIterable<string>;
}

export interface PostOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Proxy variables are read from here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The request fails when no bytes arrive for this long. */
  readonly idleTimeoutMs: number;
}

/** The proxy URL for `target` under `env`, or null for a direct connection. */
export function proxyFor(target: URL, env: Readonly<Record<string, string | undefined>>): URL | null {
  const raw = target.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (raw === undefined || raw.trim() === '') return null;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = target.port !== '' ? target.port : target.protocol === 'https:' ? '443' : '80';
  for (const entry of noProxy) {
    if (entry === '*') return null;
    const [name = '', entryPort] = entry.split(/:(?=\d+$)/);
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return null;
  }
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return null;
  }
}

function headerMap(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (proxy.username === '') return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

/** A TCP tunnel to `host:port` through `proxy` (CONNECT). */
function tunnel(proxy: URL, host: string, port: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: proxy.hostname,
      port: proxy.port === '' ? 80 : Number(proxy.port),
      method: 'CONNECT',
      path: `${host}:${port}`,
      headers: { host: `${host}:${port}`, ...proxyAuth(proxy) },
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`proxy CONNECT to ${host}:${port} timed out`)));
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy refused CONNECT to ${host}:${port}: HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      resolve(socket);
    });
    req.once('error', reject);
    req.end();
  });
}

async function* chunks(res: IncomingMessage): AsyncGenerator<string> {
  res.setEncoding('utf8');
  for await (const c of res) yield c as string;
}

/** POSTs `opts.body` to `url`; resolves when the response headers arrive (any status). */
export async function postStreaming(url: string, opts: PostOptions): Promise<HttpResponse> {
  const target = new URL(url);
  const proxy = proxyFor(target, opts.env);
  const https = target.protocol === 'https:';
  const port = target.port !== '' ? target.port : https ? '443' : '80';
  const headers = { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) };
  let req: ClientRequest;
  if (proxy === null) {
    req = (https ? httpsRequest : httpRequest)(target, { method: 'POST', headers });
  } else if (!https) {
    req = httpRequest({
      host: proxy.hostname,
      port: proxy.port === '' ? 80 : Number(proxy.port),
      method: 'POST',
      path: target.href,
      headers: { ...headers, host: target.host, ...proxyAuth(proxy) },
    });
  } else {
    const socket = await tunnel(proxy, target.hostname, port, opts.idleTimeoutMs);
    req = httpsRequest(target, {
      method: 'POST',
      headers,
      agent: false,
      createConnection: () => tlsConnect({ socket, servername: target.hostname }),
    });
  }
  return new Promise((resolve, reject) => {
    req.setTimeout(opts.idleTimeoutMs, () => req.destroy(new Error(`no answer from ${target.host} for ${opts.idleTimeoutMs} ms`)));
    req.once('error', reject);
    req.once('response', (res) => resolve({ status: res.statusCode ?? 0, headers: headerMap(res), body: chunks(res) }));
    req.end(opts.body);
  });
}

/** The whole body of a response as text (error bodies), at most `max` characters. */
export async function readAll(res: HttpResponse, max = 64_000): Promise<string> {
  let text = '';
  for await (const c of res.body) {
    if (text.length < max) text += c;
  }
  return text.slice(0, max);
}
