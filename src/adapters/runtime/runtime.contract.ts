/**
 * The contract every Runtime must pass, run with the fake misbehaving agents from
 * test/fixtures/agents (node programs started with this Node.js binary).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCorticalError } from '../../core/errors.js';
import type { Runtime, Sleeve, SpawnSpec } from '../../core/ports/runtime.js';

export const FIXTURES_DIR = resolve(import.meta.dirname, '../../../test/fixtures/agents');

type Line = { stream: 'stdout' | 'stderr'; text: string };

async function collect(sleeve: Sleeve): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of sleeve.lines) out.push(l);
  return out;
}

/** Alive and not a zombie (an orphan killed may wait a moment for its reaper). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

async function waitForLine(lines: Line[], match: (l: Line) => boolean, timeoutMs = 5000): Promise<void> {
  if (!(await eventually(() => lines.some(match), timeoutMs))) throw new Error('expected line did not arrive');
}

/**
 * A live process (other than `excluding`'s) whose command line has an argument equal to `marker`;
 * finds a sleeve's process by a unique argument when the pid it printed is not a host pid.
 */
export function processWithArg(marker: string, excluding: string): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes(marker) && !args.some((a) => a.includes(excluding)) && processAlive(Number(name))) return Number(name);
  }
  return null;
}

export interface RuntimeContractOptions {
  /**
   * Each sleeve has its own pid namespace: pids printed inside are not host pids, and whatever
   * is left when the leader exits dies with the namespace at once (so a stop whose leader
   * exits on SIGTERM may end as `stopped` rather than `killed_after_grace`).
   */
  readonly pidNamespace?: boolean;
  /** Where the suite makes its working directory (default: the system temp directory). */
  readonly parentDir?: string;
}

