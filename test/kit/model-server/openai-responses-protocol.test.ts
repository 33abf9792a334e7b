import { afterEach, describe, expect, it } from 'vitest';
import type { Responder } from './model-server-types.js';
import { startModelServer, type ModelServer } from './model-server.js';
import { openAiResponsesProtocol } from './openai-responses-protocol.js';

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

interface SseEvent {
  event: string;
  data: Record<string, unknown> & { type: string };
}

async function sseEvents(res: Response): Promise<SseEvent[]> {
  const blocks = (await res.text()).split('\n\n').filter((b) => b.trim() !== '');
  return blocks.map((b) => {
    const event = /^event: (.*)$/m.exec(b)?.[1] ?? '';
    const data = JSON.parse(/^data: (.*)$/m.exec(b)?.[1] ?? '{}') as SseEvent['data'];
    return { event, data };
  });
}

async function start(responder: Responder): Promise<ModelServer> {
  server = await startModelServer({ protocols: [openAiResponsesProtocol], responder });
  return server;
}

const post = (path: string, body: unknown) =>
  fetch(`${server!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body: JSON.stringify(body) });

const TOOLS = [
  { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
  { type: 'custom', name: 'apply_patch', format: { type: 'grammar' } },
  { type: 'web_search' },
];

describe('scripted model server: OpenAI Responses', () => {
  it('streams a function call and a freeform (custom) tool call, with usage in response.completed', async () => {
    await start(() => ({
      toolCalls: [
        { id: 'call_1', name: 'exec_command', input: { cmd: 'ls' } },
        { id: 'call_2', name: 'apply_patch', input: { input: '*** Begin Patch\n*** End Patch\n' } },
      ],
      usage: { input: 100, output: 20, cached: 30, reasoning: 5 },
    }));
    const res = await post('/v1/responses', { model: 'gpt-5.5', stream: true, input: 'hi', tools: TOOLS });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = await sseEvents(res);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events.filter((e) => e.event === 'response.output_item.done').map((e) => e.data.item);
    expect(done).toEqual([
      expect.objectContaining({ type: 'function_call', call_id: 'call_1', name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' }),
      expect.objectContaining({ type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' }),
    ]);
    expect(events.at(-1)!.data.response).toMatchObject({
      status: 'completed',
      model: 'gpt-5.5',
      usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 30 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 120 },
    });
  });

  it('streams a message item as output_text deltas; answers non-streaming requests with one JSON response', async () => {
    await start(() => ({ text: 'all done', usage: { input: 10, output: 2 } }));
    const events = await sseEvents(await post('/responses', { model: 'm', stream: true, input: [] }));
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta);
    expect(deltas.join('')).toBe('all done');
    expect(events.find((e) => e.event === 'response.output_item.done')!.data.item).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'all done' }],
    });
    const single = (await (await post('/v1/responses', { model: 'm', input: 'x' })).json()) as Record<string, unknown>;
    expect(single).toMatchObject({ object: 'response', status: 'completed', output: [{ type: 'message', content: [{ text: 'all done' }] }], usage: { input_tokens: 10 } });
  });

  it('reads instructions, input items, tool outputs and tool names into the normalized request', async () => {
    const s = await start(() => ({ text: 'ok' }));
    await post('/v1/responses', {
      model: 'gpt-5.5',
      stream: true,
      instructions: 'be brief',
      tools: TOOLS,
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'dev rules' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'write a.txt' }] },
        { type: 'function_call', call_id: 'c1', name: 'exec_command', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'exit 0' },
        { type: 'custom_tool_call', call_id: 'c2', name: 'apply_patch', input: 'patch' },
        { type: 'custom_tool_call_output', call_id: 'c2', output: 'Success' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] },
        { type: 'reasoning', summary: [] },
        { role: 'user', content: 'GUIDANCE' },
      ],
    });
    const r = s.requests[0]!;
    expect(r).toMatchObject({ protocol: 'openai-responses', model: 'gpt-5.5', stream: true, system: 'be brief\ndev rules' });
    expect(r.userTexts).toEqual(['write a.txt', 'GUIDANCE']);
    expect(r.toolResults).toEqual(['exit 0', 'Success']);
    expect(r.assistantTurns).toBe(3);
    expect(r.toolNames).toEqual(['exec_command', 'apply_patch', 'web_search']);
    expect(r.headers.authorization).toBe('Bearer sk-test');
  });

  it.each([
    ['rate_limit', 429, 'rate_limit_exceeded'],
    ['auth', 401, 'invalid_api_key'],
    ['server', 500, 'server_error'],
  ] as const)('answers a scripted %s error with %i in OpenAI error shape', async (kind, status, code) => {
    await start(() => ({ error: { kind, message: 'nope', retryAfterS: 3 } }));
    const res = await post('/v1/responses', { model: 'm', stream: true, input: 'x' });
    expect(res.status).toBe(status);
    expect(res.headers.get('retry-after')).toBe(kind === 'rate_limit' ? '3' : null);
    expect(await res.json()).toEqual({ error: { message: 'nope', type: expect.any(String), param: null, code } });
  });

  it('answers GET /v1/models itself and records it without a reply', async () => {
    const s = await start(() => ({ text: 'never' }));
    const res = await fetch(`${s.url}/v1/models?client_version=0.169.0`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list', data: [{ id: 'scripted-model' }] });
    expect(s.requests.map((r) => [r.method, r.path, r.reply])).toEqual([['GET', '/v1/models', null]]);
  });
});
