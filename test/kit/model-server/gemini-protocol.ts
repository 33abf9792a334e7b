/**
 * Gemini API (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse` and `:generateContent`),
 * as the Gemini CLI calls it through `@google/genai`. `:countTokens` is answered by the protocol
 * itself with a rough estimate. Errors use Google's shape: `{error:{code, message, status, details}}`.
 */
import type { ServerResponse } from 'node:http';
import type { NormalizedRequest, ProtocolHandler, ScriptedError, ScriptedReply, ScriptedToolCall } from './model-server-types.js';
import { errorStatus } from './reply-helpers.js';
import { freshId, sendJson, sleep, sseEvent, startSse, textOf } from './sse.js';

interface Part {
  text?: unknown;
  thought?: unknown;
  functionCall?: unknown;
  functionResponse?: { name?: unknown; response?: unknown };
}

interface Content {
  role?: unknown;
  parts?: unknown;
}

interface GeminiBody {
  contents?: unknown;
  systemInstruction?: unknown;
  tools?: unknown;
  generationConfig?: { responseMimeType?: unknown; responseJsonSchema?: unknown; responseSchema?: unknown };
}

/** `/v1beta/models/{model}:{method}` (any API version prefix). */
const ROUTE = /\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function partsOf(content: unknown): Part[] {
  if (typeof content === 'string') return [{ text: content }];
  const parts = Array.isArray(content) ? content : record(content).parts;
  if (typeof parts === 'string') return [{ text: parts }];
  if (!Array.isArray(parts)) return [];
  return parts.filter((p): p is Part => typeof p === 'object' && p !== null);
}

function contentsOf(body: GeminiBody): Content[] {
  const c = body.contents;
  if (typeof c === 'string') return [{ role: 'user', parts: [{ text: c }] }];
  if (!Array.isArray(c)) return [];
  return c.filter((x): x is Content => typeof x === 'object' && x !== null);
}

/** Text of a content's text parts (thoughts left out); '' when it has none. */
function textOfParts(parts: readonly Part[]): string {
  return parts
    .filter((p) => typeof p.text === 'string' && p.thought !== true)
    .map((p) => p.text as string)
    .join('\n');
}

/** A function response as text: its `output` (or `error`) when it is a string, else the JSON. */
function responseText(part: Part): string {
  const r = record(part.functionResponse?.response);
  if (typeof r.output === 'string') return r.output;
  if (typeof r.error === 'string') return r.error;
  return JSON.stringify(part.functionResponse?.response ?? null);
}

function toolNamesOf(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((t) => {
    const decls = record(t).functionDeclarations;
    return (Array.isArray(decls) ? decls : []).map((d) => record(d).name).filter((n): n is string => typeof n === 'string' && n !== '');
  });
}

/** The JSON schema a request asks the answer to follow (`responseMimeType: application/json`), or null. */
export function geminiResponseSchema(req: NormalizedRequest): Record<string, unknown> | null {
  const config = record(record(req.body).generationConfig);
  if (config.responseMimeType !== 'application/json') return null;
  return record(config.responseJsonSchema ?? config.responseSchema);
}

/** Google's usage object: `candidatesTokenCount` excludes thoughts, `promptTokenCount` includes cached tokens. */
function usageOf(reply: ScriptedReply) {
  const u = reply.usage ?? { input: 0, output: 0 };
  const reasoning = Math.min(u.reasoning ?? 0, u.output);
  return {
    promptTokenCount: u.input,
    candidatesTokenCount: u.output - reasoning,
    ...(u.cached !== undefined && u.cached > 0 ? { cachedContentTokenCount: Math.min(u.cached, u.input) } : {}),
    ...(reasoning > 0 ? { thoughtsTokenCount: reasoning } : {}),
    totalTokenCount: u.input + u.output,
  };
}

function callsOf(reply: ScriptedReply): readonly ScriptedToolCall[] {
  return reply.toolCalls ?? [];
}

/** A function call part; the id only when the script named one (Google's API usually sends none). */
function callPart(c: ScriptedToolCall) {
  return { functionCall: { ...(c.id !== undefined ? { id: c.id } : {}), name: c.name, args: c.input } };
}

