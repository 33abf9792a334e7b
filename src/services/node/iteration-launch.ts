import { isCorticalError } from '../../core/errors.js';
import type { LoopVerdict } from '../../core/guardrails-types.js';
import type { AgentDriver, AgentIterationInput, AgentRun, SleeveOptions } from '../../core/ports/agent-driver.js';
import type { Guidance } from '../../core/task.js';
import { iterationPrompt } from './guidance-courier.js';
import type { ProgressOutbox } from './progress-outbox.js';

/**
 * Reports an iteration started (its guidance, runtime, agent, model, network) and starts its
 * agent through the driver. When the agent cannot start, that is the iteration's verdict: a
 * refused input (VALIDATION_FAILED) fails the task as `agent_failed`, anything else as
 * `spawn_failed`, with the reason in the task's log.
 */
export async function launchIteration(input: {
  driver: AgentDriver;
  outbox: Pick<ProgressOutbox, 'iteration' | 'log'>;
  atMs: number;
  /** The agent's name as the task's chain names it. */
  agent: string;
  guidance: readonly Guidance[];
  taskPrompt: string;
  run: Omit<AgentIterationInput, 'prompt' | 'taskPrompt' | 'guidance' | 'resumeSession' | 'sleeve'> & { sleeve: SleeveOptions };
}): Promise<{ run: AgentRun } | { verdict: LoopVerdict }> {
  const { guidance, run, outbox } = input;
  outbox.iteration({
    iteration: run.iteration,
    kind: 'started',
    at: input.atMs,
    data: { guidanceSeqs: guidance.map((g) => g.seq), runtime: run.runtime.name, sandboxed: run.runtime.sandboxed, agent: input.agent, model: run.model, network: run.sleeve.sandbox.network.mode },
  });
  try {
    return {
      run: await input.driver.startIteration({
        ...run,
        prompt: iterationPrompt(input.taskPrompt, guidance),
        taskPrompt: input.taskPrompt,
        guidance: guidance.map((g) => g.text),
        resumeSession: null,
      }),
    };
  } catch (e) {
    const message = (e as Error).message;
    outbox.log(run.iteration, 'system', `cannot start the agent: ${message}`);
    if (isCorticalError(e) && e.code === 'VALIDATION_FAILED') return { verdict: { action: 'fail', reason: 'agent_failed', message } };
    return { verdict: { action: 'fail', reason: 'spawn_failed', message } };
  }
}
