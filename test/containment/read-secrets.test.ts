/**
 * Containment: the agent tries to read what belongs to the host, HQ, the user or another task.
 * Each attempt runs inside a bubblewrap sleeve and must fail without any secret in its output.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { leakedSecrets, makeContainmentFixture, type ContainmentFixture } from './containment-fixture.js';
import {
  attempt,
  containmentRuntime,
  sh,
  spawnHostProcess,
  suiteTitle,
  verdicts,
  type SleeveRun,
} from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

describe.skipIf(!available)(suiteTitle('containment: reading host secrets', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;
  let hostProc: ChildProcess;
  const hostEnvSecret = `host-env-secret-${process.pid}-${Date.now()}`;

  beforeAll(() => {
    fx = makeContainmentFixture('read');
    runtime = containmentRuntime(fx);
    hostProc = spawnHostProcess(`containment-read-${process.pid}`, { HOST_ENV_SECRET: hostEnvSecret });
  });
  afterAll(() => {
    hostProc?.kill('SIGKILL');
    fx?.cleanup();
  });

  /** Ran, printed exactly one verdict (BLOCKED), and leaked none of the fixture's secrets. */
  function expectBlocked(run: SleeveRun): void {
    expect(run.timedOut).toBe(false);
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(leakedSecrets(fx, run.output)).toEqual([]);
  }

  it('cannot read the SSH key in the user home (hidden path)', async () => {
    const run = await sh(runtime, fx, attempt(`cat '${fx.sshKeyFile}'`));
    expectBlocked(run);
  });

  it('cannot list or read files in the user home', async () => {
    const run = await sh(runtime, fx, attempt(`ls -A '${fx.home}' | grep -q . || cat '${fx.homeSecretFile}'`));
    expectBlocked(run);
  });

  it('sees an empty /root (hidden by the runtime)', async () => {
    let hostEntries: string[] = [];
    try {
      hostEntries = readdirSync('/root');
    } catch {
      // not readable here either: the attempt below must still find nothing
    }
    const run = await sh(runtime, fx, `echo "entries:$(ls -A /root 2>/dev/null | tr '\\n' ' ')"; ${attempt('test -n "$(ls -A /root 2>/dev/null)"')}`);
    expectBlocked(run);
    const seen = (/entries:(.*)/.exec(run.stdout)?.[1] ?? '').split(' ').filter((e) => e !== '');
    expect(seen.filter((e) => hostEntries.includes(e))).toEqual([]);
  });

  it("cannot read HQ's admin token file", async () => {
    const run = await sh(runtime, fx, attempt(`cat '${fx.adminTokenFile}'`));
    expectBlocked(run);
  });

  it("cannot read the node's credential file", async () => {
    const run = await sh(runtime, fx, attempt(`cat '${fx.credentialFile}'`));
    expectBlocked(run);
  });

  it("cannot read another task's workspace", async () => {
    const run = await sh(runtime, fx, attempt(`cat '${fx.otherSecretFile}' || ls '${fx.otherWorkspace}' | grep -q secret`));
    expectBlocked(run);
  });

  it('/proc/1/environ is not the host init environment', async () => {
    let hostInit: string | null = null;
    try {
      hostInit = readFileSync('/proc/1/cmdline', 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      // unreadable on this host: comparing the sleeve's own pid 1 below is still meaningful
    }
    const run = await sh(
      runtime,
      fx,
      `echo "init:$(tr '\\0' ' ' < /proc/1/cmdline)"; ${attempt(`tr '\\0' '\\n' < /proc/1/environ | grep -q '^HOST_ENV_SECRET='`)}`,
    );
    expectBlocked(run);
    expect(run.output).not.toContain(hostEnvSecret);
    const init = /init:(.*)/.exec(run.stdout)?.[1]?.trim() ?? '';
    if (hostInit !== null && hostInit !== '') expect(init).not.toBe(hostInit);
  });

  it("cannot read a host process's environment through /proc/<pid>/environ", async () => {
    const pid = hostProc.pid!;
    const run = await sh(runtime, fx, attempt(`tr '\\0' '\\n' < /proc/${pid}/environ | grep HOST_ENV_SECRET`));
    expectBlocked(run);
    expect(run.output).not.toContain(hostEnvSecret);
  });

  it("cannot reach hidden files through a host process's /proc/<pid>/root", async () => {
    const pid = hostProc.pid!;
    const run = await sh(runtime, fx, attempt(`cat '/proc/${pid}/root${fx.adminTokenFile}'`));
    expectBlocked(run);
  });

  // Under a root node the sleeve runs as an unprivileged host uid: root-only files stay closed.
  it('/etc/shadow is not readable', async () => {
    const run = await sh(runtime, fx, attempt(`cat /etc/shadow | grep -q '^root:'`));
    expect(run.timedOut).toBe(false);
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(run.stdout).not.toMatch(/^root:/m);
  });

  it('a search of the whole fixture tree finds no secret', async () => {
    const run = await sh(
      runtime,
      fx,
      attempt(`grep -rhs -e 'admin-token-' -e 'ssh-key-' -e 'node-credential-' -e 'other-task-' -e 'home-file-' '${fx.base}' 2>/dev/null`),
    );
    expectBlocked(run);
  });

  it("the host's environment does not leak into the sleeve", async () => {
    process.env.CORTICAL_CONTAINMENT_PROBE = hostEnvSecret;
    try {
      const run = await sh(runtime, fx, attempt(`env | grep -e CORTICAL_CONTAINMENT_PROBE -e HOST_ENV_SECRET`));
      expectBlocked(run);
      expect(run.output).not.toContain(hostEnvSecret);
    } finally {
      delete process.env.CORTICAL_CONTAINMENT_PROBE;
    }
  });
});
