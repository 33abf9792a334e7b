import { afterEach, describe, expect, it } from 'vitest';
import { anthropicProtocol } from './anthropic-protocol.js';
import { startModelServer, type ModelServer } from './model-server.js';
import type { Responder } from './model-server-types.js';

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(responder: Responder): Promise<ModelServer> {
  server = await startModelServer({ protocols: [anthropicProtocol], responder });
  return server;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: JSON.stringify(body) });
}

/** SSE text → [{event, data}]. */
function sseEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((c) => c.trim() !== '')
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? '{}') as Record<string, unknown>;
      return { event, data };
    });
}

const conversation = {
  model: 'claude-sonnet-4-5',
  system: [{ type: 'text', text: 'You are Claude Code.' }, { type: 'text', text: 'Be brief.' }],
  tools: [{ name: 'Write', input_schema: {} }, { name: 'Bash', input_schema: {} }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: '<system-reminder>ctx</system-reminder>' }, { type: 'text', text: 'Create hello.txt' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: 'hello.txt' } }] },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          content: 'File created\n\n<system-reminder>\nThe user sent a new message while you were working:\nSTEER-1\n</system-reminder>',
        },
      ],
    },
  ],
};

describe('anthropic protocol', () => {
  it('normalizes system blocks, user texts (with reminders inside tool results), tool results, turns and tools', async () => {
    const s = await start(() => ({ text: 'ok' }));
    await post(`${s.url}/v1/messages?beta=true`, { ...conversation, stream: false });
    const req = s.requests.at(-1)!;
    expect(req.protocol).toBe('anthropic');
    expect(req.path).toBe('/v1/messages');
    expect(req.model).toBe('claude-sonnet-4-5');
    expect(req.system).toBe('You are Claude Code.\nBe brief.');
    expect(req.userTexts).toEqual(['<system-reminder>ctx</system-reminder>\nCreate hello.txt', '<system-reminder>\nThe user sent a new message while you were working:\nSTEER-1\n</system-reminder>']);
    expect(req.toolResults).toEqual(['File created']);
    expect(req.assistantTurns).toBe(1);
    expect(req.toolNames).toEqual(['Write', 'Bash']);
    expect(req.headers['x-api-key']).toBe('k');
  });

  it('accepts a plain string system prompt and string user content', async () => {
    const s = await start(() => ({ text: 'ok' }));
    await post(`${s.url}/v1/messages`, { model: 'm', system: 'sys', messages: [{ role: 'user', content: 'hi' }] });
    const req = s.requests.at(-1)!;
    expect(req.system).toBe('sys');
    expect(req.userTexts).toEqual(['hi']);
    expect(req.toolNames).toEqual([]);
    expect(req.stream).toBe(false);
  });

  it('streams text and tool_use blocks with input_json_delta, stop reason and usage', async () => {
    const s = await start(() => ({
      text: 'Writing it.',
      toolCalls: [{ id: 'toolu_x', name: 'Write', input: { file_path: 'a.txt', content: 'A' } }],
      usage: { input: 1200, output: 300, cached: 200 },
    }));
    const res = await post(`${s.url}/v1/messages?beta=true`, { ...conversation, stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = sseEvents(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start0 = events[0]!.data as { message: { usage: Record<string, number>; model: string } };
    expect(start0.message.model).toBe('claude-sonnet-4-5');
    expect(start0.message.usage).toMatchObject({ input_tokens: 1000, cache_read_input_tokens: 200 });
    const text = events.filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'text_delta').map((e) => (e.data.delta as { text: string }).text);
    expect(text.join('')).toBe('Writing it.');
    expect(events[5]!.data.content_block).toEqual({ type: 'tool_use', id: 'toolu_x', name: 'Write', input: {} });
    const json = events.filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'input_json_delta').map((e) => (e.data.delta as { partial_json: string }).partial_json);
    expect(JSON.parse(json.join(''))).toEqual({ file_path: 'a.txt', content: 'A' });
    const delta = events[9]!.data as { delta: { stop_reason: string }; usage: Record<string, number> };
    expect(delta.delta.stop_reason).toBe('tool_use');
    expect(delta.usage).toEqual({ input_tokens: 1000, cache_creation_input_tokens: 0, cache_read_input_tokens: 200, output_tokens: 300 });
  });

  it('answers a non-streaming request with one message JSON', async () => {
    const s = await start(() => ({ text: 'Done.', usage: { input: 10, output: 3 } }));
    const res = await post(`${s.url}/v1/messages`, { ...conversation, stream: false });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', content: [{ type: 'text', text: 'Done.' }] });
    expect(body.usage).toMatchObject({ input_tokens: 10, output_tokens: 3 });
  });

  it('answers count_tokens by itself without asking the script', async () => {
    let asked = 0;
    const s = await start(() => {
      asked += 1;
      return { text: 'x' };
    });
    const res = await post(`${s.url}/v1/messages/count_tokens?beta=true`, conversation);
    const body = (await res.json()) as { input_tokens: number };
    expect(res.status).toBe(200);
    expect(body.input_tokens).toBeGreaterThan(0);
    expect(asked).toBe(0);
    expect(s.requests.at(-1)?.reply).toBeNull();
  });

  it.each([
    ['rate_limit', 429, 'rate_limit_error'],
    ['auth', 401, 'authentication_error'],
    ['server', 500, 'api_error'],
  ] as const)('renders a %s error as HTTP %i with type %s', async (kind, status, type) => {
    const s = await start(() => ({ error: { kind, message: 'nope', retryAfterS: 7 } }));
    const res = await post(`${s.url}/v1/messages`, { ...conversation, stream: true });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ type: 'error', error: { type, message: 'nope' } });
    expect(res.headers.get('retry-after')).toBe(kind === 'rate_limit' ? '7' : null);
  });

  it('does not take other paths', () => {
    expect(anthropicProtocol.matches('POST', '/v1/chat/completions')).toBe(false);
    expect(anthropicProtocol.matches('GET', '/v1/messages')).toBe(false);
    expect(anthropicProtocol.matches('POST', '/proxy/v1/messages')).toBe(true);
  });
});
