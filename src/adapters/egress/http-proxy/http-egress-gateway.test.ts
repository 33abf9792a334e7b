import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EgressDecision, EgressGrant } from '../../../core/ports/egress.js';
import { echoThrough, openTunnel, proxiedGet, rawExchange, startEcho, startOrigin, tableResolver } from './egress-test-kit.js';
import type { Echo, Origin } from './egress-test-kit.js';
import { HttpEgressGateway } from './http-egress-gateway.js';

const NOW = 1_700_000_000_000;

let origin: Origin;
let echo: Echo;
let dir: string;
let gateway: HttpEgressGateway;
let resolver: ReturnType<typeof tableResolver>;
let decisions: EgressDecision[];
let grant: EgressGrant;
let proxy: { socketPath: string };

beforeAll(async () => {
  origin = await startOrigin();
  echo = await startEcho();
});

afterAll(async () => {
  await origin.close();
  await echo.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'egress-'));
  resolver = tableResolver({
    'allowed.test': ['127.0.0.1'],
    'evil.test': ['127.0.0.1'],
    'api.wild.test': ['127.0.0.1'],
    'public.wild.test': ['192.0.2.10'],
    'pinned.test': ['127.0.0.1'],
  });
  gateway = new HttpEgressGateway({ socketDir: join(dir, 'sock'), resolve: resolver, clock: () => NOW, connectTimeoutMs: 2_000 });
  decisions = [];
  grant = await gateway.open({
    sleeveId: 'slv_1',
    allow: [`allowed.test:${origin.port}`, `allowed.test:${echo.port}`, `*.wild.test:${echo.port}`, `127.0.0.1:${origin.port}`],
    onDecision: (d) => decisions.push(d),
  });
  proxy = { socketPath: grant.socketPath };
});