export function describeRuntimeContract(
  name: string,
  makeRuntime: () => Runtime,
  options: RuntimeContractOptions = {},
): void {
  const grandchildPid = (pidFile: string): number =>
    options.pidNamespace === true
      ? (processWithArg(pidFile, 'double-fork.mjs') ?? -1)
      : Number(readFileSync(pidFile, 'utf8'));
  describe(`Runtime contract: ${name}`, () => {
    const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'cortical-runtime-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const node = (fixture: string, args: string[] = [], extra: Partial<SpawnSpec> = {}): SpawnSpec => ({
      command: process.execPath,
      args: [join(FIXTURES_DIR, fixture), ...args],
      cwd: dir,
      env,
      ...extra,
    });

    it('reports the exit code and lines of both streams of a crashing program', async () => {
      const sleeve = await makeRuntime().spawn(node('crash.mjs', ['3']));
      expect(sleeve.pid).toBeGreaterThan(0);
      const [lines, exit] = await Promise.all([collect(sleeve), sleeve.exited]);
      expect(exit).toEqual({ exitCode: 3, signal: null, endedBy: 'exit' });
      expect(lines).toContainEqual({ stream: 'stdout', text: 'about to crash' });
      expect(lines).toContainEqual({ stream: 'stderr', text: 'boom' });
    });

    it('an exit code above 128 that no fatal signal explains stays an exit code (145: 128 + SIGCHLD)', async () => {
      const sleeve = await makeRuntime().spawn(node('crash.mjs', ['145']));
      const [, exit] = await Promise.all([collect(sleeve), sleeve.exited]);
      expect(exit).toEqual({ exitCode: 145, signal: null, endedBy: 'exit' });
    });

    it('keeps stdin open when asked: what is written later reaches the program, end closes it', async () => {
      const sleeve = await makeRuntime().spawn(node('print-env.mjs', [], { stdin: 'first ', keepStdinOpen: true }));
      if (sleeve.input === undefined) {
        // a runtime that cannot keep stdin open says so by leaving `input` undefined
        await sleeve.stop(1000);
        return;
      }
      expect(sleeve.input.write('second')).toBe(true);
      sleeve.input.end();
      const lines = await collect(sleeve);
      await sleeve.exited;
      expect((JSON.parse(lines.find((l) => l.stream === 'stdout')!.text) as { stdin: string }).stdin).toBe('first second');
      expect(sleeve.input.write('too late')).toBe(false);
    });

    it('rejects with UNAVAILABLE when the command cannot be started', async () => {
      const err: unknown = await makeRuntime()
        .spawn({ command: 'no-such-command-cortical', args: [], cwd: dir, env })
        .catch((e: unknown) => e);
      expect(isCorticalError(err) && err.code).toBe('UNAVAILABLE');
    });

    it('passes exactly the given environment, the working directory and stdin', async () => {
      const sleeve = await makeRuntime().spawn(
        node('print-env.mjs', [], { env: { ...env, ONLY_THIS: 'yes' }, stdin: 'hello stdin' }),
      );
      const lines = await collect(sleeve);
      await sleeve.exited;
      const report = JSON.parse(lines.find((l) => l.stream === 'stdout')!.text) as {
        env: Record<string, string>;
        cwd: string;
        stdin: string;
      };
      expect(Object.keys(report.env).sort()).toEqual(['HOME', 'ONLY_THIS', 'PATH']);
      expect(report.cwd).toBe(dir);
      expect(report.stdin).toBe('hello stdin');
    });

    it('stops a hanging program with SIGTERM within the grace period', async () => {
      const sleeve = await makeRuntime().spawn(node('hang.mjs'));
      const lines: Line[] = [];
      const reading = (async () => {
        for await (const l of sleeve.lines) lines.push(l);
      })();
      await waitForLine(lines, (l) => l.text === 'ready');
      const exit = await sleeve.stop(5000);
      expect(exit.endedBy).toBe('stopped');
      expect(exit.signal).toBe('SIGTERM');
      await reading;
      expect(processAlive(sleeve.pid)).toBe(false);
    });

    it('kills a program that ignores SIGTERM after the grace period', async () => {
      const sleeve = await makeRuntime().spawn(node('ignore-sigterm.mjs'));
      const lines: Line[] = [];
      const reading = (async () => {
        for await (const l of sleeve.lines) lines.push(l);
      })();
      await waitForLine(lines, (l) => l.text === 'ready');
      const started = Date.now();
      const [a, b] = await Promise.all([sleeve.stop(300), sleeve.stop(300)]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(a).toEqual(b);
      expect(a.endedBy).toBe('killed_after_grace');
      expect(a.signal).toBe('SIGKILL');
      await reading;
      expect(lines.map((l) => l.text)).toContain('ignoring SIGTERM');
    });

    it('stop kills a double-forked grandchild that ignores SIGTERM', async () => {
      const pidFile = join(dir, 'gc-stay.pid');
      const sleeve = await makeRuntime().spawn(node('double-fork.mjs', [pidFile, 'stay']));
      const lines: Line[] = [];
      const reading = (async () => {
        for await (const l of sleeve.lines) lines.push(l);
      })();
      await waitForLine(lines, (l) => l.text.startsWith('grandchild '));
      const grandchild = grandchildPid(pidFile);
      expect(processAlive(grandchild)).toBe(true);
      const exit = await sleeve.stop(300);
      if (options.pidNamespace === true) expect(['stopped', 'killed_after_grace']).toContain(exit.endedBy);
      else expect(exit.endedBy).toBe('killed_after_grace');
      expect(await eventually(() => !processAlive(grandchild))).toBe(true);
      await reading;
    });

    it('a grandchild left behind by an exited leader does not outlive the sleeve', async () => {
      const pidFile = join(dir, 'gc-exit.pid');
      const sleeve = await makeRuntime().spawn(node('double-fork.mjs', [pidFile, 'exit']));
      const [, exit] = await Promise.all([collect(sleeve), sleeve.exited]);
      expect(exit.exitCode).toBe(0);
      expect(exit.endedBy).toBe('exit');
      const gone = (): boolean =>
        options.pidNamespace === true
          ? processWithArg(pidFile, 'double-fork.mjs') === null
          : !processAlive(Number(readFileSync(pidFile, 'utf8')));
      expect(await eventually(gone)).toBe(true);
    });

    it('suspend freezes the group and resume lets it go on', async () => {
      const sleeve = await makeRuntime().spawn(node('tick.mjs'));
      const lines: Line[] = [];
      const reading = (async () => {
        for await (const l of sleeve.lines) lines.push(l);
      })();
      await waitForLine(lines, (l) => l.text === 'tick 2');
      sleeve.suspend();
      await new Promise((r) => setTimeout(r, 100));
      const frozenAt = lines.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(lines.length).toBe(frozenAt);
      sleeve.resume();
      await waitForLine(lines, () => lines.length > frozenAt + 2);
      sleeve.suspend();
      const exit = await sleeve.stop(2000); // a suspended group still stops
      expect(exit.endedBy).toBe('stopped');
      await reading;
    });

    it('delivers a flood of output in order and caps very long lines', async () => {
      const count = 100_000;
      const sleeve = await makeRuntime().spawn(node('flood.mjs', [String(count), '200000']));
      let n = 0;
      let inOrder = true;
      let longLine = '';
      let last = '';
      for await (const l of sleeve.lines) {
        if (n < count && l.text !== `line ${n}`) inOrder = false;
        if (n === count) longLine = l.text;
        last = l.text;
        n += 1;
      }
      const exit = await sleeve.exited;
      expect(exit.exitCode).toBe(0);
      expect(inOrder).toBe(true);
      expect(n).toBe(count + 2);
      expect(longLine.length).toBeLessThanOrEqual(64 * 1024 + 32);
      expect(longLine.startsWith('xxxx')).toBe(true);
      expect(last).toBe('last line without newline');
    });

    it('stop after a natural exit returns that exit', async () => {
      const sleeve = await makeRuntime().spawn(node('crash.mjs', ['0']));
      await collect(sleeve);
      const exit = await sleeve.exited;
      expect(await sleeve.stop(100)).toEqual(exit);
      expect(exit.endedBy).toBe('exit');
    });
  });
}
