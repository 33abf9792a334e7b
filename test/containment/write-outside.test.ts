/**
 * Containment: the agent tries to write outside its workspace — system directories, the host's
 * /tmp, the repository's hooks, its own policy file, the node's and HQ's credentials, another
 * task's workspace, the user's home. Whatever the sleeve believes, the host must be unchanged.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { makeContainmentFixture, readText, type ContainmentFixture } from './containment-fixture.js';
import { attempt, containmentRuntime, sh, suiteTitle, verdicts } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

describe.skipIf(!available)(suiteTitle('containment: writing outside the workspace', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;
  let hooksBefore: string[];
  const tag = `cortical-escape-${process.pid}-${Date.now()}`;

  beforeAll(() => {
    fx = makeContainmentFixture('write');
    runtime = containmentRuntime(fx);
    hooksBefore = readdirSync(fx.hooksDir).sort();
  });
  afterAll(() => fx?.cleanup());

  it('cannot create a file in /etc', async () => {
    const run = await sh(runtime, fx, attempt(`echo pwned > /etc/${tag}`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(existsSync(`/etc/${tag}`)).toBe(false);
  });

  it('cannot plant a binary in /usr/bin', async () => {
    const run = await sh(runtime, fx, attempt(`printf '#!/bin/sh\\necho pwned\\n' > /usr/bin/${tag} && chmod +x /usr/bin/${tag}`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(existsSync(`/usr/bin/${tag}`)).toBe(false);
  });

  it("a file written to /tmp does not appear in the host's /tmp", async () => {
    const run = await sh(runtime, fx, `echo pwned > /tmp/${tag}; echo ran`);
    expect(run.stdout).toContain('ran');
    expect(existsSync(join('/tmp', tag))).toBe(false);
  });

  it("cannot add a pre-commit hook to the repository's .git/hooks", async () => {
    const hook = join(fx.hooksDir, 'pre-commit');
    const run = await sh(runtime, fx, attempt(`printf '#!/bin/sh\\ntouch /tmp/hooked\\n' > '${hook}' && chmod +x '${hook}'`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(existsSync(hook)).toBe(false);
    expect(readdirSync(fx.hooksDir).sort()).toEqual(hooksBefore);
  });

  it('cannot swap .git/hooks for a directory of its own', async () => {
    const hooks = fx.hooksDir;
    const run = await sh(
      runtime,
      fx,
      attempt(`mv '${hooks}' '${hooks}.old' && mkdir '${hooks}' && echo 'touch /tmp/hooked' > '${hooks}/pre-commit'`),
    );
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(existsSync(`${hooks}.old`)).toBe(false);
    expect(readdirSync(hooks).sort()).toEqual(hooksBefore);
  });

  it('cannot overwrite its own policy file (read-only path)', async () => {
    const run = await sh(runtime, fx, attempt(`echo '{"allowedTools":["*"]}' > '${fx.policyFile}'`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(readText(fx.policyFile)).toBe(fx.policyContent);
  });

  it('cannot delete or rename its own policy file and put another in its place', async () => {
    const p = fx.policyFile;
    const run = await sh(runtime, fx, attempt(`{ mv '${p}' '${p}.bak' || rm -f '${p}'; } && echo '{"allowedTools":["*"]}' > '${p}'`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(readText(p)).toBe(fx.policyContent);
    expect(existsSync(`${p}.bak`)).toBe(false);
  });

  it("cannot overwrite the node's credential file", async () => {
    const before = readText(fx.credentialFile);
    const run = await sh(runtime, fx, `echo '{"nodeToken":"attacker"}' > '${fx.credentialFile}'; echo ran`);
    expect(run.stdout).toContain('ran');
    expect(readText(fx.credentialFile)).toBe(before);
  });

  it("cannot replace HQ's admin token", async () => {
    const before = readText(fx.adminTokenFile);
    const run = await sh(runtime, fx, `echo attacker > '${fx.adminTokenFile}'; echo ran`);
    expect(run.stdout).toContain('ran');
    expect(readText(fx.adminTokenFile)).toBe(before);
  });

  it("cannot write into another task's workspace", async () => {
    const target = join(fx.otherWorkspace, `${tag}.txt`);
    const before = readText(fx.otherSecretFile);
    const run = await sh(runtime, fx, `echo pwned > '${target}'; echo pwned > '${fx.otherSecretFile}'; echo ran`);
    expect(run.stdout).toContain('ran');
    expect(existsSync(target)).toBe(false);
    expect(readText(fx.otherSecretFile)).toBe(before);
  });

  it("cannot add a key to the user's ~/.ssh/authorized_keys", async () => {
    const target = join(fx.home, '.ssh', 'authorized_keys');
    const run = await sh(runtime, fx, `mkdir -p '${join(fx.home, '.ssh')}'; echo 'ssh-ed25519 AAAA attacker' >> '${target}'; echo ran`);
    expect(run.stdout).toContain('ran');
    expect(existsSync(target)).toBe(false);
  });
});
