/**
 * Containment, network mode `allowlist`: the only way out is the node's egress gateway, which
 * lets `allowed.test:<port>` through. The agent tries other names, IP literals and their
 * alternate spellings, host-parsing tricks, a redirect to a denied host, a wildcard name that
 * resolves to loopback, and going around the proxy. Every attempt must be refused by the proxy
 * (a decision with allowed=false) and reach neither test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { makeContainmentFixture, type ContainmentFixture } from './containment-fixture.js';
import {
  ALLOWED_HOST,
  connectRequest,
  DENIED_HOST,
  proxiedGet,
  proxyAttempt,
  REBIND_HOST,
  startEgress,
  type EgressSetup,
  type ProxyAttempt,
} from './egress-setup.js';
import { NET_PROBE_SOURCE, parseProbe, waitForProxy } from './net-probe.js';
import { nodeScript, sh, suiteTitle } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

describe.skipIf(!available)(suiteTitle('containment: network mode allowlist (egress gateway)', available), () => {
  let fx: ContainmentFixture;
  let egress: EgressSetup;
  let n = 0;
  /** A path no other attempt uses, to tell which request reached a server. */
  const uniquePath = (label: string): string => `/${label}-${++n}`;

  beforeAll(async () => {
    fx = makeContainmentFixture('allowlist');
    egress = await startEgress(fx);
  });
  afterAll(async () => {
    await egress?.close();
    fx?.cleanup();
  });

  const reached = (path: string): boolean =>
    [...egress.allowed.hits, ...egress.denied.hits].some((h) => h.url.includes(path));

  /** Refused by the proxy: a non-2xx answer, a reported denial, nothing reached a server. */
  function expectDenied(a: ProxyAttempt, path: string | null): void {
    expect(a.run.timedOut).toBe(false);
    expect(a.status, `proxy answered: ${a.data.slice(0, 200)} / ${a.run.output.slice(0, 300)}`).not.toBeNull();
    expect(a.status).not.toBe(200);
    expect(a.data).not.toContain('hello from');
    expect(a.decisions.length).toBeGreaterThan(0);
    expect(a.decisions.every((d) => !d.allowed)).toBe(true);
    if (path !== null) expect(reached(path)).toBe(false);
  }

  it('a name that is not allowlisted is refused (plain http)', async () => {
    const path = uniquePath('notlisted');
    const a = await proxyAttempt(egress, fx, proxiedGet(`http://${DENIED_HOST}:${egress.denied.port}${path}`));
    expectDenied(a, path);
    expect(a.decisions[0]!.host).toBe(DENIED_HOST);
    expect(a.decisions[0]!.why).toMatch(/not in allowlist/);
  });

  it('a name that is not allowlisted is refused (CONNECT)', async () => {
    const a = await proxyAttempt(egress, fx, connectRequest(`${DENIED_HOST}:${egress.denied.port}`));
    expectDenied(a, '/through-tunnel');
  });

  it('an allowlisted name on another port is refused', async () => {
    const path = uniquePath('otherport');
    const a = await proxyAttempt(egress, fx, proxiedGet(`http://${ALLOWED_HOST}:${egress.denied.port}${path}`));
    expectDenied(a, path);
  });

  it('the IP literal of the allowed host is refused', async () => {
    const path = uniquePath('literal');
    const a = await proxyAttempt(egress, fx, proxiedGet(`http://127.0.0.1:${egress.allowed.port}${path}`));
    expectDenied(a, path);
  });

  for (const spelling of ['2130706433', '0x7f000001', '127.1', '0177.0.0.1', '[::ffff:127.0.0.1]']) {
    it(`the alternate IPv4 spelling ${spelling} is refused (plain http and CONNECT)`, async () => {
      const path = uniquePath('spelling');
      const get = await proxyAttempt(egress, fx, proxiedGet(`http://${spelling}:${egress.allowed.port}${path}`));
      expectDenied(get, path);
      const tunnel = await proxyAttempt(egress, fx, connectRequest(`${spelling}:${egress.allowed.port}`));
      expectDenied(tunnel, null);
      expect(tunnel.data).not.toContain('hello from');
    });
  }

  it('mixed case and a trailing dot reach the allowed host or nothing, never another host', async () => {
    const path = uniquePath('case');
    const a = await proxyAttempt(egress, fx, proxiedGet(`http://AlLoWeD.TeSt.:${egress.allowed.port}${path}`));
    expect(a.decisions.length).toBeGreaterThan(0);
    for (const d of a.decisions) if (d.allowed) expect(d.host).toBe(ALLOWED_HOST);
    expect(egress.denied.hits.some((h) => h.url.includes(path))).toBe(false);
    expect(a.data).not.toContain('hello from denied');
  });

  it('a Host header naming a denied host does not redirect an allowed request', async () => {
    const path = uniquePath('hostheader');
    const a = await proxyAttempt(
      egress,
      fx,
      proxiedGet(`http://${ALLOWED_HOST}:${egress.allowed.port}${path}`, `${DENIED_HOST}:${egress.denied.port}`),
    );
    for (const d of a.decisions) if (d.allowed) expect(d.host).toBe(ALLOWED_HOST);
    expect(egress.denied.hits.some((h) => h.url.includes(path))).toBe(false);
  });

  for (const [label, authority] of [
    ['userinfo', `${ALLOWED_HOST}:${'PORT_A'}@${DENIED_HOST}:PORT_B`],
    ['suffix', `${ALLOWED_HOST}.${DENIED_HOST}:PORT_A`],
    ['backslash', `${DENIED_HOST}:PORT_B\\@${ALLOWED_HOST}:PORT_A`],
    ['percent-encoding', `${DENIED_HOST.replace('d', '%64')}:PORT_B`],
  ] as const) {
    it(`a host-parsing trick (${label}) is refused`, async () => {
      const path = uniquePath(label);
      const auth = authority.replaceAll('PORT_A', String(egress.allowed.port)).replaceAll('PORT_B', String(egress.denied.port));
      const a = await proxyAttempt(egress, fx, proxiedGet(`http://${auth}${path}`, ALLOWED_HOST));
      expectDenied(a, path);
    });
  }

  it('a NUL byte in the host is refused (CONNECT and plain http)', async () => {
    const tunnel = await proxyAttempt(egress, fx, connectRequest(`${DENIED_HOST}\0.${ALLOWED_HOST}:${egress.allowed.port}`));
    expectDenied(tunnel, null);
    const path = uniquePath('nul');
    const get = await proxyAttempt(egress, fx, proxiedGet(`http://${ALLOWED_HOST}\0.${DENIED_HOST}:${egress.allowed.port}${path}`));
    expectDenied(get, path);
    expect(egress.resolved.some((h) => h.includes('\0'))).toBe(false);
  });

  it('a redirect from the allowed server to a denied host is not followed to it', async () => {
    const secretPath = uniquePath('redirect-target');
    const target = `http://${DENIED_HOST}:${egress.denied.port}${secretPath}`;
    const url = `http://${ALLOWED_HOST}:${egress.allowed.port}/redirect?to=${encodeURIComponent(target)}`;
    const mark = egress.gateway.decisions.length;
    const run = await sh(egress.runtime, fx, `${waitForProxy(process.execPath)}curl -sS -L --max-time 5 -o /dev/null -w 'code=%{http_code}\\n' '${url}'; echo done`, {
      network: egress.network,
    });
    const decisions = egress.gateway.since(mark);
    expect(run.stdout).toContain('done');
    expect(egress.allowed.hits.some((h) => h.url.startsWith('/redirect'))).toBe(true);
    expect(decisions.some((d) => d.allowed && d.host === ALLOWED_HOST)).toBe(true);
    expect(decisions.some((d) => !d.allowed && d.host === DENIED_HOST)).toBe(true);
    expect(egress.denied.hits.some((h) => h.url.includes(secretPath))).toBe(false);
  });

  it('localhost (loopback) is refused when not allowlisted', async () => {
    const path = uniquePath('localhost');
    const a = await proxyAttempt(egress, fx, proxiedGet(`http://localhost:${egress.allowed.port}${path}`));
    expectDenied(a, path);
  });

  it('a wildcard-allowlisted name that resolves to loopback is refused (DNS rebinding)', async () => {
    const path = uniquePath('rebind');
    const a = await proxyAttempt(egress, fx, proxiedGet(`http://${REBIND_HOST}:${egress.allowed.port}${path}`));
    expectDenied(a, path);
    expect(a.decisions[0]!.why).toMatch(/internal/);
  });

  it('cannot go around the proxy: a direct connection to the allowed server fails', async () => {
    const run = await nodeScript(egress.runtime, fx, 'net-probe', NET_PROBE_SOURCE, ['tcp', '127.0.0.1', String(egress.allowed.port)], {
      network: egress.network,
    });
    const probe = parseProbe(run.stdout);
    expect(probe).not.toBeNull();
    expect(probe!.result).toBe('error');
  });
});
