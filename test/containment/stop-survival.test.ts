/**
 * Containment, surviving a stop: the agent ignores SIGTERM, double-forks a daemon, starts a
 * setsid child. After stop() (or after the leader's own exit) no process of the sleeve may
 * remain: the daemon's heartbeat file stops changing and no process carries its token.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime, Sleeve } from '../../src/core/ports/runtime.js';
import { makeContainmentFixture, type ContainmentFixture } from './containment-fixture.js';
import { containmentRuntime, eventually, nodeScript, pidsWithCmdline, sh, sleep, suiteTitle } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();

function mtimeNs(path: string): bigint | null {
  try {
    return statSync(path, { bigint: true }).mtimeNs;
  } catch {
    return null;
  }
}

describe.skipIf(!available)(suiteTitle('containment: surviving a stop', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;
  let n = 0;

  beforeAll(() => {
    fx = makeContainmentFixture('stop');
    runtime = containmentRuntime(fx);
  });
  afterAll(() => fx?.cleanup());

  const fresh = (): { token: string; beat: string } => {
    n += 1;
    const token = `daemon-${process.pid}-${Date.now()}-${n}`;
    return { token, beat: join(fx.workspace, `${token}.beat`) };
  };

  /** The heartbeat file has stopped changing and no process carries the token. */
  async function expectNothingLeft(token: string, beat: string): Promise<void> {
    expect(await eventually(() => pidsWithCmdline(token).length === 0, 5000)).toBe(true);
    const a = mtimeNs(beat);
    await sleep(600);
    expect(mtimeNs(beat)).toBe(a);
  }

  /** Waits until the heartbeat file exists and has changed once (the daemon is running). */
  async function daemonRunning(beat: string): Promise<void> {
    expect(await eventually(() => mtimeNs(beat) !== null, 8000)).toBe(true);
    const first = mtimeNs(beat);
    expect(await eventually(() => mtimeNs(beat) !== first, 3000)).toBe(true);
  }

  const loop = (beat: string): string => `while :; do date +%s%N > '${beat}'; sleep 0.1; done`;

  it('a leader that ignores SIGTERM is killed after the grace period', async () => {
    const { token, beat } = fresh();
    const run = await sh(runtime, fx, `trap '' TERM; ${loop(beat)}; : ${token}`, {
      timeoutMs: 60_000,
      onStarted: async (sleeve: Sleeve) => {
        await daemonRunning(beat);
        const exit = await sleeve.stop(300);
        expect(exit.endedBy).toBe('killed_after_grace');
      },
    });
    expect(run.exit.endedBy).toBe('killed_after_grace');
    await expectNothingLeft(token, beat);
  });

  it('a double-forked daemon ignoring SIGTERM and SIGHUP does not outlive stop()', async () => {
    const { token, beat } = fresh();
    const daemon = `trap '' TERM HUP INT; ${loop(beat)}`;
    const script = `( sh -c "${daemon}" ${token} & ) ; echo forked; sleep 600`;
    await sh(runtime, fx, script, {
      timeoutMs: 60_000,
      onStarted: async (sleeve: Sleeve) => {
        await daemonRunning(beat);
        expect(pidsWithCmdline(token).length).toBeGreaterThan(0);
        await sleeve.stop(300);
      },
    });
    await expectNothingLeft(token, beat);
  });

  it('a setsid child left behind by a leader that exits normally does not survive', async () => {
    const { token, beat } = fresh();
    const child = `trap '' TERM HUP; ${loop(beat)}`;
    const run = await sh(runtime, fx, `setsid sh -c "${child}" ${token} </dev/null >/dev/null 2>&1 & sleep 1; echo leader-exits`, {
      timeoutMs: 20_000,
    });
    expect(run.exit.endedBy).toBe('exit');
    expect(run.stdout).toContain('leader-exits');
    await expectNothingLeft(token, beat);
  });

  it('a detached node daemon (own session, stdio closed, unref) does not outlive stop()', async () => {
    const { token, beat } = fresh();
    const source = `import { spawn } from 'node:child_process';
const code = "process.on('SIGTERM', () => {}); process.on('SIGHUP', () => {}); setInterval(() => require('fs').writeFileSync(process.argv[1], String(Date.now())), 100);";
const c = spawn(process.execPath, ['-e', code, process.argv[2], process.argv[3]], { detached: true, stdio: 'ignore' });
c.unref();
console.log('daemon ' + c.pid);
setInterval(() => {}, 1000);`;
    await nodeScript(runtime, fx, 'node-daemon', source, [beat, token], {
      timeoutMs: 60_000,
      onStarted: async (sleeve: Sleeve) => {
        await daemonRunning(beat);
        await sleeve.stop(300);
      },
    });
    await expectNothingLeft(token, beat);
  });
});
