import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentIterationInput } from '../../../core/ports/agent-driver.js';
import { ProcessRuntime } from '../../runtime/process/process-runtime.js';
import { drain, logTexts } from '../agent-test-helpers.js';
import { ShellAgent } from './shell-agent.js';

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
