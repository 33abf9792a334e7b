import { decideCommand, type AgentPolicyGate } from '../../../core/agent-policy-map.js';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentEvent, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { iterationEnv, sleeveAgentRun } from '../sleeve-agent-run.js';

/** The exit code of an iteration whose command the tool policy refused (as a shell's "cannot execute"). */
export const POLICY_DENIED_EXIT_CODE = 126;

export interface ShellAgentOptions {
  /** The shell (default `/bin/sh`). */
  readonly shellPath?: string;
  /**
   * The tool policy: the command is classified like the built-in agent's `run_command` and
   * decided with the task's policy and the fleet lockdown before it runs. Absent: not checked.
   */
  readonly policy?: AgentPolicyGate;
}

/**
 * The `shell` agent: each iteration runs the task's prompt as `/bin/sh -c PROMPT` in the
 * workspace. Every output line is a log line; it never reports `done` by itself (a loop ends by
 * its `until` check or a guardrail). New guidance is in $CORTICAL_GUIDANCE and, with all earlier
 * guidance, in `.cstack/CURRENT.md`. Under a tool policy a refused command does not run: the
 * iteration ends at once with a fatal `agent_error` ("denied by the tool policy: …") and exit
 * code 126.
 */
export class ShellAgent implements AgentDriver {
  readonly name = 'shell';
  readonly guidance = 'next_iteration' as const;
  private readonly options: ShellAgentOptions;

  constructor(options: ShellAgentOptions | string = {}) {
    this.options = typeof options === 'string' ? { shellPath: options } : options;
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    const command = taskCommand(input);
    if (command.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the shell agent needs a command as prompt');
    const gate = this.options.policy;
    if (gate !== undefined) {
      const decision = decideCommand(this.name, command, gate.rulesFor(input.taskId), { workspace: input.workspacePath });
      gate.record(input.taskId, input.iteration, decision);
      if (!decision.allowed) return deniedRun(`denied by the tool policy: ${decision.reason}`);
    }
    const sleeve = await input.runtime.spawn({
      command: this.options.shellPath ?? '/bin/sh',
      args: ['-c', command],
      cwd: input.workspacePath,
      env: iterationEnv(input),
      ...input.sleeve,
    });
    return sleeveAgentRun(sleeve, (l) => ({ kind: 'log', stream: l.stream, text: l.text }));
  }
}

/** An iteration that ran nothing: one fatal error event, exit code 126. */
function deniedRun(message: string): AgentRun {
  const only: AgentEvent = { kind: 'error', reason: 'agent_error', message, fatal: true };
  const events: AsyncIterable<AgentEvent> = {
    [Symbol.asyncIterator]: () => {
      let sent = false;
      return {
        next: () => {
          const result: IteratorResult<AgentEvent> = sent ? { done: true, value: undefined } : { done: false, value: only };
          sent = true;
          return Promise.resolve(result);
        },
      };
    },
  };
  return {
    events,
    exited: Promise.resolve({ exitCode: POLICY_DENIED_EXIT_CODE, signal: null, detail: message }),
    suspend: () => undefined,
    resume: () => undefined,
    stop: () => Promise.resolve(),
  };
}

/** The command: the task's prompt without guidance (for this agent guidance is data, never code). */
function taskCommand(input: AgentIterationInput): string {
  return input.taskPrompt ?? input.prompt;
}
