import { readFinishedMarker } from '../../adapters/workspace/git/finished-marker.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { ScriptAgent } from '../../adapters/agents/script/script-agent.js';
import { ShellAgent } from '../../adapters/agents/shell/shell-agent.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { GuardrailLimits, Task, TaskSpec } from '../../core/task.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { LoopRunner, type LoopControls } from './loop-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-loop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const NO_LIMITS: GuardrailLimits = {
  maxIterations: 25, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: null, stuckAfterIterations: null,
};
let n = 0;

function makeTask(spec: Partial<TaskSpec> & { limits?: Partial<GuardrailLimits> }, over: Partial<Task> = {}): Task {
  n += 1;
  const { limits, ...rest } = spec;
  return {
    id: `task_${n}`,
    spec: {
      prompt: 'echo hi', agent: 'script', mode: 'loop', requires: [], repo: null, until: null,
      guardrails: { ...NO_LIMITS, ...limits }, priority: 0, maxAttempts: 3, retryBackoffMs: 10, labels: {}, ...rest,
    },
    state: 'leased', reason: null, message: null, desired: 'run', attempts: 1, fencingToken: 7, nodeId: 'node_1',
    leaseExpiresAt: null, notBefore: 0, usage: { iterations: 0, tokensIn: 0, tokensOut: 0, usd: 0 }, runtimeMs: 0,
    workspacePath: null, createdAt: 0, updatedAt: 0, startedAt: null, finishedAt: null,
    ...over,
  };
}

