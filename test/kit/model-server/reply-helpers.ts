import type { ScriptedError, ScriptedReply, ScriptedToolCall } from './model-server-types.js';
import { freshId } from './sse.js';

/** The reply's tool calls with ids filled in. */
export function scriptedCalls(reply: ScriptedReply): Required<ScriptedToolCall>[] {
  return (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? freshId('call'), name: c.name, input: c.input }));
}

/** HTTP status and headers of a scripted error. */
export function errorStatus(error: ScriptedError): { status: number; headers: Record<string, string> } {
  if (error.kind === 'rate_limit') return { status: 429, headers: { 'retry-after': String(error.retryAfterS ?? 1) } };
  if (error.kind === 'auth') return { status: 401, headers: {} };
  return { status: 500, headers: {} };
}