afterEach(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

function last(): EgressDecision {
  return decisions[decisions.length - 1]!;
}

describe('HttpEgressGateway: allowed traffic', () => {
  it('opens a 0666 socket in a 0711 directory named after the sleeve', async () => {
    expect(grant.socketPath).toBe(join(dir, 'sock', 'slv_1.sock'));
    expect((await stat(grant.socketPath)).mode & 0o777).toBe(0o666);
    expect((await stat(join(dir, 'sock'))).mode & 0o777).toBe(0o711);
  });

  it('tunnels CONNECT to an allowlisted name and records the decision', async () => {
    const t = await openTunnel(proxy, `allowed.test:${echo.port}`);
    expect(t.status).toBe(200);
    expect(await echoThrough(t.socket, 'ping over tunnel')).toBe('ping over tunnel');
    t.socket.destroy();
    expect(decisions).toEqual([
      {
        sleeveId: 'slv_1',
        at: NOW,
        request: `CONNECT allowed.test:${echo.port}`,
        host: 'allowed.test',
        port: echo.port,
        allowed: true,
        why: 'allowlisted',
      },
    ]);
  });

  it('forwards a plain GET, keeps Host, drops proxy and hop-by-hop headers', async () => {
    const before = origin.seen.length;
    const res = await proxiedGet(proxy, `http://allowed.test:${origin.port}/hello?x=1`, {
      host: `allowed.test:${origin.port}`,
      'proxy-authorization': 'Basic c2VjcmV0',
      'x-custom': 'kept',
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe(`hello allowed.test:${origin.port}`);
    const seen = origin.seen[before]!;
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['x-custom']).toBe('kept');
    expect(last()).toMatchObject({ allowed: true, host: 'allowed.test', port: origin.port, why: 'allowlisted' });
  });

  it('keeps a chunked body framed, so it cannot become a second upstream request', async () => {
    const before = origin.seen.length;
    const smuggled = `GET /hello HTTP/1.1\r\nHost: evil.test\r\n\r\n`;
    const chunk = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    const reply = await rawExchange(
      proxy,
      `GET http://allowed.test:${origin.port}/body HTTP/1.1\r\nHost: allowed.test:${origin.port}\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply).toContain(`got ${smuggled}`);
    expect(origin.seen.length).toBe(before + 1);
    expect(origin.seen[before]!.headers.host).toBe(`allowed.test:${origin.port}`);
  });

  it('allows an allowlisted IP literal', async () => {
    const res = await proxiedGet(proxy, `http://127.0.0.1:${origin.port}/hello`, { host: `127.0.0.1:${origin.port}` });
    expect(res.status).toBe(200);
    expect(last()).toMatchObject({ allowed: true, host: '127.0.0.1' });
  });

  it('normalises mixed case and one trailing dot, then matches the normalised name', async () => {
    const t = await openTunnel(proxy, `ALLOWED.Test.:${echo.port}`);
    expect(t.status).toBe(200);
    t.socket.destroy();
    expect(last()).toMatchObject({ allowed: true, host: 'allowed.test' });
    const res = await proxiedGet(proxy, `http://Allowed.TEST.:${origin.port}/hello`, { host: `allowed.test:${origin.port}` });
    expect(res.status).toBe(200);
    expect(resolver.calls.every((h) => h === 'allowed.test')).toBe(true);
  });
});

describe('HttpEgressGateway: denials', () => {
  async function expectDenied(target: string, why: string | RegExp): Promise<void> {
    const before = echo.connections();
    const t = await openTunnel(proxy, target);
    expect(t.status).toBe(403);
    expect(t.head).toMatch(/egress denied: /);
    expect(last().allowed).toBe(false);
    expect(last().why).toMatch(why);
    expect(echo.connections()).toBe(before);
  }

  it('denies a name that is not allowlisted, without resolving it', async () => {
    await expectDenied(`evil.test:${echo.port}`, 'not in allowlist');
    expect(t403Body(await proxiedGet(proxy, `http://evil.test:${origin.port}/hello`, { host: `evil.test:${origin.port}` }))).toMatch(
      'not in allowlist',
    );
    expect(resolver.calls).not.toContain('evil.test');
    expect(last()).toMatchObject({ host: 'evil.test', port: origin.port, allowed: false });
  });

  it('denies an allowlisted name on a port that is not allowlisted', async () => {
    await expectDenied('allowed.test:443', 'not in allowlist');
  });

  it('denies an IP literal that is not allowlisted', async () => {
    await expectDenied(`127.0.0.1:${echo.port}`, 'not in allowlist');
    expect(last()).toMatchObject({ host: '127.0.0.1', port: echo.port });
  });

  it.each(['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1', '127.0.0.01', '127.0.1', '1.2.3.0x4'])(
    'denies the alternate IPv4 form %s as malformed',
    async (form) => {
      await expectDenied(`${form}:${echo.port}`, /malformed host: non-canonical IPv4/);
      expect(last().host).toBeNull();
      const res = await proxiedGet(proxy, `http://${form}:${origin.port}/hello`, { host: `${form}:${origin.port}` });
      expect(res.status).toBe(403);
      expect(res.body).toMatch('non-canonical IPv4');
    },
  );

  it.each([
    ['NUL byte', 'allowed.test\u0000.evil.test'],
    ['percent-encoded NUL', 'allowed.test%00.evil.test'],
    ['percent-encoded dot', 'allowed%2etest'],
    ['tab', 'allowed.test\t'],
    ['control character', 'allowed.test\u0001'],
    ['DEL', 'allowed\u007f.test'],
    ['non-ASCII', 'allowed.tést'],
  ])('denies a host with a %s', async (_what, host) => {
    await expectDenied(`${host}:${echo.port}`, /NUL|control|whitespace|percent|non-ASCII|malformed/);
    expect(last().host).toBeNull();
    expect(resolver.calls).toEqual([]);
  });

  it('denies a NUL byte in a plain request target', async () => {
    const before = origin.seen.length;
    const reply = await rawExchange(proxy, `GET http://allowed.test\u0000.evil.test:${origin.port}/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
    expect(last()).toMatchObject({ allowed: false, host: null });
    expect(last().request).not.toContain('\u0000');
    expect(origin.seen.length).toBe(before);
  });

  it.each(['allowed.test..', '.allowed.test', 'allowed..test', 'allowed.test.evil.test', 'evil.test\\.allowed.test', '-allowed.test'])(
    'cannot smuggle another host with %s',
    async (host) => {
      await expectDenied(`${host}:${echo.port}`, /empty label|not in allowlist|invalid character|malformed request/);
    },
  );

  it('denies over-long names and labels', async () => {
    await expectDenied(`${'a'.repeat(64)}.test:${echo.port}`, 'host label too long');
    await expectDenied(`${'abcdefghi.'.repeat(26)}test:${echo.port}`, /too long/);
  });

  it('denies the userinfo trick', async () => {
    await expectDenied(`allowed.test@evil.test:${echo.port}`, 'userinfo in host');
    const res = await proxiedGet(proxy, `http://allowed.test@evil.test:${origin.port}/hello`, { host: `evil.test:${origin.port}` });
    expect(res.status).toBe(403);
    expect(res.body).toMatch('userinfo');
    const res2 = await proxiedGet(proxy, `http://allowed.test:${origin.port}@evil.test:${origin.port}/`, { host: 'evil.test' });
    expect(res2.status).toBe(403);
    expect(resolver.calls).toEqual([]);
  });

  it('denies a Host header that names another host', async () => {
    const before = origin.seen.length;
    const res = await proxiedGet(proxy, `http://allowed.test:${origin.port}/hello`, { host: `evil.test:${origin.port}` });
    expect(res.status).toBe(403);
    expect(res.body).toBe('egress denied: host header mismatch\n');
    expect(last()).toMatchObject({ allowed: false, why: 'host header mismatch', host: 'allowed.test' });
    const portless = await proxiedGet(proxy, `http://allowed.test:${origin.port}/hello`, { host: 'allowed.test' });
    expect(portless.status).toBe(403);
    expect(origin.seen.length).toBe(before);
  });

  it('passes a redirect through and denies the follow-up to a host that is not allowlisted', async () => {
    const to = `http://evil.test:${origin.port}/hello`;
    const res = await proxiedGet(proxy, `http://allowed.test:${origin.port}/redirect?to=${encodeURIComponent(to)}`, {
      host: `allowed.test:${origin.port}`,
    });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(to);
    const follow = await proxiedGet(proxy, to, { host: `evil.test:${origin.port}` });
    expect(follow.status).toBe(403);
    expect(decisions.map((d) => [d.host, d.allowed])).toEqual([
      ['allowed.test', true],
      ['evil.test', false],
    ]);
  });

  it('checks every request on a keep-alive connection on its own', async () => {
    const reply = await rawExchange(
      proxy,
      `GET http://allowed.test:${origin.port}/hello HTTP/1.1\r\nHost: allowed.test:${origin.port}\r\n\r\n` +
        `GET http://evil.test:${origin.port}/hello HTTP/1.1\r\nHost: evil.test:${origin.port}\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 [^]*HTTP\/1\.1 403 [^]*egress denied: not in allowlist/);
    // Pipelined requests are decided concurrently; responses still come back in order.
    expect(decisions.map((d) => [d.host, d.allowed]).sort()).toEqual([
      ['allowed.test', true],
      ['evil.test', false],
    ]);
  });

  it('denies requests that are not proxy requests', async () => {
    const origin403 = await proxiedGet(proxy, '/hello', { host: `allowed.test:${origin.port}` });
    expect(origin403.status).toBe(403);
    expect(origin403.body).toMatch('absolute-form');
    const https = await proxiedGet(proxy, `https://allowed.test:${origin.port}/`, { host: 'allowed.test' });
    expect(https.body).toMatch('https must use CONNECT');
    const noPort = await openTunnel(proxy, 'allowed.test');
    expect(noPort.status).toBe(403);
    expect(last().why).toBe('port required');
  });

  it('answers 502 when an allowed upstream refuses the connection', async () => {
    const closed = await startEcho();
    await closed.close();
    const g = await gateway.open({ sleeveId: 'slv_502', allow: [`allowed.test:${closed.port}`] });
    const t = await openTunnel({ socketPath: g.socketPath }, `allowed.test:${closed.port}`);
    expect(t.status).toBe(502);
  });
});

function t403Body(res: { status: number; body: string }): string {
  expect(res.status).toBe(403);
  return res.body;
}
