import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postStreaming, proxyFor, readAll } from './builtin-http.js';

describe('proxyFor', () => {
  const env = { HTTP_PROXY: 'http://127.0.0.1:3128', HTTPS_PROXY: 'proxy.local:8080', NO_PROXY: 'internal.example,.corp.example,10.0.0.1:8443' };
  it.each([
    ['http://model.example/v1', 'http://127.0.0.1:3128/'],
    ['https://api.anthropic.com', 'http://proxy.local:8080/'],
    ['http://internal.example/v1', null],
    ['http://a.corp.example/v1', null],
    ['https://10.0.0.1:8443/v1', null],
    ['https://10.0.0.1/v1', 'http://proxy.local:8080/'],
  ])('%s → %s', (url, proxy) => {
    expect(proxyFor(new URL(url), env)?.href ?? null).toBe(proxy);
  });
  it('no variables, an empty one or NO_PROXY=* mean a direct connection', () => {
    expect(proxyFor(new URL('http://x/'), {})).toBeNull();
    expect(proxyFor(new URL('http://x/'), { HTTP_PROXY: '' })).toBeNull();
    expect(proxyFor(new URL('http://x/'), { http_proxy: 'http://p:1', NO_PROXY: '*' })).toBeNull();
  });
});

describe('postStreaming', () => {
  let target: Server;
  let proxy: Server;
  const proxied: string[] = [];
  const port = (s: Server) => (s.address() as AddressInfo).port;

  beforeAll(async () => {
    target = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(req.url === '/limited' ? 429 : 200, { 'content-type': 'text/plain', 'retry-after': '3' });
        res.write(`got ${req.method} ${req.url} `);
        setTimeout(() => res.end(body), 20);
      });
    });
    // A forward proxy for absolute-form http:// requests, like the sleeve's egress proxy.
    proxy = createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      const url = new URL(req.url ?? '');
      const up = request({ host: url.hostname, port: url.port, path: url.pathname, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await Promise.all([new Promise<void>((r) => target.listen(0, '127.0.0.1', r)), new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))]);
  });
  afterAll(async () => {
    await new Promise((r) => target.close(r));
    await new Promise((r) => proxy.close(r));
  });

  it('posts directly and streams the body', async () => {
    const res = await postStreaming(`http://127.0.0.1:${port(target)}/v1/x`, { headers: { 'content-type': 'application/json' }, body: '{"a":1}', env: {}, idleTimeoutMs: 5000 });
    expect(res.status).toBe(200);
    expect(await readAll(res)).toBe('got POST /v1/x {"a":1}');
  });

  it('goes through HTTP_PROXY in absolute form and passes error statuses and headers on', async () => {
    const url = `http://127.0.0.1:${port(target)}/limited`;
    const res = await postStreaming(url, { headers: {}, body: 'b', env: { HTTP_PROXY: `http://127.0.0.1:${port(proxy)}` }, idleTimeoutMs: 5000 });
    expect(proxied).toContain(`POST ${url}`);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect(await readAll(res)).toBe('got POST /limited b');
  });

  it('rejects when nothing listens', async () => {
    await expect(postStreaming('http://127.0.0.1:1/', { headers: {}, body: '', env: {}, idleTimeoutMs: 2000 })).rejects.toThrow();
  });
});
