/**
 * Anthropic Messages (`POST /v1/messages`, streaming SSE and single JSON), as Claude Code calls it
 * (`/v1/messages?beta=true`). `POST /v1/messages/count_tokens` is answered by the protocol itself
 * with a rough estimate. Errors use Anthropic's shape: `{type:"error", error:{type, message}}`.
 * Claude Code appends `<system-reminder>` sections (including messages the user sent mid-turn)
 * to tool results: normalize() counts them as user text, not tool output.
 */
import type { ServerResponse } from 'node:http';
import type { NormalizedRequest, ProtocolHandler, ScriptedReply, ScriptedToolCall } from './model-server-types.js';
import { errorStatus } from './reply-helpers.js';
import { freshId, sendJson, sleep, sseEvent, startSse, textOf } from './sse.js';

interface Block {
  type?: string;
  text?: string;
  content?: unknown;
}

interface AnthropicMessage {
  role?: string;
  content?: unknown;
}

interface AnthropicBody {
  model?: unknown;
  stream?: unknown;
  system?: unknown;
  messages?: unknown;
  tools?: unknown;
}

const MESSAGES = /\/v1\/messages$/;
const COUNT_TOKENS = /\/v1\/messages\/count_tokens$/;

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Block => typeof b === 'object' && b !== null);
}

/** Text of a user message's text blocks (tool results left out); '' when it has none. */
function userText(content: unknown): string {
  return blocksOf(content)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

const REMINDER = /\n*<system-reminder>[\s\S]*?<\/system-reminder>\n*/g;

/**
 * A tool result's own output, and the `<system-reminder>` sections Claude Code appends to it:
 * those are the client's user-side context (a message the user sent mid-turn, token budgets),
 * not tool output, so they count as user text.
 */
function splitToolResult(block: Block): { output: string; reminders: string[] } {
  const text = textOf(block.content);
  const reminders = (text.match(REMINDER) ?? []).map((r) => r.trim());
  return { output: text.replace(REMINDER, '\n').trim(), reminders };
}

function toolResultsOf(content: unknown): string[] {
  return blocksOf(content)
    .filter((b) => b.type === 'tool_result')
    .map((b) => splitToolResult(b).output);
}

/** A user message's text: its text blocks, then the reminders inside its tool results. */
function userTextOf(content: unknown): string {
  const reminders = blocksOf(content)
    .filter((b) => b.type === 'tool_result')
    .flatMap((b) => splitToolResult(b).reminders);
  return [userText(content), ...reminders].filter((t) => t !== '').join('\n');
}

/** The usage object of a reply: Anthropic's `input_tokens` excludes cache reads. */
function usageOf(reply: ScriptedReply) {
  const u = reply.usage ?? { input: 0, output: 0 };
  const cached = Math.min(u.cached ?? 0, u.input);
  return {
    input_tokens: u.input - cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: u.output,
  };
}

function callsOf(reply: ScriptedReply): Required<ScriptedToolCall>[] {
  return (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? freshId('toolu'), name: c.name, input: c.input }));
}

function errorType(kind: 'rate_limit' | 'auth' | 'server'): string {
  if (kind === 'rate_limit') return 'rate_limit_error';
  if (kind === 'auth') return 'authentication_error';
  return 'api_error';
}

function writeError(reply: ScriptedReply, res: ServerResponse): boolean {
  if (reply.error === undefined) return false;
  const { status, headers } = errorStatus(reply.error);
  const type = errorType(reply.error.kind);
  sendJson(res, status, { type: 'error', error: { type, message: reply.error.message ?? type } }, { 'request-id': freshId('req'), ...headers });
  return true;
}

/** A rough token count of a request body (4 characters a token), for `count_tokens`. */
function estimateTokens(body: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4));
}

export const anthropicProtocol: ProtocolHandler = {
  protocol: 'anthropic',
  matches: (method, path) => method === 'POST' && (MESSAGES.test(path) || COUNT_TOKENS.test(path)),
  auxiliary(method, path, body) {
    if (COUNT_TOKENS.test(path)) return { status: 200, body: { input_tokens: estimateTokens(body) } };
    return null;
  },
  normalize({ method, path, body, headers }): NormalizedRequest {
    const b = (typeof body === 'object' && body !== null ? body : {}) as AnthropicBody;
    const messages = (Array.isArray(b.messages) ? b.messages : []).filter((m): m is AnthropicMessage => typeof m === 'object' && m !== null);
    const users = messages.filter((m) => m.role === 'user');
    const tools = Array.isArray(b.tools) ? b.tools : [];
    return {
      protocol: 'anthropic',
      method,
      path,
      model: typeof b.model === 'string' ? b.model : '',
      stream: b.stream === true,
      system: typeof b.system === 'string' ? b.system : textOf(b.system),
      userTexts: users.map((m) => userTextOf(m.content)).filter((t) => t !== ''),
      toolResults: users.flatMap((m) => toolResultsOf(m.content)),
      assistantTurns: messages.filter((m) => m.role === 'assistant').length,
      toolNames: tools
        .map((t) => (typeof t === 'object' && t !== null && typeof (t as { name?: unknown }).name === 'string' ? (t as { name: string }).name : ''))
        .filter((n) => n !== ''),
      headers,
      body,
    };
  },
  async respond(reply, req, res) {
    if (writeError(reply, res)) return;
    const id = freshId('msg');
    const calls = callsOf(reply);
    const stopReason = calls.length > 0 ? 'tool_use' : 'end_turn';
    const usage = usageOf(reply);
    const text = reply.text ?? '';
    if (!req.stream) {
      const content = [
        ...(text !== '' ? [{ type: 'text', text }] : []),
        ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input })),
      ];
      sendJson(res, 200, { id, type: 'message', role: 'assistant', model: req.model, content, stop_reason: stopReason, stop_sequence: null, usage });
      return;
    }
    startSse(res, { 'request-id': freshId('req') });
    const startUsage = { ...usage, output_tokens: Math.min(1, usage.output_tokens) };
    sseEvent(res, 'message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model: req.model, content: [], stop_reason: null, stop_sequence: null, usage: startUsage },
    });
    let index = 0;
    if (text !== '') {
      sseEvent(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of halves(text)) {
        await sleep(reply.chunkDelayMs);
        sseEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
      }
      sseEvent(res, 'content_block_stop', { type: 'content_block_stop', index });
      index += 1;
    }
    for (const c of calls) {
      await sleep(reply.chunkDelayMs);
      sseEvent(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } });
      for (const piece of halves(JSON.stringify(c.input))) {
        sseEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
      }
      sseEvent(res, 'content_block_stop', { type: 'content_block_stop', index });
      index += 1;
    }
    await sleep(reply.chunkDelayMs);
    sseEvent(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage });
    sseEvent(res, 'message_stop', { type: 'message_stop' });
    res.end();
  },
};

/** Text in two pieces, so clients see a real stream. */
function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}
