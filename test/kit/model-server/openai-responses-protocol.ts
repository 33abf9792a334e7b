/**
 * OpenAI Responses (`POST /v1/responses` or `/responses`, streaming SSE and single JSON), as the
 * Codex CLI calls it. Streams `response.created`, `response.in_progress`, then per output item
 * `response.output_item.added` … `response.output_item.done` (message items with
 * `response.output_text.delta`, function_call items with `response.function_call_arguments.delta`)
 * and `response.completed` with usage. Errors use OpenAI's shape `{error:{message,type,code}}`.
 * `GET /v1/models` (and `/models`) is answered by the protocol itself.
 */
import type { ServerResponse } from 'node:http';
import type { NormalizedRequest, ProtocolHandler, ScriptedReply, ScriptedToolCall } from './model-server-types.js';
import { errorStatus } from './reply-helpers.js';
import { freshId, sendJson, sleep, sseEvent, startSse, textOf } from './sse.js';

const RESPONSES = /(^|\/)responses$/;
const MODELS = /(^|\/)models$/;

interface InputItem {
  type?: unknown;
  role?: unknown;
  content?: unknown;
  output?: unknown;
}

interface ResponsesBody {
  model?: unknown;
  stream?: unknown;
  instructions?: unknown;
  input?: unknown;
  tools?: unknown;
}

/** The items of `input` (a plain string is one user message). */
function itemsOf(input: unknown): InputItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (!Array.isArray(input)) return [];
  return input.filter((i): i is InputItem => typeof i === 'object' && i !== null);
}

function isMessage(item: InputItem): boolean {
  return item.type === 'message' || (item.type === undefined && typeof item.role === 'string');
}

/** Output of a function_call_output item: a string, or content parts with text. */
function outputText(output: unknown): string {
  return typeof output === 'string' ? output : textOf(output);
}

/** Names of offered tools: function tools carry `name`; built-in ones only a `type`. */
function toolNamesOf(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .map((t) => {
      if (typeof t !== 'object' || t === null) return '';
      const { name, type } = t as { name?: unknown; type?: unknown };
      return typeof name === 'string' ? name : typeof type === 'string' ? type : '';
    })
    .filter((n) => n !== '');
}

function usageOf(reply: ScriptedReply) {
  const u = reply.usage ?? { input: 0, output: 0 };
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached ?? 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}

function callsOf(reply: ScriptedReply): Required<ScriptedToolCall>[] {
  return (reply.toolCalls ?? []).map((c) => ({ id: c.id ?? freshId('call'), name: c.name, input: c.input }));
}

function writeError(reply: ScriptedReply, res: ServerResponse): boolean {
  if (reply.error === undefined) return false;
  const { status, headers } = errorStatus(reply.error);
  const kind = reply.error.kind;
  const type = kind === 'rate_limit' ? 'rate_limit_exceeded' : kind === 'auth' ? 'invalid_request_error' : 'server_error';
  const code = kind === 'rate_limit' ? 'rate_limit_exceeded' : kind === 'auth' ? 'invalid_api_key' : 'server_error';
  sendJson(res, status, { error: { message: reply.error.message ?? type, type, param: null, code } }, { 'x-request-id': freshId('req'), ...headers });
  return true;
}

type OutputItem =
  | { id: string; type: 'message'; status: string; role: 'assistant'; content: { type: 'output_text'; text: string; annotations: [] }[] }
  | { id: string; type: 'function_call'; status: string; call_id: string; name: string; arguments: string }
  | { id: string; type: 'custom_tool_call'; status: string; call_id: string; name: string; input: string };

/** Names of the request's freeform (`type: "custom"`) tools, such as Codex's `apply_patch`. */
function customToolNames(body: unknown): Set<string> {
  const tools = (typeof body === 'object' && body !== null ? (body as ResponsesBody).tools : undefined) ?? [];
  if (!Array.isArray(tools)) return new Set();
  return new Set(
    tools.flatMap((t) => {
      const { type, name } = (typeof t === 'object' && t !== null ? t : {}) as { type?: unknown; name?: unknown };
      return type === 'custom' && typeof name === 'string' ? [name] : [];
    }),
  );
}

/** A freeform tool's input: the scripted call's `input` string, else its arguments as JSON. */
function freeformInput(input: Readonly<Record<string, unknown>>): string {
  return typeof input.input === 'string' ? input.input : JSON.stringify(input);
}

/**
 * The output items of a reply, completed. A call of a tool the request offers as freeform
 * (`custom`) becomes a `custom_tool_call` whose input is the scripted `input.input` string.
 */
