/**
 * Containment, processes and privilege: the agent signals and traces host processes, tries to
 * become root, mount, change kernel settings and leave its cgroup. Host processes must survive
 * and nothing on the host may change.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { processAlive } from '../../src/adapters/runtime/runtime.contract.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { makeContainmentFixture, type ContainmentFixture } from './containment-fixture.js';
import { attempt, containmentRuntime, sh, sleep, spawnHostProcess, suiteTitle, verdicts } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

describe.skipIf(!available)(suiteTitle('containment: signals and privilege', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;
  let host: ChildProcess;

  beforeAll(() => {
    fx = makeContainmentFixture('priv');
    runtime = containmentRuntime(fx);
    host = spawnHostProcess(`containment-victim-${process.pid}`);
  });
  afterAll(() => {
    host?.kill('SIGKILL');
    fx?.cleanup();
  });

  it('cannot kill -9 a host process whose pid it is given', async () => {
    const pid = host.pid!;
    const run = await sh(runtime, fx, attempt(`kill -9 ${pid}`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    await sleep(200);
    expect(processAlive(pid)).toBe(true);
  });

  it('kill -9 -1 ends only the sleeve, never host processes', async () => {
    // First make sure the sleeve has a pid namespace of its own: without one, `kill -9 -1`
    // run as the node's user would take this test runner down with it.
    const ns = await sh(runtime, fx, 'readlink /proc/self/ns/pid');
    const hostNs = readlinkSync('/proc/self/ns/pid');
    expect(ns.stdout.trim()).toMatch(/^pid:\[\d+\]$/);
    expect(ns.stdout.trim()).not.toBe(hostNs);

    const run = await sh(runtime, fx, 'kill -9 -1; sleep 1; echo survived-own-kill');
    expect(run.timedOut).toBe(false);
    await sleep(200);
    expect(processAlive(host.pid!)).toBe(true);
    expect(processAlive(process.pid)).toBe(true);
  });

  it('runs as a non-root user without capabilities', async () => {
    const run = await sh(runtime, fx, 'echo "uid=$(id -u)"; grep ^CapEff /proc/self/status');
    const uid = Number(/uid=(\d+)/.exec(run.stdout)?.[1] ?? '0');
    expect(uid).not.toBe(0);
    expect(run.stdout).toMatch(/CapEff:\s+0+$/m);
  });

  it('cannot mount a filesystem', async () => {
    const run = await sh(runtime, fx, attempt(`mount -t tmpfs none '${fx.workspace}/mnt-${process.pid}' 2>&1 || mount -t tmpfs none /mnt`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
  });

  it('cannot remount the read-only .git/hooks writable from a nested user namespace', async () => {
    const hook = join(fx.hooksDir, 'pre-commit');
    const inner = `mount -o remount,bind,rw '${fx.hooksDir}' && echo 'touch /tmp/hooked' > '${hook}'`;
    const run = await sh(runtime, fx, attempt(`unshare -r -m sh -c "${inner}"`));
    expect(verdicts(run)).toEqual(['BLOCKED']);
    expect(existsSync(hook)).toBe(false);
  });

  it('cannot become root with su or sudo', async () => {
    const run = await sh(
      runtime,
      fx,
      `${attempt('su -c "id -u" root </dev/null 2>&1 | grep -qx 0')}; ${attempt('sudo -n id -u 2>&1 | grep -qx 0')}`,
    );
    expect(verdicts(run)).toEqual(['BLOCKED', 'BLOCKED']);
  });

  it('cannot ptrace a host process', async () => {
    const pid = host.pid!;
    // PTRACE_ATTACH (16) through the raw syscall (101 on x86-64, 117 on arm64), then strace.
    const nr = process.arch === 'arm64' ? 117 : 101;
    const run = await sh(
      runtime,
      fx,
      `${attempt(`perl -e 'exit(syscall(${nr}, 16, ${pid}, 0, 0) == 0 ? 0 : 1)'`)}; ${attempt(`timeout 3 strace -qq -p ${pid} -e trace=none 2>&1 | grep -vq .`)}`,
    );
    expect(verdicts(run)).toEqual(['BLOCKED', 'BLOCKED']);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^TracerPid:\s+0$/m);
    expect(processAlive(pid)).toBe(true);
  });

  // Under a root node the sleeve runs as an unprivileged host uid, so the host's sysctls are not
  // writable even though /proc inside the sleeve is its own.
  it('cannot change kernel settings through /proc/sys', async (ctx) => {
    const setting = ['/proc/sys/kernel/panic', '/proc/sys/vm/swappiness'].find((p) => existsSync(p));
    if (setting === undefined) ctx.skip(true, 'no known integer sysctl on this kernel');
    const before = readFileSync(setting!, 'utf8').trim();
    const want = String(Number(before) + 1);
    try {
      const run = await sh(runtime, fx, attempt(`echo ${want} > ${setting} && [ "$(cat ${setting})" = ${want} ]`));
      expect(verdicts(run)).toEqual(['BLOCKED']);
      expect(readFileSync(setting!, 'utf8').trim()).toBe(before);
    } finally {
      if (readFileSync(setting!, 'utf8').trim() !== before) writeFileSync(setting!, before);
    }
  });

  it('cannot move itself out of its cgroup', async () => {
    const run = await sh(
      runtime,
      fx,
      attempt('for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/memory/cgroup.procs; do [ -e $f ] && echo $$ > $f && exit 0; done; exit 1'),
    );
    expect(verdicts(run)).toEqual(['BLOCKED']);
  });
});
