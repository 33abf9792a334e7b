import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { digestTree } from './tree-digest.js';
import { verifyGreen, type VerifySpec } from './verifier.js';

const bwrapAvailable = await BubblewrapRuntime.available();

/** A tiny service: `node server.mjs ok|500|secret` answers /healthz on $PORT. */
const SERVER = `
import { createServer } from 'node:http';
const mode = process.argv[2];
createServer((req, res) => {
  if (mode === 'secret') console.log('leaking the API_KEY=abc to the log');
  res.statusCode = req.url === '/healthz' ? (mode === '500' ? 500 : 200) : 404;
  res.end('ok');
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
`;

const tmp = mkdtempSync(join(tmpdir(), 'cortical-verify-'));
const green = join(tmp, 'green');
let n = 0;
const freshWork = (): string => join(tmp, `work-${n++}`);
const node = process.execPath;

function g(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
  }).trim();
}

beforeAll(() => {
  mkdirSync(green);
  g(green, 'init', '-q', '-b', 'green');
  writeFileSync(join(green, 'server.mjs'), SERVER);
  writeFileSync(join(green, 'build.sh'), 'mkdir -p out && echo built > out/app.txt && echo build-done\n');
  g(green, 'add', '-A');
  g(green, 'commit', '-q', '-m', 'green');
  // Not committed: must never reach the verification.
  writeFileSync(join(green, 'untracked.txt'), 'local only');
  writeFileSync(join(green, 'server.mjs'), 'throw new Error("uncommitted edit")');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const processRuntime = new ProcessRuntime();
const check = (name: string, command: string, timeoutMs?: number) => ({ name, command, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
const service = (mode: string, extra: Partial<NonNullable<VerifySpec['service']>> = {}) => ({
  command: `"${node}" server.mjs ${mode}`,
  healthGreenSec: 1,
  startTimeoutMs: 15_000,
  ...extra,
});

describe('verifyGreen (process runtime)', () => {
  it('runs passing checks on a clean checkout of Green HEAD and digests the artifacts deterministically', async () => {
    const spec: VerifySpec = {
      checks: [check('build', 'sh build.sh'), check('clean', 'test ! -e untracked.txt && grep -q createServer server.mjs && echo clean-ok')],
      policyWords: [],
    };
    const greenBefore = await digestTree(green);
    const a = await verifyGreen({ runtime: processRuntime, greenDir: green, workDir: freshWork(), spec });
    expect(a.reason).toBeNull();
    expect(a.passed).toBe(true);
    expect(a.checks.map((c) => [c.name, c.exitCode, c.passed])).toEqual([['build', 0, true], ['clean', 0, true]]);
    expect(a.checks[0]!.outputTail).toContain('build-done');
    expect(a.checks[1]!.outputTail).toContain('clean-ok');
    expect(a.artifacts.files.map((f) => f.path)).toEqual(['build.sh', 'out/app.txt', 'server.mjs']);
    const b = await verifyGreen({ runtime: processRuntime, greenDir: green, workDir: freshWork(), spec });
    expect(b.artifacts.digest).toBe(a.artifacts.digest);
    expect(a.service).toBeNull();
    expect((await digestTree(green)).digest).toBe(greenBefore.digest); // Green not written
  });

  it('fails on a failing check and stops there', async () => {
    const r = await verifyGreen({
      runtime: processRuntime,
      greenDir: green,
      workDir: freshWork(),
      spec: { checks: [check('lint', 'echo bad style >&2; exit 3'), check('never', 'echo never')], service: service('ok'), policyWords: [] },
    });
    expect(r.passed).toBe(false);
    expect(r.reason).toBe('check "lint" failed (exit 3)');
    expect(r.checks).toHaveLength(1);
    expect(r.checks[0]).toMatchObject({ exitCode: 3, passed: false });
    expect(r.checks[0]!.outputTail).toContain('bad style');
    expect(r.service).toBeNull();
  });

  it('stops a check that runs past its timeout', async () => {
    const t0 = Date.now();
    const r = await verifyGreen({
      runtime: processRuntime,
      greenDir: green,
      workDir: freshWork(),
      spec: { checks: [check('slow', 'echo started; sleep 60', 500)], policyWords: [] },
    });
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/timed out/);
    expect(r.checks[0]!.passed).toBe(false);
    expect(r.checks[0]!.outputTail).toContain('started');
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('passes a healthy service', async () => {
    const probes: boolean[] = [];
    const r = await verifyGreen({
      runtime: processRuntime,
      greenDir: green,
      workDir: freshWork(),
      spec: { checks: [], service: service('ok'), policyWords: ['api_key'] },
      onProbe: (ok) => probes.push(ok),
    });
    expect(r.reason).toBeNull();
    expect(r.service).toMatchObject({ passed: true, logHits: [], reason: null });
    expect(r.service!.greenForMs).toBeGreaterThanOrEqual(1000);
    expect(r.service!.okProbes).toBeGreaterThanOrEqual(5);
    expect(probes.filter(Boolean)).toHaveLength(r.service!.okProbes);
    // The service was stopped: nothing listens on the shadow port any more.
    await expect(fetch(`http://127.0.0.1:${r.service!.shadowPort}/healthz`)).rejects.toThrow();
  });

  it('fails a service that answers 500, one that never listens, and one that exits', async () => {
    const five = await verifyGreen({ runtime: processRuntime, greenDir: green, workDir: freshWork(), spec: { checks: [], service: service('500', { startTimeoutMs: 1500 }), policyWords: [] } });
    expect(five.passed).toBe(false);
    expect(five.service).toMatchObject({ passed: false, okProbes: 0 });
    expect(five.service!.reason).toMatch(/500/);
    const silent = await verifyGreen({
      runtime: processRuntime,
      greenDir: green,
      workDir: freshWork(),
      spec: { checks: [], service: { command: 'sleep 60', healthGreenSec: 1, startTimeoutMs: 1000 }, policyWords: [] },
    });
    expect(silent.passed).toBe(false);
    expect(silent.service!.reason).toMatch(/no HTTP 200 within 1000 ms/);
    const exits = await verifyGreen({
      runtime: processRuntime,
      greenDir: green,
      workDir: freshWork(),
      spec: { checks: [], service: { command: 'exit 4', healthGreenSec: 1, startTimeoutMs: 20_000 }, policyWords: [] },
    });
    expect(exits.passed).toBe(false);
    expect(exits.service!.reason).toMatch(/service exited \(4\)/);
  });

  it('fails a service whose output has a policy word (case-insensitive)', async () => {
    const r = await verifyGreen({ runtime: processRuntime, greenDir: green, workDir: freshWork(), spec: { checks: [], service: service('secret'), policyWords: ['api_key'] } });
    expect(r.passed).toBe(false);
    expect(r.service!.okProbes).toBeGreaterThan(0);
    expect(r.service!.logHits[0]).toContain('API_KEY=abc');
    expect(r.reason).toMatch(/policy words/);
  });

  it('refuses bad input and a non-empty workDir', async () => {
    await expect(verifyGreen({ runtime: processRuntime, greenDir: green, workDir: freshWork(), spec: { checks: [check('', 'true')], policyWords: [] } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const used = freshWork();
    mkdirSync(used);
    writeFileSync(join(used, 'x'), 'x');
    await expect(verifyGreen({ runtime: processRuntime, greenDir: green, workDir: used, spec: { checks: [], policyWords: [] } })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(readFileSync(join(used, 'x'), 'utf8')).toBe('x');
  });
});

describe.skipIf(!bwrapAvailable)('verifyGreen (bubblewrap runtime)', () => {
  const runtime = new BubblewrapRuntime({ hiddenPaths: [] });
  let host: Server;
  let hostPort = 0;
  beforeAll(async () => {
    host = createServer((s) => s.end('host\n'));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    hostPort = (host.address() as { port: number }).port;
  });
  afterAll(() => host.close());

  it('runs checks sandboxed (no network) and probes a service that shares the host loopback', async () => {
    const workDir = freshWork();
    const r = await verifyGreen({
      runtime,
      greenDir: green,
      workDir,
      spec: {
        checks: [
          check('build', 'sh build.sh'),
          check('sandboxed', 'test "$(id -u)" = 1000 && test ! -e untracked.txt && echo sandboxed-ok'),
          // A check cannot reach the host's loopback (its sleeve has a network of its own).
          check('no-network', `"${node}" -e "require('net').connect(${hostPort},'127.0.0.1').on('error',()=>process.exit(0)).on('connect',()=>process.exit(1))"`, 20_000),
        ],
        service: service('ok'),
        policyWords: ['api_key'],
      },
    });
    expect(r.reason).toBeNull();
    expect(r.checks.every((c) => c.passed)).toBe(true);
    expect(r.checks[1]!.outputTail).toContain('sandboxed-ok');
    expect(r.service).toMatchObject({ passed: true });
    expect(existsSync(join(workDir, 'out', 'app.txt'))).toBe(true);
    expect(existsSync(join(green, 'out'))).toBe(false);
  });
});
