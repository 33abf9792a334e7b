import { afterEach, describe, expect, it } from 'vitest';
import { geminiProtocol, geminiResponseSchema } from './gemini-protocol.js';
import { startModelServer, type ModelServer } from './model-server.js';
import type { Responder } from './model-server-types.js';
import { toolThenText } from './scripts.js';

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(responder: Responder): Promise<ModelServer> {
  server = await startModelServer({ protocols: [geminiProtocol], responder });
  return server;
}

interface Chunk {
  candidates: { content: { role: string; parts: { text?: string; functionCall?: { id?: string; name: string; args: unknown } }[] }; finishReason?: string }[];
  usageMetadata?: Record<string, number>;
}

async function sseChunks(res: Response): Promise<Chunk[]> {
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Chunk);
}

const TOOLS = [{ functionDeclarations: [{ name: 'write_file', parametersJsonSchema: { type: 'object' } }, { name: 'read_file' }] }];

function post(s: ModelServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k-test' }, body: JSON.stringify(body) });
}

describe('scripted model server: Gemini generateContent', () => {
  it('streams a function call, then the final text with usage once a function response is in the conversation', async () => {
    const s = await start(
      toolThenText({ call: { name: 'write_file', input: { file_path: 'a.txt', content: 'hi' } }, finalText: 'all done', usage: { input: 100, output: 30, cached: 40, reasoning: 10 } }),
    );
    const url = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
    const system = { role: 'user', parts: [{ text: 'You are a CLI agent.' }] };
    const first = await sseChunks(await post(s, url, { contents: [{ role: 'user', parts: [{ text: 'context' }, { text: 'write a.txt' }] }], systemInstruction: system, tools: TOOLS }));
    const parts = first.flatMap((c) => c.candidates[0]!.content.parts);
    expect(parts).toEqual([{ functionCall: { name: 'write_file', args: { file_path: 'a.txt', content: 'hi' } } }]);
    expect(first.at(-1)!.candidates[0]!.finishReason).toBe('STOP');
    expect(first.at(-1)!.usageMetadata).toEqual({ promptTokenCount: 100, candidatesTokenCount: 20, cachedContentTokenCount: 40, thoughtsTokenCount: 10, totalTokenCount: 130 });

    const history = [
      { role: 'user', parts: [{ text: 'context' }, { text: 'write a.txt' }] },
      { role: 'model', parts: [{ functionCall: { name: 'write_file', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'write_file', response: { output: 'Successfully wrote a.txt' } } }] },
    ];
    const second = await sseChunks(await post(s, url, { contents: history, systemInstruction: system, tools: TOOLS }));
    expect(second.map((c) => c.candidates[0]!.content.parts.map((p) => p.text ?? '').join('')).join('')).toBe('all done');
    expect(second.length).toBe(2);
    expect(second[0]!.usageMetadata).toBeUndefined();

    expect(s.requests.map((r) => ({ model: r.model, stream: r.stream, system: r.system, userTexts: r.userTexts, toolResults: r.toolResults, turns: r.assistantTurns, tools: r.toolNames }))).toEqual([
      { model: 'gemini-2.5-flash', stream: true, system: 'You are a CLI agent.', userTexts: ['context\nwrite a.txt'], toolResults: [], turns: 0, tools: ['write_file', 'read_file'] },
      {
        model: 'gemini-2.5-flash',
        stream: true,
        system: 'You are a CLI agent.',
        userTexts: ['context\nwrite a.txt'],
        toolResults: ['Successfully wrote a.txt'],
        turns: 1,
        tools: ['write_file', 'read_file'],
      },
    ]);
    expect(s.requests[0]!.headers['x-goog-api-key']).toBe('k-test');
  });

  it('answers generateContent with one JSON response and a scripted call id when the script names one', async () => {
    const s = await start(() => ({ text: 'thinking done', toolCalls: [{ id: 'fc1', name: 'read_file', input: { file_path: 'x' } }], usage: { input: 7, output: 3 } }));
    const res = await post(s, '/v1beta/models/gemini-2.5-pro:generateContent', { contents: 'hello', systemInstruction: 'sys' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Chunk;
    expect(body.candidates[0]!.content).toEqual({ role: 'model', parts: [{ text: 'thinking done' }, { functionCall: { id: 'fc1', name: 'read_file', args: { file_path: 'x' } } }] });
    expect(body.usageMetadata).toEqual({ promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 });
    expect(s.requests[0]).toMatchObject({ model: 'gemini-2.5-pro', stream: false, system: 'sys', userTexts: ['hello'], toolNames: [] });
  });

  it('counts tokens by itself and reads a JSON-schema side request', async () => {
    const s = await start(() => ({ text: '{"next_speaker":"user"}' }));
    const count = await post(s, '/v1beta/models/gemini-2.5-flash:countTokens', { contents: [{ role: 'user', parts: [{ text: 'x'.repeat(400) }] }] });
    expect(((await count.json()) as { totalTokens: number }).totalTokens).toBeGreaterThan(100);
    expect(s.requests[0]!.reply).toBeNull();
    const schema = { type: 'object', properties: { next_speaker: { type: 'string', enum: ['user', 'model'] } } };
    await post(s, '/v1beta/models/gemini-2.5-flash:generateContent', { contents: [], generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema } });
    expect(geminiResponseSchema(s.requests[1]!)).toEqual(schema);
    expect(geminiResponseSchema(s.requests[0]!)).toBeNull();
  });

  it('renders scripted errors in Google shape: 429 RESOURCE_EXHAUSTED with quota details, 401 UNAUTHENTICATED, 500 INTERNAL', async () => {
    const s = await start((req) => {
      const text = req.userTexts[0] ?? '';
      if (text === 'daily') return { error: { kind: 'rate_limit', retryAfterS: 0, message: 'quota' } };
      if (text === 'minute') return { error: { kind: 'rate_limit', retryAfterS: 7 } };
      if (text === 'auth') return { error: { kind: 'auth', message: 'API key not valid' } };
      return { error: { kind: 'server' } };
    });
    const ask = (t: string) => post(s, '/v1beta/models/m:streamGenerateContent?alt=sse', { contents: [{ role: 'user', parts: [{ text: t }] }] });
    const daily = await ask('daily');
    expect(daily.status).toBe(429);
    const dailyBody = (await daily.json()) as { error: { code: number; status: string; details: { '@type': string; violations?: { quotaId: string }[] }[] } };
    expect(dailyBody.error).toMatchObject({ code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' });
    expect(dailyBody.error.details.map((d) => d['@type'])).toEqual(['type.googleapis.com/google.rpc.QuotaFailure']);
    expect(dailyBody.error.details[0]!.violations![0]!.quotaId).toContain('PerDay');

    const minute = await ask('minute');
    expect(minute.headers.get('retry-after')).toBe('7');
    const minuteBody = (await minute.json()) as { error: { details: { '@type': string; retryDelay?: string }[] } };
    expect(minuteBody.error.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' });

    const auth = await ask('auth');
    expect(auth.status).toBe(401);
    expect(await auth.json()).toEqual({ error: { code: 401, message: 'API key not valid', status: 'UNAUTHENTICATED' } });
    const server500 = await ask('other');
    expect(server500.status).toBe(500);
    expect(await server500.json()).toEqual({ error: { code: 500, message: 'INTERNAL', status: 'INTERNAL' } });
  });

  it('takes only POST model routes', () => {
    expect(geminiProtocol.matches('POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent')).toBe(true);
    expect(geminiProtocol.matches('POST', '/v1/models/x:generateContent')).toBe(true);
    expect(geminiProtocol.matches('GET', '/v1beta/models/x:generateContent')).toBe(false);
    expect(geminiProtocol.matches('POST', '/v1/chat/completions')).toBe(false);
  });
});
