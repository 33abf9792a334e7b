/**
 * Containment, resources: the agent exhausts memory, processes, disk, file size and file
 * descriptors. The sleeve must be held at its limits, the runtime must say which limit ended it
 * (SleeveExit.reason), and the host must carry on (the next sleeve still starts).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { makeContainmentFixture, type ContainmentFixture } from './containment-fixture.js';
import { containmentRuntime, eventually, nodeScript, pidsWithCmdline, sh, suiteTitle } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

function dirBytes(dir: string, names: readonly string[]): number {
  let total = 0;
  for (const n of names) {
    try {
      total += statSync(join(dir, n)).size;
    } catch {
      // not written
    }
  }
  return total;
}

describe.skipIf(!available)(suiteTitle('containment: resource exhaustion', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;

  beforeAll(() => {
    fx = makeContainmentFixture('limits');
    runtime = containmentRuntime(fx);
  });
  afterAll(() => fx?.cleanup());

  it('a memory hog is ended at its memory limit (reason oom)', async () => {
    const hog = `const keep = []; for (let i = 0; i < 256; i++) { keep.push(Buffer.alloc(8 << 20, i)); }
console.log('allocated everything');`;
    const run = await nodeScript(runtime, fx, 'hog', hog, [], { limits: { memoryMb: 128 }, timeoutMs: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.stdout).not.toContain('allocated everything');
    expect(run.exit.reason).toBe('oom');
  }, 40_000);

  it('a fork bomb is held at the process limit (reason pids_limit), and the host survives it', async () => {
    const token = `bomb-${process.pid}-${Date.now()}`;
    // Bounded, so that a host without the limit is not taken down by the test itself.
    const bomb = `i=0; while [ $i -lt 600 ]; do sh -c 'sleep 30; :' ${token} & i=$((i+1)); done; echo spawned; wait`;
    const run = await sh(runtime, fx, bomb, { limits: { maxProcesses: 64 }, timeoutMs: 20_000 });
    expect(run.exit.reason).toBe('pids_limit');
    expect(run.timedOut).toBe(false);
    expect(await eventually(() => pidsWithCmdline(token).length === 0, 5000)).toBe(true);
    // The host can still start processes, and a new sleeve still starts and runs.
    expect(spawnSync('/bin/true').status).toBe(0);
    const after = await sh(runtime, fx, 'echo still-works');
    expect(after.exit.exitCode).toBe(0);
    expect(after.stdout).toContain('still-works');
  }, 40_000);

  it('filling the disk past the workspace quota ends the sleeve (reason disk_quota)', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `fill-${i}.bin`);
    // 1 MB every 40 ms, 150 MB at most: well past the 8 MB quota before the runtime's check.
    const fill = `for f in ${names.join(' ')}; do dd if=/dev/zero of=$f bs=1M count=1 2>/dev/null; sleep 0.04; done; echo filled`;
    const run = await sh(runtime, fx, fill, { limits: { diskQuotaMb: 8 }, timeoutMs: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.stdout).not.toContain('filled');
    expect(run.exit.reason).toBe('disk_quota');
    expect(dirBytes(fx.workspace, names)).toBeLessThan(150 * 1024 * 1024);
    spawnSync('/bin/rm', ['-f', ...names.map((n) => join(fx.workspace, n))]);
  }, 40_000);

  it('a single file cannot grow past the file size limit (reason file_size_limit)', async () => {
    const file = join(fx.workspace, 'huge.bin');
    const run = await sh(runtime, fx, 'exec dd if=/dev/zero of=huge.bin bs=1M count=64', {
      limits: { maxFileSizeMb: 4 },
      timeoutMs: 20_000,
    });
    expect(run.exit.signal).toBe('SIGXFSZ');
    expect(run.exit.reason).toBe('file_size_limit');
    expect(statSync(file).size).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('opening descriptors without end hits EMFILE inside the sleeve, at the limit', async () => {
    const source = `import { openSync } from 'node:fs';
let n = 0;
try { for (;;) { openSync('/dev/null', 'r'); n++; if (n > 100000) break; } console.log('no limit after ' + n); }
catch (e) { console.log(JSON.stringify({ code: e.code, opened: n })); }`;
    const run = await nodeScript(runtime, fx, 'fds', source, [], { limits: { maxOpenFiles: 64 } });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    expect(line, run.output).toBeDefined();
    const result = JSON.parse(line!) as { code: string; opened: number };
    expect(result.code).toBe('EMFILE');
    expect(result.opened).toBeLessThan(64);
    // The host's own limit is untouched.
    const host = spawnSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
    expect(Number(host.stdout.trim())).toBeGreaterThan(64);
  });
});
