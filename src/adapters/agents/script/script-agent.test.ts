import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCorticalError } from '../../../core/errors.js';
import type { AgentIterationInput } from '../../../core/ports/agent-driver.js';
import { ProcessRuntime } from '../../runtime/process/process-runtime.js';
import { drain, logTexts } from '../agent-test-helpers.js';
import { ScriptAgent } from './script-agent.js';

describe('ScriptAgent through the process runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const agent = new ScriptAgent();
  const input = (script: string, iteration = 1, guidance: string[] = []): AgentIterationInput => ({
    taskId: 't1',
    iteration,
    prompt: script,
    taskPrompt: script,
    guidance,
    workspacePath: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    runtime: new ProcessRuntime(),
  });

  it('runs steps, reports usage cumulatively and stops at done', async () => {
    const script = 'print start\nwrite out/a.txt one\\ntwo\nappend out/a.txt three\nusage 10 5 0.25\nusage 1 2\ndone finished\nprint never';
    const { events, exit } = await drain(await agent.startIteration(input(script)));
    expect(exit.exitCode).toBe(0);
    expect(logTexts(events)).toEqual(['start']);
    expect(events.filter((e) => e.kind === 'usage')).toEqual([
      { kind: 'usage', tokensIn: 10, tokensOut: 5, usd: 0.25 },
      { kind: 'usage', tokensIn: 11, tokensOut: 7, usd: 0.25 },
    ]);
    expect(events.at(-1)).toEqual({ kind: 'done', summary: 'finished' });
    expect(readFileSync(join(dir, 'out/a.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('runs @N and iter N: steps only in their iteration', async () => {
    const script = 'print always\n@2 print second\n@2+ print from-second\niter 3:\nprint third\nall:\nprint tail';
    const texts = async (n: number) => logTexts((await drain(await agent.startIteration(input(script, n)))).events);
    expect(await texts(1)).toEqual(['always', 'tail']);
    expect(await texts(2)).toEqual(['always', 'second', 'from-second', 'tail']);
    expect(await texts(3)).toEqual(['always', 'from-second', 'third', 'tail']);
  });

  it('echoes the guidance it received', async () => {
    const { events } = await drain(await agent.startIteration(input('echo-guidance', 1, ['use tabs', 'be brief'])));
    expect(logTexts(events)).toEqual(['guidance: use tabs', 'guidance: be brief']);
  });

  it('reports fail and exit codes', async () => {
    const failed = await drain(await agent.startIteration(input('fail tests are red')));
    expect(failed.events).toContainEqual({ kind: 'error', reason: 'agent_error', message: 'tests are red', fatal: true });
    expect(failed.exit.exitCode).toBe(1);
    expect((await drain(await agent.startIteration(input('exit 7')))).exit.exitCode).toBe(7);
  });

  it('hang runs until stopped', async () => {
    const run = await agent.startIteration(input('print up\nhang'));
    const draining = drain(run);
    await new Promise((r) => setTimeout(r, 300));
    await run.stop(1000);
    const { exit } = await draining;
    expect(exit.signal).toBe('SIGTERM');
  });

  it('rejects an invalid script with VALIDATION_FAILED', async () => {
    const err: unknown = await agent.startIteration(input('print ok\nlaunch rockets')).catch((e: unknown) => e);
    expect(isCorticalError(err) && err.code).toBe('VALIDATION_FAILED');
  });
});
