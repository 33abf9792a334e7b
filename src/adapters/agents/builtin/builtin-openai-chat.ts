/**
 * The built-in agent's OpenAI Chat Completions client (`POST {baseUrl}/chat/completions`,
 * streaming): OpenAI, Ollama, vLLM, llama.cpp server and other compatible servers. The wire
 * translation and the stream accumulator are pure; `OpenAiChatClient` adds the HTTP call.
 */
import { postStreaming, readAll } from './builtin-http.js';
import {
  errorDetail,
  httpCallError,
  ModelCallError,
  type ConversationItem,
  type ModelClient,
  type ModelRequest,
  type ModelToolCall,
  type ModelTurn,
  type TurnUsage,
} from './builtin-model-types.js';
import { SseParser } from './builtin-sse.js';

/** The request body for `request` (streaming, usage included). */
export function openAiChatBody(model: string, maxTokens: number, request: ModelRequest): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  if (request.system !== '') messages.push({ role: 'system', content: request.system });
  for (const item of request.conversation) messages.push(openAiMessage(item));
  return {
    model,
    messages,
    tools: request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })),
    tool_choice: 'auto',
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
  };
}

function openAiMessage(item: ConversationItem): Record<string, unknown> {
  if (item.role === 'user') return { role: 'user', content: item.text };
  if (item.role === 'tool') return { role: 'tool', tool_call_id: item.callId, content: item.output };
  return {
    role: 'assistant',
    content: item.text === '' ? null : item.text,
    ...(item.toolCalls.length > 0
      ? { tool_calls: item.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.argsText } })) }
      : {}),
  };
}

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Accumulates a Chat Completions stream (the `data:` payloads) into a model turn. */
export class OpenAiChatAccumulator {
  private text = '';
  private readonly calls = new Map<number, PartialCall>();
  private usage: TurnUsage | null = null;
  private stop: string | null = null;
  private finished = false;

  /** One SSE `data:` payload; throws ModelCallError for an error in the stream. */
  data(payload: string): void {
    if (payload.trim() === '[DONE]') {
      this.finished = true;
      return;
    }
    let json: Record<string, unknown>;
    try {
      json = obj(JSON.parse(payload));
    } catch {
      return;
    }
    if (json.error !== undefined) {
      const e = obj(json.error);
      throw new ModelCallError('agent_error', `model stream error: ${str(e.message) || JSON.stringify(json.error)}`, false);
    }
    if (json.usage !== undefined && json.usage !== null) this.usage = openAiUsage(json.usage);
    const choices = Array.isArray(json.choices) ? json.choices : [];
    for (const choice of choices) {
      const c = obj(choice);
      if (typeof c.finish_reason === 'string') this.stop = c.finish_reason;
      const delta = obj(c.delta ?? c.message);
      this.text += str(delta.content);
      const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
      calls.forEach((raw, i) => this.callDelta(obj(raw), i));
    }
  }

  private callDelta(call: Record<string, unknown>, position: number): void {
    const index = typeof call.index === 'number' ? call.index : position;
    const fn = obj(call.function);
    const cur = this.calls.get(index) ?? { id: '', name: '', args: '' };
    if (str(call.id) !== '') cur.id = str(call.id);
    cur.name += str(fn.name);
    const args = fn.arguments;
    cur.args += typeof args === 'string' ? args : args !== undefined ? JSON.stringify(args) : '';
    this.calls.set(index, cur);
  }

  get done(): boolean {
    return this.finished;
  }

  turn(): ModelTurn {
    const toolCalls: ModelToolCall[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, c]) => c.name !== '')
      .map(([i, c]) => ({ id: c.id !== '' ? c.id : `call_${i}`, name: c.name, argsText: c.args }));
    return { text: this.text, toolCalls, usage: this.usage ?? { tokensIn: 0, tokensOut: 0, cachedTokensIn: 0, reasoningTokens: 0 }, stopReason: this.stop };
  }
}

export function openAiUsage(raw: unknown): TurnUsage {
  const u = obj(raw);
  return {
    tokensIn: num(u.prompt_tokens),
    tokensOut: num(u.completion_tokens),
    cachedTokensIn: num(obj(u.prompt_tokens_details).cached_tokens),
    reasoningTokens: num(obj(u.completion_tokens_details).reasoning_tokens),
  };
}

export interface ChatClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  readonly maxTokens: number;
  readonly idleTimeoutMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export class OpenAiChatClient implements ModelClient {
  constructor(private readonly opts: ChatClientOptions) {}

  async turn(request: ModelRequest): Promise<ModelTurn> {
    const { opts } = this;
    let res;
    try {
      res = await postStreaming(`${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(opts.apiKey !== '' && opts.apiKey !== 'none' ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify(openAiChatBody(opts.model, opts.maxTokens, request)),
        env: opts.env,
        idleTimeoutMs: opts.idleTimeoutMs,
      });
    } catch (e) {
      throw new ModelCallError('agent_error', `cannot reach the model endpoint: ${e instanceof Error ? e.message : String(e)}`, true);
    }
    if (res.status !== 200) throw httpCallError(res.status, errorDetail(await readAll(res)), res.headers['retry-after']);
    const acc = new OpenAiChatAccumulator();
    const sse = new SseParser();
    const contentType = res.headers['content-type'] ?? '';
    try {
      if (!contentType.includes('event-stream')) {
        // A server that ignored `stream: true` answers one JSON completion.
        acc.data(await readAll(res, 16_000_000));
        return acc.turn();
      }
      for await (const chunk of res.body) for (const ev of sse.feed(chunk)) acc.data(ev.data);
      for (const ev of sse.end()) acc.data(ev.data);
    } catch (e) {
      if (e instanceof ModelCallError) throw e;
      throw new ModelCallError('agent_error', `model stream broke off: ${e instanceof Error ? e.message : String(e)}`, true);
    }
    return acc.turn();
  }
}
