import type { AgentEvent, AgentRun } from '../../core/ports/agent-driver.js';

/** Test helper: all events of a run and how it exited. */
export async function drain(run: AgentRun): Promise<{ events: AgentEvent[]; exit: { exitCode: number | null; signal: string | null } }> {
  const events: AgentEvent[] = [];
  for await (const e of run.events) events.push(e);
  return { events, exit: await run.exited };
}

export function logTexts(events: readonly AgentEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'log' ? [e.text] : []));
}
