/**
 * The built-in agent's Anthropic Messages client (`POST {baseUrl}/v1/messages`, streaming). The
 * wire translation and the stream accumulator are pure; `AnthropicClient` adds the HTTP call.
 * Consecutive user-side items (tool results, guidance) merge into one user message, as the API
 * wants roles to alternate.
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
import type { ChatClientOptions } from './builtin-openai-chat.js';
import { SseParser } from './builtin-sse.js';

export const ANTHROPIC_VERSION = '2023-06-01';

type Block = Record<string, unknown>;

function parseArgs(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text === '' ? '{}' : text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { _unparsed: text };
  }
}

function blocksOf(item: ConversationItem): Block[] {
  if (item.role === 'user') return [{ type: 'text', text: item.text }];
  if (item.role === 'tool') return [{ type: 'tool_result', tool_use_id: item.callId, content: item.output, ...(item.isError ? { is_error: true } : {}) }];
  return [
    ...(item.text !== '' ? [{ type: 'text', text: item.text }] : []),
    ...item.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: parseArgs(c.argsText) })),
  ];
}

/** The request body for `request` (streaming). */
export function anthropicBody(model: string, maxTokens: number, request: ModelRequest): Record<string, unknown> {
  const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  for (const item of request.conversation) {
    const role = item.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(item);
    if (blocks.length === 0) continue;
    const last = messages.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  }
  return {
    model,
    max_tokens: maxTokens,
    ...(request.system !== '' ? { system: request.system } : {}),
    messages,
    tools: request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })),
    stream: true,
  };
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface OpenBlock {
  kind: 'text' | 'tool_use' | 'other';
  id: string;
  name: string;
  text: string;
}

/** Accumulates a Messages stream (SSE events) into a model turn. */
export class AnthropicAccumulator {
  private readonly blocks = new Map<number, OpenBlock>();
  private input = 0;
  private cacheRead = 0;
  private cacheWrite = 0;
  private output = 0;
  private stop: string | null = null;
  private finished = false;

  /** One SSE event's data; throws ModelCallError for an `error` event. */
  data(payload: string): void {
    let json: Record<string, unknown>;
    try {
      json = obj(JSON.parse(payload));
    } catch {
      return;
    }
    switch (json.type) {
      case 'message_start':
        this.usage(obj(obj(json.message).usage));
        break;
      case 'content_block_start': {
        const b = obj(json.content_block);
        const kind = b.type === 'text' ? 'text' : b.type === 'tool_use' ? 'tool_use' : 'other';
        const initial = kind === 'text' ? str(b.text) : kind === 'tool_use' && Object.keys(obj(b.input)).length > 0 ? JSON.stringify(b.input) : '';
        this.blocks.set(num(json.index) ?? this.blocks.size, { kind, id: str(b.id), name: str(b.name), text: initial });
        break;
      }
      case 'content_block_delta': {
        const block = this.blocks.get(num(json.index) ?? -1);
        const d = obj(json.delta);
        if (block === undefined) break;
        if (d.type === 'text_delta') block.text += str(d.text);
        else if (d.type === 'input_json_delta') block.text += str(d.partial_json);
        break;
      }
      case 'message_delta':
        if (typeof obj(json.delta).stop_reason === 'string') this.stop = str(obj(json.delta).stop_reason);
        this.usage(obj(json.usage));
        break;
      case 'message_stop':
        this.finished = true;
        break;
      case 'error': {
        const e = obj(json.error);
        const type = str(e.type);
        const message = `model stream error (${type || 'error'}): ${str(e.message)}`;
        if (type === 'rate_limit_error') throw new ModelCallError('rate_limited', message, true);
        if (type === 'authentication_error' || type === 'permission_error') throw new ModelCallError('auth_failed', message, false);
        throw new ModelCallError('agent_error', message, type === 'overloaded_error' || type === 'api_error');
      }
      default:
        break;
    }
  }

  /** Usage fields present in `u` replace the ones seen so far (message_delta carries the final output count). */
  private usage(u: Record<string, unknown>): void {
    this.input = num(u.input_tokens) ?? this.input;
    this.cacheRead = num(u.cache_read_input_tokens) ?? this.cacheRead;
    this.cacheWrite = num(u.cache_creation_input_tokens) ?? this.cacheWrite;
    this.output = num(u.output_tokens) ?? this.output;
  }

  get done(): boolean {
    return this.finished;
  }

  turn(): ModelTurn {
    const ordered = [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
    const text = ordered.filter((b) => b.kind === 'text').map((b) => b.text).join('');
    const toolCalls: ModelToolCall[] = ordered
      .filter((b) => b.kind === 'tool_use')
      .map((b, i) => ({ id: b.id !== '' ? b.id : `toolu_${i}`, name: b.name, argsText: b.text === '' ? '{}' : b.text }));
    const usage: TurnUsage = { tokensIn: this.input + this.cacheRead + this.cacheWrite, tokensOut: this.output, cachedTokensIn: this.cacheRead, reasoningTokens: 0 };
    return { text, toolCalls, usage, stopReason: this.stop };
  }
}

export class AnthropicClient implements ModelClient {
  constructor(private readonly opts: ChatClientOptions) {}

  async turn(request: ModelRequest): Promise<ModelTurn> {
    const { opts } = this;
    let res;
    try {
      res = await postStreaming(`${opts.baseUrl.replace(/\/+$/, '')}/v1/messages`, {
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'anthropic-version': ANTHROPIC_VERSION,
          ...(opts.apiKey !== '' && opts.apiKey !== 'none' ? { 'x-api-key': opts.apiKey } : {}),
        },
        body: JSON.stringify(anthropicBody(opts.model, opts.maxTokens, request)),
        env: opts.env,
        idleTimeoutMs: opts.idleTimeoutMs,
      });
    } catch (e) {
      throw new ModelCallError('agent_error', `cannot reach the model endpoint: ${e instanceof Error ? e.message : String(e)}`, true);
    }
    if (res.status !== 200) throw httpCallError(res.status, errorDetail(await readAll(res)), res.headers['retry-after']);
    const acc = new AnthropicAccumulator();
    const sse = new SseParser();
    try {
      for await (const chunk of res.body) for (const ev of sse.feed(chunk)) acc.data(ev.data);
      for (const ev of sse.end()) acc.data(ev.data);
    } catch (e) {
      if (e instanceof ModelCallError) throw e;
      throw new ModelCallError('agent_error', `model stream broke off: ${e instanceof Error ? e.message : String(e)}`, true);
    }
    return acc.turn();
  }
}
