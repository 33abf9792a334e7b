/**
 * The loop runner sends its task's policy decisions to HQ: the node's PolicyDecisionLog is
 * attached to the attempt's outbox, the allowed T0/T1 decisions of each iteration are summarised
 * when the iteration ends, and a denial is sent on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShellAgent } from '../../adapters/agents/shell/shell-agent.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import { silentLogger } from '../../core/ports/logger.js';
import { DEFAULT_TOOL_POLICY } from '../../core/tool-policy.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { LoopRunner } from './loop-runner.js';
import { leasedTask } from './node-test-kit.js';
import { PolicyDecisionLog } from './policy-decision-log.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-loop-policy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(id: string, command: string, maxIterations: number) {
  const hq = new InMemoryHqDouble();
  const task = leasedTask(id, command, { spec: { agent: 'shell', guardrails: { maxIterations, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: null, stuckAfterIterations: null } } });
  hq.tasks.set(id, task);
  const clock = { nowMs: () => Date.now() };
  const policyLog = new PolicyDecisionLog({ clock, rules: () => ({ policy: DEFAULT_TOOL_POLICY, lockdown: false }) });
  const runner = new LoopRunner(task, {
    hq,
    policyLog,
    runtime: new ProcessRuntime(),
    drivers: new Map<string, AgentDriver>([['shell', new ShellAgent({ policy: policyLog })]]),
    workspaces: new GitWorkspaces(join(root, id)),
    clock,
    logger: silentLogger,
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stopGraceMs: 300,
    flushIntervalMs: 50,
  });
  await runner.start(new AbortController().signal);
  return { hq, runner };
}

describe('LoopRunner with the node policy log', () => {
  it('summarises each iteration\'s allowed commands when the iteration ends, in the attempt\'s reports', async () => {
    const { hq } = await run('allowed', 'echo hi', 2);
    const reports = hq.iterations.filter((r) => r.kind === 'agent' || r.kind === 'finished');
    const summaries = reports.filter((r) => r.data.type === 'policy_summary');
    expect(summaries.map((r) => ({ iteration: r.iteration, ...r.data }))).toEqual([
      { iteration: 1, type: 'policy_summary', subject: 'command', agent: 'shell', allowed: true, count: 1, counts: { T1: 1 }, pn: 1 },
      { iteration: 2, type: 'policy_summary', subject: 'command', agent: 'shell', allowed: true, count: 1, counts: { T1: 1 }, pn: 2 },
    ]);
    // each summary goes out when its iteration ends, before the iteration's `finished` report
    const order = reports.map((r) => `${r.iteration}:${r.kind === 'finished' ? 'finished' : String(r.data.type)}`);
    expect(order.indexOf('1:policy_summary')).toBeLessThan(order.indexOf('1:finished'));
    expect(order.indexOf('2:policy_summary')).toBeLessThan(order.indexOf('2:finished'));
  }, 60_000);

  it('sends a denied command on its own; the attempt fails without running it', async () => {
    const { hq } = await run('denied', 'sudo -n true', 3);
    const policy = hq.iterations.filter((r) => r.kind === 'agent' && (r.data.type === 'policy' || r.data.type === 'policy_summary'));
    expect(policy.map((r) => ({ iteration: r.iteration, ...r.data }))).toEqual([
      { iteration: 1, type: 'policy', subject: 'command', agent: 'shell', tool: 'run_command', tier: 'T2', allowed: false, reason: expect.stringContaining('T2'), pn: 1 },
    ]);
    expect(hq.completions).toHaveLength(1);
    expect(hq.completions[0]).toMatchObject({ outcome: 'failed', reason: 'agent_failed' });
  }, 60_000);
});