function outputItems(reply: ScriptedReply, custom: ReadonlySet<string>): OutputItem[] {
  const items: OutputItem[] = [];
  if (reply.text !== undefined && reply.text !== '') {
    items.push({ id: freshId('msg'), type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.text, annotations: [] }] });
  }
  for (const c of callsOf(reply)) {
    if (custom.has(c.name)) {
      items.push({ id: freshId('ctc'), type: 'custom_tool_call', status: 'completed', call_id: c.id, name: c.name, input: freeformInput(c.input) });
      continue;
    }
    items.push({ id: freshId('fc'), type: 'function_call', status: 'completed', call_id: c.id, name: c.name, arguments: JSON.stringify(c.input) });
  }
  return items;
}

function responseObject(id: string, model: string, status: string, output: OutputItem[], usage: ReturnType<typeof usageOf> | null) {
  return { id, object: 'response', created_at: Math.floor(Date.now() / 1000), status, model, output, usage, error: null, incomplete_details: null };
}

/** Text in two pieces, so clients see a real stream. */
function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}

/** Streams one output item: added, its deltas, done. */
async function streamItem(res: ServerResponse, item: OutputItem, index: number, next: () => number, chunkDelayMs: number | undefined): Promise<void> {
  const send = (type: string, data: Record<string, unknown>) => sseEvent(res, type, { type, sequence_number: next(), ...data });
  if (item.type === 'message') {
    const text = item.content[0]?.text ?? '';
    send('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
    const part = { type: 'output_text', text: '', annotations: [] };
    send('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part });
    for (const piece of halves(text)) {
      await sleep(chunkDelayMs);
      send('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: piece, logprobs: [] });
    }
    send('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
    send('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: { ...part, text } });
  } else if (item.type === 'custom_tool_call') {
    await sleep(chunkDelayMs);
    send('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', input: '' } });
    for (const piece of halves(item.input)) send('response.custom_tool_call_input.delta', { item_id: item.id, output_index: index, delta: piece });
    send('response.custom_tool_call_input.done', { item_id: item.id, output_index: index, input: item.input });
  } else {
    await sleep(chunkDelayMs);
    send('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', arguments: '' } });
    for (const piece of halves(item.arguments)) {
      send('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: piece });
    }
    send('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: item.arguments });
  }
  send('response.output_item.done', { output_index: index, item });
}

export const openAiResponsesProtocol: ProtocolHandler = {
  protocol: 'openai-responses',
  matches: (method, path) => (method === 'POST' && RESPONSES.test(path)) || (method === 'GET' && MODELS.test(path)),
  auxiliary(method, path) {
    if (method === 'GET' && MODELS.test(path)) {
      return { status: 200, body: { object: 'list', data: [{ id: 'scripted-model', object: 'model', created: 0, owned_by: 'cortical-test' }], models: [] } };
    }
    return null;
  },
  normalize({ method, path, body, headers }): NormalizedRequest {
    const b = (typeof body === 'object' && body !== null ? body : {}) as ResponsesBody;
    const items = itemsOf(b.input);
    const messages = items.filter(isMessage);
    const instructions = typeof b.instructions === 'string' ? b.instructions : '';
    const systemMessages = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content));
    const assistantMessages = messages.filter((m) => m.role === 'assistant').length;
    return {
      protocol: 'openai-responses',
      method,
      path,
      model: typeof b.model === 'string' ? b.model : '',
      stream: b.stream === true,
      system: [instructions, ...systemMessages].filter((t) => t !== '').join('\n'),
      userTexts: messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)),
      toolResults: items.filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output').map((i) => outputText(i.output)),
      assistantTurns: assistantMessages + items.filter((i) => i.type === 'function_call' || i.type === 'custom_tool_call').length,
      toolNames: toolNamesOf(b.tools),
      headers,
      body,
    };
  },
  async respond(reply, req, res) {
    if (writeError(reply, res)) return;
    const id = freshId('resp');
    const items = outputItems(reply, customToolNames(req.body));
    const usage = usageOf(reply);
    if (!req.stream) {
      sendJson(res, 200, responseObject(id, req.model, 'completed', items, usage));
      return;
    }
    startSse(res, { 'x-request-id': freshId('req') });
    let seq = 0;
    const next = () => seq++;
    const created = responseObject(id, req.model, 'in_progress', [], null);
    sseEvent(res, 'response.created', { type: 'response.created', sequence_number: next(), response: created });
    sseEvent(res, 'response.in_progress', { type: 'response.in_progress', sequence_number: next(), response: created });
    for (const [index, item] of items.entries()) await streamItem(res, item, index, next, reply.chunkDelayMs);
    await sleep(reply.chunkDelayMs);
    sseEvent(res, 'response.completed', { type: 'response.completed', sequence_number: next(), response: responseObject(id, req.model, 'completed', items, usage) });
    res.end();
  },
};
