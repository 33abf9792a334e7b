import type { AgentEvent, AgentRun } from '../../core/ports/agent-driver.js';
import type { Sleeve } from '../../core/ports/runtime.js';

export type LineParser = (line: { stream: 'stdout' | 'stderr'; text: string }) => AgentEvent | null;

/** An AgentRun over a sleeve: every output line goes through `parse` (null = dropped). */
export function sleeveAgentRun(sleeve: Sleeve, parse: LineParser): AgentRun {
  async function* events(): AsyncGenerator<AgentEvent> {
    for await (const line of sleeve.lines) {
      const event = parse(line);
      if (event !== null) yield event;
    }
  }
  return {
    events: events(),
    exited: sleeve.exited.then((e) => ({
      exitCode: e.exitCode,
      signal: e.signal,
      ...(e.reason !== undefined && e.reason !== 'exit' ? { reason: e.reason } : {}),
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    })),
    suspend: () => sleeve.suspend(),
    resume: () => sleeve.resume(),
    stop: async (graceMs) => {
      await sleeve.stop(graceMs);
    },
  };
}

/** Variables every agent's sleeve gets on top of the scrubbed base environment. */
export function iterationEnv(input: {
  taskId: string;
  iteration: number;
  guidance: readonly string[];
  env: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    ...input.env,
    CORTICAL_TASK_ID: input.taskId,
    CORTICAL_ITERATION: String(input.iteration),
    CORTICAL_GUIDANCE: input.guidance.join('\n\n'),
  };
}
