/** OpenAI Chat Completions (`POST /v1/chat/completions`, streaming and not), as OpenCode and the built-in agent call it. */
import type { ServerResponse } from 'node:http';
import type { NormalizedRequest, ProtocolHandler, ScriptedReply } from './model-server-types.js';
import { errorStatus, scriptedCalls } from './reply-helpers.js';
import { freshId, sendJson, sleep, sseEvent, startSse, textOf } from './sse.js';

interface ChatMessage {
  role?: string;
  content?: unknown;
  tool_calls?: unknown[];
}

function usageOf(reply: ScriptedReply) {
  const u = reply.usage ?? { input: 0, output: 0 };
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  };
}

function writeError(reply: ScriptedReply, res: ServerResponse): boolean {
  if (reply.error === undefined) return false;
  const { status, headers } = errorStatus(reply.error);
  const type = reply.error.kind === 'rate_limit' ? 'rate_limit_exceeded' : reply.error.kind === 'auth' ? 'invalid_request_error' : 'server_error';
  const code = reply.error.kind === 'rate_limit' ? 'rate_limit_exceeded' : reply.error.kind === 'auth' ? 'invalid_api_key' : 'server_error';
  sendJson(res, status, { error: { message: reply.error.message ?? type, type, code } }, headers);
  return true;
}

export const openAiChatProtocol: ProtocolHandler = {
  protocol: 'openai-chat',
  matches: (method, path) => (method === 'POST' && /\/chat\/completions$/.test(path)) || (method === 'GET' && /\/models$/.test(path)),
  auxiliary(method) {
    if (method === 'GET') return { status: 200, body: { object: 'list', data: [{ id: 'scripted-model', object: 'model', created: 0, owned_by: 'cortical-test' }] } };
    return null;
  },
  normalize({ method, path, body, headers }): NormalizedRequest {
    const b = (body ?? {}) as { model?: string; stream?: boolean; messages?: ChatMessage[]; tools?: { function?: { name?: string } }[] };
    const messages = Array.isArray(b.messages) ? b.messages : [];
    return {
      protocol: 'openai-chat',
      method,
      path,
      model: typeof b.model === 'string' ? b.model : '',
      stream: b.stream === true,
      system: messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n'),
      userTexts: messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)),
      toolResults: messages.filter((m) => m.role === 'tool').map((m) => textOf(m.content)),
      assistantTurns: messages.filter((m) => m.role === 'assistant').length,
      toolNames: (Array.isArray(b.tools) ? b.tools : []).map((t) => t.function?.name ?? '').filter((n) => n !== ''),
      headers,
      body,
    };
  },
  async respond(reply, req, res) {
    if (writeError(reply, res)) return;
    const id = freshId('chatcmpl');
    const created = Math.floor(Date.now() / 1000);
    const calls = scriptedCalls(reply);
    const finish = calls.length > 0 ? 'tool_calls' : 'stop';
    if (!req.stream) {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: req.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: reply.text ?? null,
              ...(calls.length > 0 ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } })) } : {}),
            },
            finish_reason: finish,
          },
        ],
        usage: usageOf(reply),
      });
      return;
    }
    startSse(res);
    const chunk = (delta: unknown, finishReason: string | null) => ({ id, object: 'chat.completion.chunk', created, model: req.model, choices: [{ index: 0, delta, finish_reason: finishReason }] });
    sseEvent(res, null, chunk({ role: 'assistant', content: '' }, null));
    if (reply.text !== undefined && reply.text !== '') {
      for (const piece of splitText(reply.text)) {
        await sleep(reply.chunkDelayMs);
        sseEvent(res, null, chunk({ content: piece }, null));
      }
    }
    for (const [index, c] of calls.entries()) {
      await sleep(reply.chunkDelayMs);
      sseEvent(res, null, chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } }] }, null));
    }
    sseEvent(res, null, chunk({}, finish));
    sseEvent(res, null, { id, object: 'chat.completion.chunk', created, model: req.model, choices: [], usage: usageOf(reply) });
    sseEvent(res, null, '[DONE]');
    res.end();
  },
};

/** Text in two pieces, so clients see a real stream. */
export function splitText(text: string): string[] {
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}
