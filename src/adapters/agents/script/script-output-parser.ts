import type { AgentEvent } from '../../../core/ports/agent-driver.js';

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * Turns one output line of the script agent's program into an event: JSON lines with a
 * `cortical` field are structured events, everything else is a log line.
 */
export function parseScriptLine(line: { stream: 'stdout' | 'stderr'; text: string }): AgentEvent {
  if (line.stream === 'stdout' && line.text.startsWith('{"cortical":')) {
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      value = null;
    }
    if (typeof value === 'object' && value !== null) {
      const e = value as Record<string, unknown>;
      switch (e.cortical) {
        case 'usage':
          return { kind: 'usage', tokensIn: num(e.tokensIn), tokensOut: num(e.tokensOut), usd: num(e.usd) };
        case 'done':
          return { kind: 'done', summary: typeof e.summary === 'string' ? e.summary : null };
        case 'failed':
          return { kind: 'error', reason: 'agent_error', message: typeof e.message === 'string' ? e.message : 'failed', fatal: true };
        default:
          break;
      }
    }
  }
  return { kind: 'log', stream: line.stream, text: line.text };
}
