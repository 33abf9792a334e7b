/**
 * Containment: the agent tries to leave its workspace by symlinks, hard links and `..` paths.
 * A link may be created (the workspace is the agent's), but following it must not reach
 * anything hidden or read-only, and nothing on the host may change.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { leakedSecrets, makeContainmentFixture, readText, type ContainmentFixture } from './containment-fixture.js';
import { attempt, containmentRuntime, sh, suiteTitle, verdicts, type SleeveRun } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

describe.skipIf(!available)(suiteTitle('containment: escaping by symlinks and .. paths', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;

  beforeAll(() => {
    fx = makeContainmentFixture('path');
    runtime = containmentRuntime(fx);
  });
  afterAll(() => fx?.cleanup());

  function expectBlocked(run: SleeveRun): void {
    expect(run.timedOut).toBe(false);
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(leakedSecrets(fx, run.output)).toEqual([]);
  }

  it('a symlink to /root shows nothing of the host /root', async () => {
    const run = await sh(runtime, fx, attempt('ln -s /root rootlink && test -n "$(ls -A rootlink/ 2>/dev/null)"'));
    expectBlocked(run);
  });

  it("a symlink to ../task-other does not expose the other task's files", async () => {
    const rel = relative(fx.workspace, fx.otherWorkspace);
    const run = await sh(runtime, fx, attempt(`ln -s '${rel}' other && cat other/secret.txt`));
    expectBlocked(run);
  });

  it("a symlink into the user's ~/.ssh does not expose the key", async () => {
    const run = await sh(runtime, fx, attempt(`ln -s '${join(fx.home, '.ssh')}' sshdir && cat sshdir/id_ed25519`));
    expectBlocked(run);
  });

  it('a planted symlink to a host path, then written through, creates nothing on the host', async () => {
    const target = fx.freshPath('planted');
    const run = await sh(runtime, fx, attempt(`ln -s '${target}' planted && echo pwned > planted`));
    expectBlocked(run);
    expect(existsSync(target)).toBe(false);
  });

  it('a planted symlink to .git/hooks/pre-commit, then written through, adds no hook', async () => {
    const hook = join(fx.hooksDir, 'pre-commit');
    const run = await sh(runtime, fx, attempt(`ln -s '${hook}' hooklink && echo 'touch /tmp/hooked' > hooklink && chmod +x hooklink`));
    expectBlocked(run);
    expect(existsSync(hook)).toBe(false);
  });

  it('a hard link to the read-only policy file cannot be used to change it', async () => {
    const run = await sh(runtime, fx, attempt(`ln '${fx.policyFile}' policy-copy && echo '{"allowedTools":["*"]}' > policy-copy`));
    expectBlocked(run);
    expect(readText(fx.policyFile)).toBe(fx.policyContent);
  });

  it("`..` paths do not reach another task's workspace", async () => {
    const run = await sh(runtime, fx, attempt('cat ../task-other/secret.txt || ls ../task-other | grep -q secret'));
    expectBlocked(run);
  });

  it("`..` paths do not reach HQ's data dir", async () => {
    const rel = relative(fx.workspace, fx.adminTokenFile);
    expect(rel.startsWith('..')).toBe(true);
    const run = await sh(runtime, fx, attempt(`cat '${rel}'`));
    expectBlocked(run);
  });

  it('a write to a `..` path creates nothing on the host', async () => {
    const target = fx.freshPath('dotdot');
    const rel = relative(fx.workspace, target);
    const before = readdirSync(fx.base).sort();
    const run = await sh(runtime, fx, `echo pwned > '${rel}'; echo pwned > ../escape.txt; echo ran`);
    expect(run.stdout).toContain('ran');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(fx.workspace, '..', 'escape.txt'))).toBe(false);
    expect(readdirSync(fx.base).sort()).toEqual(before);
  });
});
