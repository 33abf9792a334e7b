/** Endpoint keys out of an event's texts (a tool's output may print the environment). */
import type { AgentEvent } from '../../core/ports/agent-driver.js';
import { redactKeys, type ModelEndpoints } from '../../core/model-endpoints.js';

export function redactEvent(event: AgentEvent, endpoints: ModelEndpoints | undefined): AgentEvent {
  if (endpoints === undefined) return event;
  switch (event.kind) {
    case 'log':
    case 'message':
      return { ...event, text: redactKeys(event.text, endpoints) };
    case 'tool_call':
      return { ...event, input: redactKeys(event.input, endpoints) };
    case 'tool_result':
      return { ...event, output: redactKeys(event.output, endpoints) };
    case 'error':
      return { ...event, message: redactKeys(event.message, endpoints) };
    case 'done':
      return event.summary === null ? event : { ...event, summary: redactKeys(event.summary, endpoints) };
    default:
      return event;
  }
}
