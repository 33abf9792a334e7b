import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentPolicyDecision, AgentPolicyGate, AgentPolicyRules } from '../../../core/agent-policy-map.js';
import type { AgentIterationInput } from '../../../core/ports/agent-driver.js';
import { DEFAULT_TOOL_POLICY } from '../../../core/tool-policy.js';
import { ProcessRuntime } from '../../runtime/process/process-runtime.js';
import { drain, logTexts } from '../agent-test-helpers.js';
import { POLICY_DENIED_EXIT_CODE, ShellAgent } from './shell-agent.js';

describe('ShellAgent through the process runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-shell-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const agent = new ShellAgent();
  const input = (command: string, guidance: string[] = []): AgentIterationInput => ({
    taskId: 't1',
    iteration: 2,
    prompt: guidance.length > 0 ? `${command}\n\nGuidance:\n${guidance.join('\n')}` : command,
    taskPrompt: command,
    guidance,
    workspacePath: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SECRET_FREE: '1' },
    runtime: new ProcessRuntime(),
  });

  it('runs the prompt with /bin/sh in the workspace; output lines are logs', async () => {
    const { events, exit } = await drain(await agent.startIteration(input('echo out; echo err >&2; pwd; echo x > f.txt')));
    expect(exit.exitCode).toBe(0);
    expect(events).toContainEqual({ kind: 'log', stream: 'stdout', text: 'out' });
    expect(events).toContainEqual({ kind: 'log', stream: 'stderr', text: 'err' });
    expect(logTexts(events)).toContain(dir);
    expect(events.every((e) => e.kind === 'log')).toBe(true);
    expect(readFileSync(join(dir, 'f.txt'), 'utf8')).toBe('x\n');
  });

  it('exposes guidance and the iteration in the environment, not as code', async () => {
    const { events } = await drain(
      await agent.startIteration(input('echo "[$CORTICAL_GUIDANCE]" "$CORTICAL_ITERATION" "$CORTICAL_TASK_ID"', ['rm -rf nothing'])),
    );
    expect(logTexts(events)).toEqual(['[rm -rf nothing] 2 t1']);
  });

  it('reports the exit code of a failing command', async () => {
    const { exit } = await drain(await agent.startIteration(input('exit 4')));
    expect(exit.exitCode).toBe(4);
  });
});

describe('ShellAgent under a tool policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-shell-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let rules: AgentPolicyRules = { policy: DEFAULT_TOOL_POLICY, lockdown: false };
  const decisions: { taskId: string; iteration: number; d: AgentPolicyDecision }[] = [];
  const gate: AgentPolicyGate = { rulesFor: () => rules, record: (taskId, iteration, d) => void decisions.push({ taskId, iteration, d }) };
  const agent = new ShellAgent({ policy: gate });
  const input = (command: string): AgentIterationInput => ({
    taskId: 't_pol',
    iteration: 4,
    prompt: command,
    taskPrompt: command,
    guidance: [],
    workspacePath: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    runtime: new ProcessRuntime(),
  });

  it('does not run a refused command: the iteration fails with the reason, and the decision is recorded', async () => {
    decisions.length = 0;
    const marker = join(dir, 'ran-t2');
    const { events, exit } = await drain(await agent.startIteration(input(`sudo -n true; touch ${marker}`)));
    expect(existsSync(marker)).toBe(false);
    expect(exit.exitCode).toBe(POLICY_DENIED_EXIT_CODE);
    expect(events).toEqual([{ kind: 'error', reason: 'agent_error', fatal: true, message: expect.stringMatching(/^denied by the tool policy: run_command is T2 \(gains privileges\)/) }]);
    expect(decisions).toEqual([{ taskId: 't_pol', iteration: 4, d: expect.objectContaining({ subject: 'command', agent: 'shell', tool: 'run_command', tier: 'T2', allowed: false }) }]);
  });

  it('runs an allowed command and records the allowance', async () => {
    decisions.length = 0;
    const { exit } = await drain(await agent.startIteration(input('echo hi > ok.txt')));
    expect(exit.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'ok.txt'), 'utf8')).toBe('hi\n');
    expect(decisions.map((x) => [x.d.allowed, x.d.tier])).toEqual([[true, 'T1']]);
  });

  it('follows the rules as they are at the start of each iteration (policy allow, then lockdown)', async () => {
    const marker = join(dir, 'ran-allowed');
    rules = { policy: { ...DEFAULT_TOOL_POLICY, allow: ['/^npm install/'] }, lockdown: false };
    const cmd = `npm install --help >/dev/null 2>&1; touch ${marker}`;
    expect((await drain(await agent.startIteration(input(cmd)))).exit.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    rules = { ...rules, lockdown: true };
    decisions.length = 0;
    const { events } = await drain(await agent.startIteration(input(cmd)));
    expect(existsSync(marker)).toBe(false);
    expect(JSON.stringify(events)).toContain('locked down');
    expect(decisions[0]!.d).toMatchObject({ allowed: false, tier: 'T2' });
  });
});
