import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { iterationEnv, sleeveAgentRun } from '../sleeve-agent-run.js';

/**
 * The `shell` agent: each iteration runs the task's prompt as `/bin/sh -c PROMPT` in the
 * workspace. Every output line is a log line; it never reports `done` by itself (a loop ends by
 * its `until` check or a guardrail). New guidance is in $CORTICAL_GUIDANCE and, with all earlier
 * guidance, in `.cstack/CURRENT.md`.
 */
export class ShellAgent implements AgentDriver {
  readonly name = 'shell';
  readonly guidance = 'next_iteration' as const;

  constructor(private readonly shellPath = '/bin/sh') {}

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    const command = taskCommand(input);
    if (command.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the shell agent needs a command as prompt');
    const sleeve = await input.runtime.spawn({
      command: this.shellPath,
      args: ['-c', command],
      cwd: input.workspacePath,
      env: iterationEnv(input),
      ...input.sleeve,
    });
    return sleeveAgentRun(sleeve, (l) => ({ kind: 'log', stream: l.stream, text: l.text }));
  }
}

/** The command: the task's prompt without guidance (for this agent guidance is data, never code). */
function taskCommand(input: AgentIterationInput): string {
  return input.taskPrompt ?? input.prompt;
}
