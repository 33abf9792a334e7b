/**
 * One non-streaming call to an OpenAI-compatible `POST {baseUrl}/chat/completions` that asks for a
 * JSON object (the request planner and the LLM plan reviewer). Errors say what went wrong without
 * the key; callers redact their own messages once more before they leave.
 */

/** The first JSON object in a model's answer (code fences and surrounding prose tolerated). */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = fenced?.[1] ?? text;
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end <= start) throw new Error('the model answered without a JSON object');
  try {
    return JSON.parse(body.slice(start, end + 1)) as unknown;
  } catch (e) {
    throw new Error(`the model's JSON does not parse: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export interface JsonChatRequest {
  /** `{baseUrl}/chat/completions` */
  readonly url: string;
  /** `none` sends no Authorization header. */
  readonly apiKey: string;
  readonly model: string;
  readonly system: string;
  readonly user: string;
  readonly timeoutMs: number;
  readonly fetchFn: typeof fetch;
  readonly signal?: AbortSignal | undefined;
  /** The error when `signal` (not the timeout) ended the call; default: as any unreachable endpoint. */
  readonly cancelledMessage?: string | undefined;
}

/** The JSON object the model answered with (temperature 0, `response_format: json_object`). */
export async function askJsonChat(r: JsonChatRequest): Promise<unknown> {
  const body = {
    model: r.model,
    stream: false,
    temperature: 0,
    response_format: { type: 'json_object' },
    messages: [
      { role: 'system', content: r.system },
      { role: 'user', content: r.user },
    ],
  };
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (r.apiKey !== 'none') headers['authorization'] = `Bearer ${r.apiKey}`;
  const timeout = AbortSignal.timeout(r.timeoutMs);
  const combined = r.signal === undefined ? timeout : AbortSignal.any([r.signal, timeout]);
  let res: Response;
  let text: string;
  try {
    res = await r.fetchFn(r.url, { method: 'POST', headers, body: JSON.stringify(body), signal: combined });
    text = await res.text();
  } catch (e) {
    if (timeout.aborted) throw new Error(`the model did not answer within ${r.timeoutMs} ms`, { cause: e });
    if (r.signal?.aborted === true && r.cancelledMessage !== undefined) throw new Error(r.cancelledMessage, { cause: e });
    throw new Error(`cannot reach the model endpoint: ${causeOf(e)}`, { cause: e });
  }
  if (!res.ok) throw new Error(`the model endpoint answered HTTP ${res.status}${errorMessage(text)}`);
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    throw new Error('the model endpoint answered with something other than JSON');
  }
  const content = (json as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  if (typeof content !== 'string' || content.trim() === '') throw new Error('the model answered without text');
  return extractJson(content);
}

function errorMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? `: ${m.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

function causeOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : e.message;
}
