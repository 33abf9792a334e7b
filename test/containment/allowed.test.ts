/**
 * The other half of containment: what an agent needs must still work inside the same sleeve —
 * writing its workspace, git in its worktree (status, add, commit into the shared .git), node,
 * reading its own policy, and reaching an allowlisted server through the egress proxy.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { hostGit, makeContainmentFixture, readText, type ContainmentFixture } from './containment-fixture.js';
import { ALLOWED_HOST, startEgress, type EgressSetup } from './egress-setup.js';
import { waitForProxy } from './net-probe.js';
import { containmentRuntime, sh, suiteTitle } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

describe.skipIf(!available)(suiteTitle('containment: allowed things still work', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;
  let egress: EgressSetup;

  beforeAll(async () => {
    fx = makeContainmentFixture('allowed');
    runtime = containmentRuntime(fx);
    egress = await startEgress(fx);
  });
  afterAll(async () => {
    await egress?.close();
    fx?.cleanup();
  });

  it('writes files in its workspace, visible on the host', async () => {
    const run = await sh(runtime, fx, 'mkdir -p src && echo "export const x = 1;" > src/x.ts && cat src/x.ts');
    expect(run.exit.exitCode).toBe(0);
    expect(readText(`${fx.workspace}/src/x.ts`)).toBe('export const x = 1;\n');
  });

  it('runs git status, add and commit in its worktree', async () => {
    const run = await sh(
      runtime,
      fx,
      'set -e; echo change > change.txt; git status --porcelain; git add change.txt; git commit -q -m "agent change"; git log -1 --format=%s',
    );
    expect(run.exit.exitCode, run.output).toBe(0);
    expect(run.stdout).toContain('?? change.txt');
    expect(run.stdout).toContain('agent change');
    expect(hostGit(fx.repoDir, 'log', '-1', '--format=%an %s', 'task-this').trim()).toBe('Agent agent change');
  });

  it('runs node', async () => {
    const run = await sh(runtime, fx, `'${process.execPath}' -e "console.log('node ok', 6 * 7)"`);
    expect(run.exit.exitCode).toBe(0);
    expect(run.stdout).toContain('node ok 42');
  });

  it('reads its own policy file and the repository hooks (read-only, not hidden)', async () => {
    const run = await sh(runtime, fx, `cat '${fx.policyFile}'; ls '${fx.hooksDir}' | head -1`);
    expect(run.exit.exitCode).toBe(0);
    expect(run.stdout).toContain(fx.policyContent);
  });

  it('reaches an allowlisted server through the egress proxy (curl with the proxy variables)', async () => {
    const mark = egress.gateway.decisions.length;
    const url = `http://${ALLOWED_HOST}:${egress.allowed.port}/via-curl`;
    const run = await sh(egress.runtime, fx, `${waitForProxy(process.execPath)}curl -sS --max-time 5 '${url}'`, { network: egress.network });
    expect(run.exit.exitCode, run.output).toBe(0);
    expect(run.stdout).toContain('hello from allowed');
    expect(egress.allowed.hits.some((h) => h.url === '/via-curl')).toBe(true);
    const decisions = egress.gateway.since(mark);
    expect(decisions.some((d) => d.allowed && d.host === ALLOWED_HOST && d.port === egress.allowed.port)).toBe(true);
  });

  it('reaches an allowlisted server through a CONNECT tunnel from node', async () => {
    const source = `import http from 'node:http';
const proxy = new URL(process.env.HTTPS_PROXY);
const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: process.argv[2] });
req.on('connect', (res, socket) => {
  socket.write('GET /via-tunnel HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n');
  let body = '';
  socket.on('data', (d) => (body += d));
  socket.on('end', () => console.log(res.statusCode, body.split('\\r\\n\\r\\n')[1]));
});
req.on('error', (e) => console.log('error', e.code));
req.end();`;
    writeFileSync(`${fx.workspace}/tunnel.mjs`, source);
    const run = await sh(egress.runtime, fx, `${waitForProxy(process.execPath)}'${process.execPath}' tunnel.mjs ${ALLOWED_HOST}:${egress.allowed.port}`, {
      network: egress.network,
    });
    expect(run.stdout, run.output).toContain('200 hello from allowed');
    expect(egress.allowed.hits.some((h) => h.url === '/via-tunnel')).toBe(true);
  });

  // The runtime starts the command only once the in-sleeve forwarder listens.
  it('the egress proxy is ready when the command starts (no retry needed)', async () => {
    const url = `http://${ALLOWED_HOST}:${egress.allowed.port}/at-once`;
    const run = await sh(egress.runtime, fx, `curl -sS --max-time 5 '${url}'`, { network: egress.network });
    expect(run.exit.exitCode, run.output).toBe(0);
    expect(run.stdout).toContain('hello from allowed');
  });
});
