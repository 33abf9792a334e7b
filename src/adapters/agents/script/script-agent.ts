import { fileURLToPath } from 'node:url';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { iterationEnv, sleeveAgentRun } from '../sleeve-agent-run.js';
import { validateScript } from './script-format.js';
import { parseScriptLine } from './script-output-parser.js';

/** The program that runs a script, shipped next to this file. */
export const SCRIPT_PROGRAM_PATH = fileURLToPath(new URL('./script-agent-program.mjs', import.meta.url));

/**
 * The `script` agent: a deterministic scripted agent for demos and tests. The task's prompt is
 * the script (format: script-format.ts). Each iteration runs the script program as a real child
 * process through the runtime, with the script on stdin, and parses its JSON-line events.
 */
export class ScriptAgent implements AgentDriver {
  readonly name = 'script';
  readonly guidance = 'next_iteration' as const;

  constructor(private readonly nodePath: string = process.execPath) {}

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    const script = input.taskPrompt ?? input.prompt;
    const problems = validateScript(script);
    if (problems.length > 0) {
      throw new CorticalError('VALIDATION_FAILED', `invalid script: ${problems.join('; ')}`, { problems });
    }
    const sleeve = await input.runtime.spawn({
      command: this.nodePath,
      args: [SCRIPT_PROGRAM_PATH],
      cwd: input.workspacePath,
      env: iterationEnv(input),
      stdin: script,
      ...input.sleeve,
    });
    return sleeveAgentRun(sleeve, parseScriptLine);
  }
}
