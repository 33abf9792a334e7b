import { afterEach, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from './model-server.js';
import { openAiChatProtocol } from './openai-chat-protocol.js';
import { toolThenText } from './scripts.js';

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function sseData(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)) as unknown);
}

describe('scripted model server: OpenAI chat completions', () => {
  it('streams a scripted tool call, then the final text once a tool result is in the conversation', async () => {
    server = await startModelServer({
      protocols: [openAiChatProtocol],
      responder: toolThenText({ call: { id: 'c1', name: 'write', input: { path: 'a.txt', content: 'hi' } }, finalText: 'all done', usage: { input: 100, output: 20 } }),
    });
    const ask = (messages: unknown[]) =>
      fetch(`${server!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
        body: JSON.stringify({ model: 'm1', stream: true, messages, tools: [{ type: 'function', function: { name: 'write', parameters: {} } }] }),
      });
    const first = await sseData(await ask([{ role: 'user', content: 'write a.txt' }]));
    const call = first.flatMap((c) => (c as { choices: { delta: { tool_calls?: { function: { name: string; arguments: string } }[] } }[] }).choices).flatMap((ch) => ch.delta.tool_calls ?? []);
    expect(call).toEqual([expect.objectContaining({ id: 'c1', function: { name: 'write', arguments: '{"path":"a.txt","content":"hi"}' } })]);
    expect(first.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 100, completion_tokens: 20 } });

    const second = await sseData(
      await ask([
        { role: 'user', content: 'write a.txt' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'write', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'wrote a.txt' },
      ]),
    );
    const text = second.flatMap((c) => (c as { choices: { delta: { content?: string } }[] }).choices).map((ch) => ch.delta.content ?? '').join('');
    expect(text).toBe('all done');
    expect(server.requests.map((r) => [r.userTexts, r.toolResults, r.assistantTurns])).toEqual([
      [['write a.txt'], [], 0],
      [['write a.txt'], ['wrote a.txt'], 1],
    ]);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test');
  });

  it('answers scripted rate limits with 429 and Retry-After, and unknown routes with 404', async () => {
    server = await startModelServer({ protocols: [openAiChatProtocol], responder: () => ({ error: { kind: 'rate_limit', retryAfterS: 7 } }) });
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    const missing = await fetch(`${server.url}/v2/unknown`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(server.unmatched).toEqual(['POST /v2/unknown']);
  });
});
