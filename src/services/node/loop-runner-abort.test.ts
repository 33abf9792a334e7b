import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptAgent } from '../../adapters/agents/script/script-agent.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Task } from '../../core/task.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { LoopRunner, type LoopRunnerDeps } from './loop-runner.js';
import { leasedTask } from './node-test-kit.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-abort-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Iteration 1 logs, reports usage, writes a marker, then sleeps for a minute; iteration 2 writes
 * `second.txt`, which the `until` check looks for.
 */
const SCRIPT = ['@1 print said during the gap', '@1 usage 120 30 0.5', '@1 write slept.txt yes', '@1 sleep 60000', '@2 write second.txt ok'].join('\n');

let n = 0;

function setup(over: { spec?: Partial<Task['spec']>; task?: Partial<Task>; script?: string } = {}, beforeIteration?: LoopRunnerDeps['beforeIteration']) {
  n += 1;
  const task = leasedTask(`abort_${n}`, over.script ?? SCRIPT, { ...(over.task ? { task: over.task } : {}), spec: { until: 'test -f second.txt', ...over.spec } });
  const hq = new InMemoryHqDouble();
  hq.tasks.set(task.id, task);
  const workDir = join(root, task.id);
  const runner = new LoopRunner(task, {
    hq,
    runtime: new ProcessRuntime(),
    drivers: new Map<string, AgentDriver>([['script', new ScriptAgent()]]),
    workspaces: new GitWorkspaces(workDir),
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stopGraceMs: 5000,
    flushIntervalMs: 50,
    ...(beforeIteration !== undefined ? { beforeIteration } : {}),
  });
  const ac = new AbortController();
  const running = runner.start(ac.signal);
  const wsPath = join(workDir, 'workspaces', task.id);
  const stop = async () => {
    ac.abort();
    await running;
  };
  return { hq, runner, running, wsPath, stop };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Pids of the processes whose working directory is `dir` (the sleeve's processes). */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Whether process `pid` exists (a zombie not yet reaped by its parent does). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether process `pid` still runs (exists and is not a zombie: dead, waiting for its parent to reap it). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Settles with 'settled', or 'pending' if `p` has not settled within `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)));
  try {
    return await Promise.race([p.then(() => 'settled' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

const linesOf = (hq: InMemoryHqDouble, iteration: number) => hq.logs.filter((l) => l.iteration === iteration).map((l) => l.text);

describe('LoopRunner.abortIteration', () => {
  it('kills the running sleeve at once, keeps its unsent logs and usage, skips its until check and goes on with the next iteration', async () => {
    const { hq, runner, running, wsPath } = setup();
    await until(() => hq.iterations.some((r) => r.iteration === 1 && r.kind === 'started'), 'iteration 1 started');
    // HQ is cut off: what iteration 1 does from now on waits in the runner's outbox
    hq.unavailable = true;
    await until(() => existsSync(join(wsPath, 'slept.txt')), 'iteration 1 is in its long sleep');
    const sleeve = processesIn(wsPath);
    expect(sleeve).not.toEqual([]);
    expect(runner.iterating).toBe(true);

    const startedAt = Date.now();
    await runner.abortIteration();
    // the sleeve is gone when the abort resolves; zero grace: not the 5 s stop grace, not the minute's sleep
    expect(sleeve.filter(exists)).toEqual([]);
    expect(processesIn(wsPath)).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(4000);
    expect(runner.result).toBeNull();
    expect(linesOf(hq, 1)).not.toContain('said during the gap');

    hq.unavailable = false;
    await running;
    // the same attempt went on: iteration 2 ran and its until check passed
    expect(runner.result).toMatchObject({ kind: 'completed', outcome: 'succeeded', reason: 'until_passed' });
    expect(hq.started).toHaveLength(1);
    expect(hq.iterations.filter((r) => r.kind === 'started').map((r) => r.iteration)).toEqual([1, 2]);
    // what iteration 1 did during the outage reached HQ: its log line, its usage
    expect(linesOf(hq, 1)).toContain('said during the gap');
    expect(linesOf(hq, 1)).toContain('iteration 1 aborted: its sleeve was stopped at once; the attempt goes on with the next iteration');
    expect(hq.iterations.find((r) => r.iteration === 1 && r.kind === 'usage')?.data).toMatchObject({ tokensIn: 120, tokensOut: 30, usd: 0.5 });
    expect(hq.completions[0]?.usage).toEqual({ iterations: 2, tokensIn: 120, tokensOut: 30, usd: 0.5 });
    // no until check for the aborted iteration; one for the next
    expect(linesOf(hq, 1).filter((t) => t.includes('until'))).toEqual([]);
    expect(hq.iterations.find((r) => r.iteration === 1 && r.kind === 'finished')?.data).toMatchObject({ verdict: 'continue', untilPassed: null, exitCode: null, signal: expect.any(String) });
    expect(linesOf(hq, 2)).toContain('until check passed');
  }, 60_000);

  it('resolves at once when no iteration runs (the attempt is paused between iterations)', async () => {
    const { hq, runner, stop } = setup({ task: { desired: 'pause' } });
    try {
      await until(() => hq.progress.some((p) => p.observed === 'paused'), 'the attempt is paused');
      expect(runner.iterating).toBe(false);
      expect(await within(runner.abortIteration(), 2000)).toBe('settled');
      expect(hq.iterations.filter((r) => r.kind === 'started')).toEqual([]);
      expect(runner.result).toBeNull();
    } finally {
      await stop();
    }
  }, 60_000);

  it('during the pre-iteration step (waiting on a gate) it resolves at once, and that step runs again before the sleeve starts', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const calls: number[] = [];
    const { hq, runner, running } = setup({}, async (input) => {
      calls.push(input.iteration);
      if (calls.length === 1) await gate;
      return null;
    });
    await until(() => calls.length === 1, 'the pre-iteration step of iteration 1');
    expect(runner.iterating).toBe(true);
    // waiting for the sleeve here would never end: the gate opens only after the abort
    expect(await within(runner.abortIteration(), 2000)).toBe('settled');
    expect(hq.iterations.filter((r) => r.kind === 'started')).toEqual([]);
    open();
    await until(() => existsSync(join(hq.started[0]?.workspacePath ?? '/nonexistent', 'slept.txt')), 'iteration 1 runs');
    expect(calls).toEqual([1, 1]);
    await runner.abortIteration();
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'until_passed' });
    expect(calls).toEqual([1, 1, 2]);
    expect(hq.iterations.filter((r) => r.kind === 'started').map((r) => r.iteration)).toEqual([1, 2]);
  }, 60_000);

  it('during the until check it stops the check at once (no grace, not its minute of sleep), and the attempt goes on', async () => {
    // iteration 1 ends at once; its until check then sleeps a minute (iteration 2's passes)
    const script = ['@1 write first.txt yes', '@2 write second.txt ok'].join('\n');
    const { hq, runner, running, wsPath } = setup({ script, spec: { until: 'test -f second.txt || { touch until-started; sleep 60; }' } });
    await until(() => existsSync(join(wsPath, 'until-started')), 'the until check of iteration 1 is in its sleep');
    expect(runner.iterating).toBe(true);
    const checker = processesIn(wsPath);
    expect(checker).not.toEqual([]);

    const startedAt = Date.now();
    expect(await within(runner.abortIteration(), 4000)).toBe('settled');
    expect(Date.now() - startedAt).toBeLessThan(4000);
    // killed: the shell is reaped by the runtime; its `sleep`, orphaned, may be a zombie until init reaps it
    expect(checker.filter(isRunning)).toEqual([]);
    await running;
    expect(runner.result).toMatchObject({ kind: 'completed', outcome: 'succeeded', reason: 'until_passed' });
    expect(linesOf(hq, 1)).toContain('until check stopped: the iteration was aborted');
    expect(linesOf(hq, 1)).toContain('iteration 1 aborted: its sleeve was stopped at once; the attempt goes on with the next iteration');
    expect(hq.iterations.find((r) => r.iteration === 1 && r.kind === 'finished')?.data).toMatchObject({ verdict: 'continue', untilPassed: false });
    expect(hq.iterations.filter((r) => r.kind === 'started').map((r) => r.iteration)).toEqual([1, 2]);
  }, 60_000);
});
