import { once } from 'node:events';
import { access, chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EgressDecision } from '../../../core/ports/egress.js';
import { echoThrough, openTunnel, proxiedGet, startEcho, startOrigin, tableResolver } from './egress-test-kit.js';
import type { Echo, Origin } from './egress-test-kit.js';
import { HttpEgressGateway } from './http-egress-gateway.js';

let origin: Origin;
let echo: Echo;
let dir: string;
let gateway: HttpEgressGateway;
let decisions: EgressDecision[];

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
  decisions = [];
  gateway = new HttpEgressGateway({
    socketDir: dir,
    resolve: tableResolver({
      'api.wild.test': ['127.0.0.1'],
      'mixed.wild.test': ['192.0.2.10', '127.0.0.1'],
      'meta.wild.test': ['169.254.169.254'],
      'mapped.wild.test': ['::ffff:127.0.0.1'],
      'pinned.test': ['127.0.0.1'],
    }),
  });
});

afterEach(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HttpEgressGateway: names that resolve to internal addresses', () => {
  it('denies a wildcard-matched name that resolves to loopback, link-local or a mapped loopback', async () => {
    const g = await gateway.open({ sleeveId: 'slv_r', allow: [`*.wild.test:${echo.port}`], onDecision: (d) => decisions.push(d) });
    for (const name of ['api', 'mixed', 'meta', 'mapped']) {
      const t = await openTunnel({ socketPath: g.socketPath }, `${name}.wild.test:${echo.port}`);
      expect(t.status).toBe(403);
      expect(t.head).toMatch('resolves to internal address');
    }
    expect(decisions.map((d) => d.why)).toEqual([
      'resolves to internal address 127.0.0.1',
      'resolves to internal address 127.0.0.1',
      'resolves to internal address 169.254.169.254',
      'resolves to internal address ::ffff:7f00:1',
    ]);
    expect(echo.connections()).toBe(0);
  });

  it('allows it when that exact IP and port are allowlisted too', async () => {
    const g = await gateway.open({ sleeveId: 'slv_ip', allow: [`*.wild.test:${echo.port}`, `127.0.0.1:${echo.port}`], onDecision: (d) => decisions.push(d) });
    const t = await openTunnel({ socketPath: g.socketPath }, `api.wild.test:${echo.port}`);
    expect(t.status).toBe(200);
    expect(await echoThrough(t.socket, 'x')).toBe('x');
    t.socket.destroy();
    expect(decisions[0]).toMatchObject({ allowed: true, why: 'allowlisted by wildcard', host: 'api.wild.test' });
  });

  it('allows it when the name itself is an exact entry', async () => {
    const g = await gateway.open({ sleeveId: 'slv_n', allow: [`pinned.test:${echo.port}`] });
    const t = await openTunnel({ socketPath: g.socketPath }, `pinned.test:${echo.port}`);
    expect(t.status).toBe(200);
    t.socket.destroy();
  });

  it('denies a name the resolver does not know', async () => {
    const g = await gateway.open({ sleeveId: 'slv_x', allow: [`*.wild.test:${echo.port}`], onDecision: (d) => decisions.push(d) });
    const t = await openTunnel({ socketPath: g.socketPath }, `nope.wild.test:${echo.port}`);
    expect(t.status).toBe(403);
    expect(decisions[0]?.why).toBe('cannot resolve host (ENOTFOUND)');
  });
});

describe('HttpEgressGateway: lifecycle', () => {
  it('records one decision per request, across keep-alive and separate connections', async () => {
    const g = await gateway.open({ sleeveId: 'slv_d', allow: [`pinned.test:${origin.port}`], onDecision: (d) => decisions.push(d) });
    const proxy = { socketPath: g.socketPath };
    await proxiedGet(proxy, `http://pinned.test:${origin.port}/hello`, { host: `pinned.test:${origin.port}` });
    await proxiedGet(proxy, `http://other.test:${origin.port}/hello`, { host: `other.test:${origin.port}` });
    (await openTunnel(proxy, `pinned.test:${echo.port}`)).socket.destroy();
    expect(decisions.map((d) => [d.sleeveId, d.allowed])).toEqual([
      ['slv_d', true],
      ['slv_d', false],
      ['slv_d', false],
    ]);
    expect(decisions.every((d) => typeof d.at === 'number')).toBe(true);
  });

  it('release() cuts an open tunnel and removes the socket', async () => {
    const g = await gateway.open({ sleeveId: 'slv_cut', allow: [`pinned.test:${echo.port}`] });
    const t = await openTunnel({ socketPath: g.socketPath }, `pinned.test:${echo.port}`);
    expect(await echoThrough(t.socket, 'before')).toBe('before');
    const closed = once(t.socket, 'close');
    await g.release();
    await closed;
    await expect(access(g.socketPath)).rejects.toThrow();
    await g.release();
  });

  it('close() releases every grant; a sleeve can open again afterwards', async () => {
    const a = await gateway.open({ sleeveId: 'slv_a', allow: [] });
    await gateway.open({ sleeveId: 'slv_b', allow: [] });
    await gateway.close();
    await expect(access(a.socketPath)).rejects.toThrow();
    const again = await gateway.open({ sleeveId: 'slv_a', allow: [] });
    expect(again.socketPath).toBe(a.socketPath);
  });

  it('refuses a second endpoint for the same sleeve and unsafe sleeve ids', async () => {
    await gateway.open({ sleeveId: 'slv_dup', allow: [] });
    await expect(gateway.open({ sleeveId: 'slv_dup', allow: [] })).rejects.toMatchObject({ code: 'CONFLICT' });
    for (const sleeveId of ['../x', '.hidden', 'a/b', '', 'x'.repeat(200)]) {
      await expect(gateway.open({ sleeveId, allow: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('refuses an existing socketDir that others can write to', async () => {
    const shared = join(dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const g = new HttpEgressGateway({ socketDir: shared });
    await expect(g.open({ sleeveId: 'slv_s', allow: [] })).rejects.toThrow('writable by group or others');
    await g.close();
  });

  it.each([
    ['*.com', 'at least two labels'],
    ['foo.*.example.com', 'leading `*.`'],
    ['*', 'leading `*.`'],
    ['*.192.0.2.1', 'IP address'],
    ['example.com:0', 'invalid port'],
    ['example.com:65536', 'invalid port'],
    ['example.com:08', 'invalid port'],
    ['2130706433', 'non-canonical IPv4'],
    ['0x7f.1', 'non-canonical IPv4'],
    ['exa mple.com', 'whitespace'],
    ['user@example.com', 'userinfo'],
    ['example..com', 'empty label'],
    ['0.0.0.0', 'unspecified'],
    ['[fe80::1%eth0]', 'percent'],
    ['', 'empty host'],
  ])('rejects the allowlist entry %j at open()', async (entry, why) => {
    const err = await gateway.open({ sleeveId: 'slv_v', allow: [entry] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((err as Error).message).toContain(JSON.stringify(entry));
    expect((err as Error).message).toContain(why);
  });
});