function setup(task: Task) {
  const hq = new InMemoryHqDouble();
  hq.tasks.set(task.id, task);
  const workDir = join(root, task.id);
  const runner = new LoopRunner(task, {
    hq,
    runtime: new ProcessRuntime(),
    drivers: new Map<string, AgentDriver>([['shell', new ShellAgent()], ['script', new ScriptAgent()]]),
    workspaces: new GitWorkspaces(workDir),
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stopGraceMs: 300,
    flushIntervalMs: 50,
  });
  const ac = new AbortController();
  const running = runner.start(ac.signal);
  const control = (c: Partial<LoopControls>) => runner.applyControls({ desired: 'run', pendingGuidance: [], killSwitch: false, ...c });
  const wsPath = join(workDir, 'workspaces', task.id);
  return { hq, runner, running, control, ac, wsPath };
}

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LoopRunner', () => {
  it('once: a shell command that exits 0 succeeds with once_completed', async () => {
    const { hq, running, runner, wsPath } = setup(makeTask({ agent: 'shell', mode: 'once', prompt: 'echo hello; echo oops >&2', limits: { maxIterations: 1 } }));
    await running;
    expect(runner.result).toMatchObject({ kind: 'completed', outcome: 'succeeded', reason: 'once_completed' });
    expect(hq.started).toEqual([{ taskId: runner.taskId, workspacePath: wsPath }]);
    expect(hq.logText()).toEqual(expect.arrayContaining(['hello', 'oops']));
    expect(hq.completions[0]).toMatchObject({ fencingToken: 7, usage: { iterations: 1 } });
    expect(hq.progress.some((p) => p.observed === 'running')).toBe(true);
    expect(hq.iterations.map((i) => i.kind)).toEqual(['started', 'usage', 'finished']);
    // A final outcome marks the workspace finished for workspace GC.
    expect(await readFinishedMarker(wsPath)).not.toBeNull();
  });

  it('loop: finishes when until passes after the expected iterations', async () => {
    const { hq, running, runner } = setup(
      makeTask({ prompt: 'append count.txt x', until: 'test "$(wc -l < count.txt)" -ge 3', limits: { maxIterations: 10 } }),
    );
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'until_passed' });
    expect(hq.completions[0]?.usage?.iterations).toBe(3);
    expect(hq.logText()).toContain('until check passed');
  });

  it('fails with max_iterations', async () => {
    const { hq, running, runner } = setup(makeTask({ prompt: 'append f.txt x', limits: { maxIterations: 2 } }));
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'max_iterations' });
    expect(hq.completions[0]?.usage?.iterations).toBe(2);
  });

  it('a crashing iteration is an iteration: the loop goes on', async () => {
    const { running, runner } = setup(makeTask({ prompt: '@1 exit 3\n@2 done fixed it' }));
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'agent_done' });
  });

  it('fails with iteration_timeout when an iteration hangs', async () => {
    const started = Date.now();
    const { running, runner } = setup(makeTask({ prompt: 'print up\nhang', limits: { iterationTimeoutMs: 400 } }));
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'iteration_timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails with timeout when the total time runs out', async () => {
    const { hq, running, runner } = setup(makeTask({ prompt: 'append f.txt x\nsleep 150', limits: { timeoutMs: 600 } }));
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'timeout' });
    expect(hq.completions[0]?.runtimeMs).toBeGreaterThanOrEqual(600);
  });

  it('stops the iteration at once when the token budget is used up', async () => {
    const { hq, running, runner } = setup(makeTask({ prompt: 'usage 60 0\nsleep 50\nusage 50 10\nhang', limits: { budgetTokens: 100 } }));
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'budget_exceeded' });
    expect(hq.completions[0]?.usage).toMatchObject({ tokensIn: 110, tokensOut: 10, iterations: 1 });
  });

  it('once: a requeued attempt runs the iteration again, although an earlier attempt already ran one', async () => {
    // the first attempt's iteration ran, but its node was lost before it completed
    const task = makeTask({ prompt: 'append f.txt x', mode: 'once', limits: { maxIterations: 1 } }, { attempts: 2, usage: { iterations: 1, tokensIn: 0, tokensOut: 0, usd: 0 } });
    const { hq, running, runner } = setup(task);
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'once_completed' });
    expect(hq.completions[0]?.usage?.iterations).toBe(2);
  });

  it('usage and iterations are cumulative across attempts', async () => {
    const task = makeTask(
      { prompt: 'usage 5 5 0.5\nappend f.txt x', limits: { maxIterations: 6 } },
      { attempts: 2, usage: { iterations: 5, tokensIn: 100, tokensOut: 0, usd: 1 }, runtimeMs: 10_000 },
    );
    const { hq, running } = setup(task);
    await running;
    expect(hq.completions[0]).toMatchObject({ reason: 'max_iterations', usage: { iterations: 6, tokensIn: 105, tokensOut: 5, usd: 1.5 } });
    expect(hq.completions[0]?.runtimeMs).toBeGreaterThanOrEqual(10_000);
    expect(hq.logs.every((l) => l.attempt === 2)).toBe(true);
  });

  it('pauses with stuck when iterations change nothing, and goes on after resume', async () => {
    const { hq, running, runner, control } = setup(makeTask({ prompt: 'print same\n@4 done', limits: { stuckAfterIterations: 2 } }));
    await until(() => hq.lastObserved(runner.taskId)?.observed === 'paused');
    expect(hq.lastObserved(runner.taskId)).toMatchObject({ pauseReason: 'stuck' });
    await new Promise((r) => setTimeout(r, 300));
    expect(hq.iterations.filter((i) => i.kind === 'finished')).toHaveLength(2);
    control({ desired: 'pause' }); // HQ marks a stuck task paused; resume flips it back to run
    control({ desired: 'run' });
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'agent_done' });
    expect(hq.lastObserved(runner.taskId)?.observed).toBe('running');
  });

  it('pause takes effect between iterations; resume goes on', async () => {
    const { hq, running, runner, control } = setup(makeTask({ prompt: 'append f.txt x\nsleep 200\n@3 done' }));
    await until(() => hq.iterations.some((i) => i.kind === 'started'));
    control({ desired: 'pause' });
    await until(() => hq.lastObserved(runner.taskId)?.observed === 'paused');
    const finished = hq.iterations.filter((i) => i.kind === 'finished').length;
    expect(finished).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(hq.iterations.filter((i) => i.kind === 'started')).toHaveLength(1);
    control({ desired: 'run' });
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'agent_done' });
    expect(hq.completions[0]?.usage?.iterations).toBe(3);
  });

  it('pause now suspends the running iteration; resume lets it finish', async () => {
    const { hq, running, runner, control } = setup(makeTask({ mode: 'once', prompt: 'print start\nsleep 400\nprint end', limits: { maxIterations: 1 } }));
    await until(() => hq.logText().includes('start'));
    control({ desired: 'pause_now' });
    await until(() => hq.lastObserved(runner.taskId)?.observed === 'paused');
    await new Promise((r) => setTimeout(r, 800));
    expect(hq.logText()).not.toContain('end');
    control({ desired: 'run' });
    await running;
    expect(hq.logText()).toContain('end');
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'once_completed' });
  });

  it('guidance reaches the next iteration (echo-guidance) and CURRENT.md, and is acknowledged', async () => {
    const { hq, running, runner, control, wsPath } = setup(makeTask({ prompt: '@1 sleep 300\necho-guidance\n@2 done' }));
    await until(() => hq.iterations.some((i) => i.kind === 'started'));
    const g = hq.addGuidance(runner.taskId, 'use tabs, not spaces');
    control({ pendingGuidance: [g] });
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'agent_done' });
    const texts = hq.logs.map((l) => `${l.iteration}:${l.text}`);
    expect(texts).toContain('1:guidance: (none)');
    expect(texts).toContain('2:guidance: use tabs, not spaces');
    expect(readFileSync(join(wsPath, '.cstack', 'CURRENT.md'), 'utf8')).toContain('use tabs, not spaces');
    expect(hq.progress.some((p) => p.guidanceDeliveredSeq === 1)).toBe(true);
  });

  it('stop ends the iteration and completes cancelled', async () => {
    const { hq, running, runner, control } = setup(makeTask({ prompt: 'print up\nhang' }));
    await until(() => hq.logText().includes('up'));
    control({ desired: 'stop' });
    await running;
    expect(runner.result).toMatchObject({ outcome: 'cancelled', reason: 'stopped' });
  });

  it('the kill switch ends the iteration and requeues', async () => {
    const { hq, running, runner, control, wsPath } = setup(makeTask({ prompt: 'print up\nhang' }));
    await until(() => hq.logText().includes('up'));
    control({ killSwitch: true });
    await running;
    expect(runner.result).toMatchObject({ outcome: 'requeue', reason: 'killswitch' });
    expect(await readFinishedMarker(wsPath)).toBeNull(); // requeued: the task will come back
  });

  it('a lost lease stops the attempt without completing it', async () => {
    const { hq, running, runner } = setup(makeTask({ prompt: 'print up\nsleep 100' }));
    await until(() => hq.logText().includes('up'));
    hq.lostLeases.add(runner.taskId);
    await running;
    expect(runner.result).toEqual({ kind: 'lease_lost' });
    expect(hq.completions).toHaveLength(0);
  });

  it('an attempt that finished while its lease was lost still sends its completion: HQ refuses it and the attempt ends lease_lost', async () => {
    const { hq, running, runner, wsPath } = setup(makeTask({ agent: 'shell', mode: 'once', prompt: 'sleep 0.3; touch finished.flag; echo done', limits: { maxIterations: 1 } }));
    await until(() => hq.progress.some((p) => p.observed === 'running'));
    hq.unavailable = true; // the node is cut off while the agent finishes
    await until(() => existsSync(join(wsPath, 'finished.flag')));
    await new Promise((r) => setTimeout(r, 300));
    expect(hq.completions).toHaveLength(0);
    hq.lostLeases.add(runner.taskId); // meanwhile HQ gave the task to another node
    hq.unavailable = false;
    await running;
    expect(runner.result).toEqual({ kind: 'lease_lost' });
    expect(hq.calls.filter((c) => c === 'complete')).toHaveLength(1); // sent once, refused
    expect(hq.completions).toHaveLength(0);
    expect(await readFinishedMarker(wsPath)).toBeNull(); // the workspace is not this attempt's to close
  });

  it('keeps running through an HQ outage and delivers the buffered logs afterwards', async () => {
    const { hq, running, runner } = setup(makeTask({ prompt: 'print line $CORTICAL_ITERATION\nsleep 100\n@6 done', limits: { maxIterations: 10 } }));
    await until(() => hq.logText().includes('line $CORTICAL_ITERATION'));
    hq.unavailable = true;
    setTimeout(() => (hq.unavailable = false), 1200);
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'agent_done' });
    expect(hq.logs.filter((l) => l.text === 'line $CORTICAL_ITERATION').map((l) => l.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails with workspace_failed for a repository that does not exist', async () => {
    const { running, runner } = setup(makeTask({ repo: { path: join(root, 'missing-repo'), baseRef: null } }));
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'workspace_failed' });
  });

  it('shutdown stops the iteration without completing (the lease is resumed later)', async () => {
    const { hq, running, runner, ac } = setup(makeTask({ prompt: 'print up\nhang' }));
    await until(() => hq.logText().includes('up'));
    ac.abort();
    await running;
    expect(runner.result).toEqual({ kind: 'shutdown' });
    expect(hq.completions).toHaveLength(0);
  });
});
