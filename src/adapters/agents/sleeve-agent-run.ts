import type { AgentEvent, AgentRun } from '../../core/ports/agent-driver.js';
import type { Sleeve } from '../../core/ports/runtime.js';

export type SleeveLine = { stream: 'stdout' | 'stderr'; text: string };
/** One output line → events (null or [] = dropped). */
export type LineParser = (line: SleeveLine) => AgentEvent | readonly AgentEvent[] | null;

/** An AgentRun over a sleeve: every output line goes through `parse`; `flush` adds events at the end of output. */
export function sleeveAgentRun(sleeve: Sleeve, parse: LineParser, flush?: () => readonly AgentEvent[]): AgentRun {
  async function* events(): AsyncGenerator<AgentEvent> {
    for await (const line of sleeve.lines) {
      const out = parse(line);
      if (out === null) continue;
      if (Array.isArray(out)) yield* out as readonly AgentEvent[];
      else yield out as AgentEvent;
    }
    if (flush !== undefined) yield* flush();
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
