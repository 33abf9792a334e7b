import { describe, expect, it } from 'vitest';
import { ProcessRuntime } from '../runtime/process/process-runtime.js';
import type { AgentEvent } from '../../core/ports/agent-driver.js';
import { resumableRun, type RunPart } from './resumable-run.js';

const runtime = new ProcessRuntime();
const log = (l: { stream: 'stdout' | 'stderr'; text: string }): AgentEvent => ({ kind: 'message', text: l.text });

async function part(script: string): Promise<RunPart> {
  const sleeve = await runtime.spawn({ command: '/bin/sh', args: ['-c', script], cwd: process.cwd(), env: { PATH: '/usr/bin:/bin' } });
  return { sleeve, parse: log, flush: () => [{ kind: 'log', stream: 'stdout', text: 'part ended' }] };
}

async function collect(events: AsyncIterable<AgentEvent>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of events) out.push(e.kind === 'message' ? e.text : e.kind === 'log' ? `[${e.text}]` : e.kind);
  return out;
}

describe('resumableRun', () => {
  it('interrupts the running turn and resumes with the guidance as one event stream', async () => {
    const resumed: string[] = [];
    const run = resumableRun(await part('echo first; sleep 30; echo never'), async (text) => {
      resumed.push(text);
      return part(`echo "resumed: ${text}"`);
    });
    const events = collect(run.events);
    await new Promise((r) => setTimeout(r, 200));
    await expect(run.guide!('use tabs')).resolves.toBe('interrupt_resume');
    expect(await events).toEqual(['first', '[part ended]', 'resumed: use tabs', '[part ended]']);
    expect(resumed).toEqual(['use tabs']);
    expect(await run.exited).toMatchObject({ exitCode: 0 });
  });

  it('after stop nothing is resumed and pending guidance is refused', async () => {
    let resumes = 0;
    const run = resumableRun(await part('echo first; sleep 30'), async () => {
      resumes += 1;
      return part('echo again');
    });
    const events = collect(run.events);
    await new Promise((r) => setTimeout(r, 200));
    await run.stop(500);
    await expect(run.guide!('too late')).rejects.toThrow(/stopping/);
    await events;
    expect(resumes).toBe(0);
  });

  it('guidance after the iteration ended is refused (it waits for the next iteration)', async () => {
    const run = resumableRun(await part('echo only'), () => part('echo no'));
    expect(await collect(run.events)).toEqual(['only', '[part ended]']);
    await expect(run.guide!('late')).rejects.toThrow(/ended/);
  });
});
