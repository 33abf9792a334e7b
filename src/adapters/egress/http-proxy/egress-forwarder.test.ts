import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressDecision } from '../../../core/ports/egress.js';
import { echoThrough, openTunnel, proxiedGet, startEcho, startOrigin, tableResolver } from './egress-test-kit.js';
import type { Echo, Origin } from './egress-test-kit.js';
import { HttpEgressGateway } from './http-egress-gateway.js';

const FORWARDER = fileURLToPath(new URL('../forwarder/egress-forwarder.mjs', import.meta.url));

let origin: Origin;
let echo: Echo;
let dir: string;
let gateway: HttpEgressGateway;
let forwarder: ChildProcess;
let port: number;
const decisions: EgressDecision[] = [];

async function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('\n')) break;
  }
  return out.split('\n')[0] ?? '';
}

beforeAll(async () => {
  origin = await startOrigin();
  echo = await startEcho();
  dir = await mkdtemp(join(tmpdir(), 'egress-fwd-'));
  gateway = new HttpEgressGateway({ socketDir: dir, resolve: tableResolver({ 'allowed.test': ['127.0.0.1'] }) });
  const grant = await gateway.open({
    sleeveId: 'slv_f',
    allow: [`allowed.test:${origin.port}`, `allowed.test:${echo.port}`],
    onDecision: (d) => decisions.push(d),
  });
  forwarder = spawn(process.execPath, [FORWARDER, '0', grant.socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = Number(await firstLine(forwarder));
});

afterAll(async () => {
  if (forwarder.exitCode === null) {
    forwarder.kill('SIGTERM');
    await once(forwarder, 'exit');
  }
  await gateway.close();
  await origin.close();
  await echo.close();
  await rm(dir, { recursive: true, force: true });
});

/** Whether a process is gone (a zombie waiting to be reaped counts as gone). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('egress forwarder', () => {
  it('listens on loopback and relays plain HTTP to the proxy', async () => {
    expect(port).toBeGreaterThan(0);
    const res = await proxiedGet({ port }, `http://allowed.test:${origin.port}/hello`, { host: `allowed.test:${origin.port}` });
    expect(res.status).toBe(200);
    expect(res.body).toBe(`hello allowed.test:${origin.port}`);
  });

  it('relays CONNECT tunnels', async () => {
    const t = await openTunnel({ port }, `allowed.test:${echo.port}`);
    expect(t.status).toBe(200);
    expect(await echoThrough(t.socket, 'through the forwarder')).toBe('through the forwarder');
    t.socket.destroy();
  });

  it('passes denials back unchanged', async () => {
    const t = await openTunnel({ port }, `0x7f.1:${echo.port}`);
    expect(t.status).toBe(403);
    expect(t.head).toMatch('non-canonical IPv4');
    const res = await proxiedGet({ port }, `http://evil.test:${origin.port}/`, { host: `evil.test:${origin.port}` });
    expect(res.status).toBe(403);
    expect(decisions.filter((d) => !d.allowed).map((d) => d.why)).toEqual(['malformed host: non-canonical IPv4 form', 'not in allowlist']);
  });

  it('rejects bad arguments', async () => {
    const bad = spawn(process.execPath, [FORWARDER, 'http', '/nowhere'], { stdio: 'ignore' });
    const [code] = (await once(bad, 'exit')) as [number];
    expect(code).toBe(2);
  });

  it('exits when the shell that started it in the background ends', async () => {
    // The shell waits for a line on stdin before it ends, so the forwarder is surely up first
    // (as in a sleeve, where the shell waits for the listener before running the agent).
    const script = '"$0" "$1" 0 "$2" & echo "pid:$!"; read line';
    const shell = spawn('/bin/sh', ['-c', script, process.execPath, FORWARDER, join(dir, 'slv_f.sock')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    for await (const chunk of shell.stdout) {
      out += String(chunk);
      if (/pid:\d+\n/.test(out) && /^\d+$/m.test(out)) break;
    }
    const pid = Number(/pid:(\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(gone(pid)).toBe(false);
    shell.stdin.end('go\n');
    await once(shell, 'exit');
    const deadline = Date.now() + 5_000;
    while (!gone(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const ended = gone(pid);
    if (!ended) process.kill(pid, 'SIGKILL');
    expect(ended).toBe(true);
  });
});