const ERROR_STATUS: Record<ScriptedError['kind'], string> = { rate_limit: 'RESOURCE_EXHAUSTED', auth: 'UNAUTHENTICATED', server: 'INTERNAL' };

/**
 * The error body. A rate limit carries the `RetryInfo` detail Google sends, with the scripted
 * delay; `retryAfterS: 0` says "do not retry" the way Google does for an exhausted daily quota
 * (a `QuotaFailure` on a per-day quota), which the Gemini CLI treats as terminal at once.
 */
export function geminiErrorBody(error: ScriptedError): { error: { code: number; message: string; status: string; details?: unknown[] } } {
  const { status } = errorStatus(error);
  const message = error.message ?? ERROR_STATUS[error.kind];
  if (error.kind !== 'rate_limit') return { error: { code: status, message, status: ERROR_STATUS[error.kind] } };
  const retryS = error.retryAfterS ?? 1;
  const quotaId = retryS > 0 ? 'GenerateRequestsPerMinutePerProjectPerModel' : 'GenerateRequestsPerDayPerProjectPerModel';
  const details: unknown[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId }],
    },
    ...(retryS > 0 ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryS}s` }] : []),
  ];
  return { error: { code: status, message, status: ERROR_STATUS.rate_limit, details } };
}

function writeError(reply: ScriptedReply, res: ServerResponse): boolean {
  if (reply.error === undefined) return false;
  const { status, headers } = errorStatus(reply.error);
  sendJson(res, status, geminiErrorBody(reply.error), headers);
  return true;
}

/** A rough token count of a request body (4 characters a token), for `countTokens`. */
function estimateTokens(body: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4));
}

function chunk(parts: unknown[], responseId: string, model: string, end?: { finishReason: string; usage: unknown }) {
  return {
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(end !== undefined ? { finishReason: end.finishReason } : {}) }],
    ...(end !== undefined ? { usageMetadata: end.usage } : {}),
    modelVersion: model,
    responseId,
  };
}

export const geminiProtocol: ProtocolHandler = {
  protocol: 'gemini',
  matches: (method, path) => method === 'POST' && ROUTE.test(path),
  auxiliary(_method, path, body) {
    if (ROUTE.exec(path)?.[2] === 'countTokens') return { status: 200, body: { totalTokens: estimateTokens(body) } };
    return null;
  },
  normalize({ method, path, body, headers }): NormalizedRequest {
    const b = record(body) as GeminiBody;
    const route = ROUTE.exec(path);
    const contents = contentsOf(b);
    const users = contents.filter((c) => c.role === 'user' || c.role === undefined);
    return {
      protocol: 'gemini',
      method,
      path,
      model: route?.[1] ?? '',
      stream: route?.[2] === 'streamGenerateContent',
      system: typeof b.systemInstruction === 'string' ? b.systemInstruction : textOf(partsOf(b.systemInstruction)),
      userTexts: users.map((c) => textOfParts(partsOf(c))).filter((t) => t !== ''),
      toolResults: users.flatMap((c) => partsOf(c).filter((p) => p.functionResponse !== undefined).map(responseText)),
      assistantTurns: contents.filter((c) => c.role === 'model').length,
      toolNames: toolNamesOf(b.tools),
      headers,
      body,
    };
  },
  async respond(reply, req, res) {
    if (writeError(reply, res)) return;
    const responseId = freshId('resp');
    const calls = callsOf(reply);
    const text = reply.text ?? '';
    const end = { finishReason: 'STOP', usage: usageOf(reply) };
    if (!req.stream) {
      const parts = [...(text !== '' ? [{ text }] : []), ...calls.map(callPart)];
      sendJson(res, 200, chunk(parts, responseId, req.model, end));
      return;
    }
    startSse(res);
    const pieces: unknown[][] = [...halves(text).map((t) => [{ text: t }]), ...calls.map((c) => [callPart(c)])];
    if (pieces.length === 0) pieces.push([{ text: '' }]);
    for (const [i, parts] of pieces.entries()) {
      await sleep(reply.chunkDelayMs);
      sseEvent(res, null, chunk(parts, responseId, req.model, i === pieces.length - 1 ? end : undefined));
    }
    res.end();
  },
};

/** Text in two pieces, so clients see a real stream ([] for no text). */
function halves(text: string): string[] {
  if (text === '') return [];
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}
