/**
 * Types of the scripted model server (test kit): a local HTTP server that speaks the model APIs
 * the agent CLIs call (Anthropic Messages, OpenAI Chat Completions and Responses, Gemini
 * `streamGenerateContent`) and answers every request from a script, so that end-to-end tests can
 * run the real CLIs offline and deterministically.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type ModelProtocol = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini';

export interface ScriptedToolCall {
  /** Call id; generated when absent. */
  readonly id?: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface ScriptedUsage {
  readonly input: number;
  readonly output: number;
  readonly cached?: number;
  readonly reasoning?: number;
}

export interface ScriptedError {
  /** rate_limit → 429 (with Retry-After), auth → 401, server → 500. */
  readonly kind: 'rate_limit' | 'auth' | 'server';
  readonly message?: string;
  readonly retryAfterS?: number;
}

/** One model response, rendered in whatever protocol the request came in. */
export interface ScriptedReply {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  readonly usage?: ScriptedUsage;
  readonly error?: ScriptedError;
  /** Wait before answering (ms). */
  readonly delayMs?: number;
  /** Wait between streamed chunks (ms); a long one keeps a turn open (guidance tests). */
  readonly chunkDelayMs?: number;
}

/** A request, reduced to what scripts decide on. */
export interface NormalizedRequest {
  readonly protocol: ModelProtocol;
  readonly method: string;
  readonly path: string;
  readonly model: string;
  readonly stream: boolean;
  /** The system prompt / instructions as text. */
  readonly system: string;
  /** Text of every user message, in order (tool results excluded). */
  readonly userTexts: readonly string[];
  /** Content of every tool result in the conversation, in order. */
  readonly toolResults: readonly string[];
  /** Assistant turns in the conversation so far. */
  readonly assistantTurns: number;
  /** Names of the tools the request offers the model. */
  readonly toolNames: readonly string[];
  /** Request headers, names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body. */
  readonly body: unknown;
}

export interface RecordedRequest extends NormalizedRequest {
  readonly at: number;
  /** The reply the script gave (null for requests a protocol answered itself, such as token counts). */
  readonly reply: ScriptedReply | null;
}

export type Responder = (req: NormalizedRequest) => ScriptedReply | Promise<ScriptedReply>;

/** A model API: which requests it takes, how it reads them and how it writes a reply. */
export interface ProtocolHandler {
  readonly protocol: ModelProtocol;
  /** Whether this handler takes the request (by method and path without the query). */
  matches(method: string, path: string): boolean;
  /**
   * Requests the protocol answers by itself (token counting, model lists): the JSON to send, or
   * null to go on to the script.
   */
  auxiliary?(method: string, path: string, body: unknown): { status: number; body: unknown } | null;
  normalize(input: { method: string; path: string; query: URLSearchParams; body: unknown; headers: Readonly<Record<string, string>> }): NormalizedRequest;
  /** Writes `reply` (stream or single JSON, as the request asked) and ends the response. */
  respond(reply: ScriptedReply, req: NormalizedRequest, res: ServerResponse, incoming: IncomingMessage): Promise<void>;
}
