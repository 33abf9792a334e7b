/** Ready-made responders for common scripts. */
import type { NormalizedRequest, Responder, ScriptedReply, ScriptedToolCall } from './model-server-types.js';

/**
 * The usual "write a file" script: while the conversation has no tool result, the model calls
 * `call`; once it has one, it answers `finalText`. Requests that offer no tools (a CLI's side
 * requests: titles, summaries) get a short text.
 */
export function toolThenText(opts: { call: ScriptedToolCall | ((req: NormalizedRequest) => ScriptedToolCall); finalText: string; usage?: ScriptedReply['usage'] }): Responder {
  return (req) => {
    if (req.toolNames.length === 0) return { text: 'ok', usage: { input: 10, output: 2 } };
    if (req.toolResults.length === 0) {
      const call = typeof opts.call === 'function' ? opts.call(req) : opts.call;
      return { toolCalls: [call], ...(opts.usage ? { usage: opts.usage } : {}) };
    }
    return { text: opts.finalText, ...(opts.usage ? { usage: opts.usage } : {}) };
  };
}

/** Answers every request with the same reply. */
export function always(reply: ScriptedReply): Responder {
  return () => reply;
}
