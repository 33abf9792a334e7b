import { describe, expect, it } from 'vitest';
import { OpenAiChatAccumulator, openAiChatBody } from './builtin-openai-chat.js';

/** A stream as llama.cpp / vLLM / OpenAI send it: text, two tool calls split over chunks, usage last. */
const CHUNKS = [
  '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{"content":"Let me "},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{"content":"write it."},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"write_file","arguments":""}}]},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"path\\":\\"a.txt\\","}}]},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"content\\":\\"hi\\"}"}}]},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"run_command","arguments":"{\\"command\\":\\"ls\\"}"}}]},"finish_reason":null}]}',
  '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
  '{"id":"c","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":4}}}',
  '[DONE]',
];

describe('OpenAiChatAccumulator', () => {
  it('accumulates text, tool calls by index and the usage chunk', () => {
    const acc = new OpenAiChatAccumulator();
    for (const c of CHUNKS) acc.data(c);
    expect(acc.done).toBe(true);
    expect(acc.turn()).toEqual({
      text: 'Let me write it.',
      toolCalls: [
        { id: 'call_a', name: 'write_file', argsText: '{"path":"a.txt","content":"hi"}' },
        { id: 'call_b', name: 'run_command', argsText: '{"command":"ls"}' },
      ],
      usage: { tokensIn: 120, tokensOut: 30, cachedTokensIn: 100, reasoningTokens: 4 },
      stopReason: 'tool_calls',
    });
  });

  it('reads a non-streamed completion (a server that ignored stream: true)', () => {
    const acc = new OpenAiChatAccumulator();
    acc.data(
      JSON.stringify({
        choices: [{ message: { role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'list_files', arguments: '{}' } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 5, completion_tokens: 2 },
      }),
    );
    expect(acc.turn()).toMatchObject({ text: '', toolCalls: [{ id: 'x', name: 'list_files', argsText: '{}' }], usage: { tokensIn: 5, tokensOut: 2 } });
  });

  it('an error object in the stream is an agent_error', () => {
    const acc = new OpenAiChatAccumulator();
    expect(() => acc.data('{"error":{"message":"model not loaded"}}')).toThrow(/model not loaded/);
  });
});

describe('openAiChatBody', () => {
  it('renders the conversation with system, tool calls and tool results', () => {
    const body = openAiChatBody('m', 100, {
      system: 'sys',
      tools: [{ name: 'read_file', description: 'd', parameters: { type: 'object' } }],
      conversation: [
        { role: 'user', text: 'do it' },
        { role: 'assistant', text: '', toolCalls: [{ id: 'c1', name: 'read_file', argsText: '{"path":"a"}' }] },
        { role: 'tool', callId: 'c1', name: 'read_file', output: 'denied by policy: no', isError: true },
        { role: 'user', text: 'guidance' },
      ],
    });
    expect(body).toMatchObject({ model: 'm', max_tokens: 100, stream: true, stream_options: { include_usage: true } });
    expect(body.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'do it' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'denied by policy: no' },
      { role: 'user', content: 'guidance' },
    ]);
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'read_file', description: 'd', parameters: { type: 'object' } } }]);
  });
});
