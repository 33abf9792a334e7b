/**
 * The built-in agent's view of a model, independent of the API: a conversation, the tools it
 * offers, and one model turn (text, tool calls, usage). The OpenAI Chat and Anthropic Messages
 * clients translate to and from their wire formats.
 */
import type { AgentErrorReason } from '../../../core/ports/agent-driver.js';

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface ModelToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as the model wrote them (JSON text, possibly invalid). */
  readonly argsText: string;
}

export type ConversationItem =
  | { readonly role: 'user'; readonly text: string }
  | { readonly role: 'assistant'; readonly text: string; readonly toolCalls: readonly ModelToolCall[] }
  | { readonly role: 'tool'; readonly callId: string; readonly name: string; readonly output: string; readonly isError: boolean };

export interface TurnUsage {
  /** Input tokens, cached ones included. */
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cachedTokensIn: number;
  readonly reasoningTokens: number;
}

export interface ModelTurn {
  readonly text: string;
  readonly toolCalls: readonly ModelToolCall[];
  readonly usage: TurnUsage;
  /** The API's stop reason as given (`stop`, `tool_calls`, `end_turn`, `max_tokens` …), null when none came. */
  readonly stopReason: string | null;
}

export interface ModelRequest {
  readonly system: string;
  readonly conversation: readonly ConversationItem[];
  readonly tools: readonly ToolSpec[];
}

export interface ModelClient {
  /** One model call; throws ModelCallError. */
  turn(request: ModelRequest): Promise<ModelTurn>;
}

/** A failed model call, classified for Cortical's error reasons. */
export class ModelCallError extends Error {
  constructor(
    readonly reason: AgentErrorReason,
    message: string,
    /** Whether another attempt may succeed (429, 5xx, a dropped connection). */
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
}

export const ZERO_USAGE: TurnUsage = { tokensIn: 0, tokensOut: 0, cachedTokensIn: 0, reasoningTokens: 0 };

export function addUsage(a: TurnUsage, b: TurnUsage): TurnUsage {
  return {
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    cachedTokensIn: a.cachedTokensIn + b.cachedTokensIn,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}

/** The error of an HTTP status: 429 rate_limited, 401/403 auth_failed, else agent_error (5xx retryable). */
export function httpCallError(status: number, detail: string, retryAfter: string | undefined): ModelCallError {
  const message = `model endpoint answered HTTP ${status}${detail === '' ? '' : `: ${detail.slice(0, 500)}`}`;
  if (status === 429) return new ModelCallError('rate_limited', message, true, retryAfterMs(retryAfter));
  if (status === 401 || status === 403) return new ModelCallError('auth_failed', message, false);
  return new ModelCallError('agent_error', message, status >= 500 || status === 408 || status === 409);
}

/** Retry-After as milliseconds (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error message inside an API's JSON error body (`{error:{message}}`, `{error:"…"}`, `{message}`), else the text. */
export function errorDetail(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (typeof json.error === 'object' && json.error !== null && typeof (json.error as { message?: unknown }).message === 'string') {
      return (json.error as { message: string }).message;
    }
    if (typeof json.message === 'string') return json.message;
  } catch {
    // not JSON
  }
  return body.trim();
}
