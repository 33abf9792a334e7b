import { describe, expect, it } from 'vitest';
import { AnthropicAccumulator, anthropicBody } from './builtin-anthropic.js';
import { ModelCallError } from './builtin-model-types.js';
import { SseParser } from './builtin-sse.js';

/** A Messages stream written by hand after Anthropic's documented format: text, a tool_use with split JSON, ping, usage. */
const RECORDED = `event: message_start
data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":10,"cache_read_input_tokens":200,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"I'll create "}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"the file."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"write_file","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"path\\": \\"a.txt\\", "}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"content\\": \\"hi\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`;

function replay(text: string): AnthropicAccumulator {
  const acc = new AnthropicAccumulator();
  const sse = new SseParser();
  for (const ev of [...sse.feed(text), ...sse.end()]) acc.data(ev.data);
  return acc;
}

describe('AnthropicAccumulator', () => {
  it('replays a recorded stream into text, a tool call and usage (cache reads and writes counted as input)', () => {
    const acc = replay(RECORDED);
    expect(acc.done).toBe(true);
    expect(acc.turn()).toEqual({
      text: "I'll create the file.",
      toolCalls: [{ id: 'toolu_01', name: 'write_file', argsText: '{"path": "a.txt", "content": "hi"}' }],
      usage: { tokensIn: 235, tokensOut: 89, cachedTokensIn: 200, reasoningTokens: 0 },
      stopReason: 'tool_use',
    });
  });

  it('a tool_use without input deltas has {} as arguments', () => {
    const acc = new AnthropicAccumulator();
    acc.data('{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"list_files","input":{}}}');
    expect(acc.turn().toolCalls).toEqual([{ id: 't', name: 'list_files', argsText: '{}' }]);
  });

  it.each([
    ['overloaded_error', 'agent_error', true],
    ['rate_limit_error', 'rate_limited', true],
    ['authentication_error', 'auth_failed', false],
  ])('an %s event in the stream is %s', (type, reason, retryable) => {
    const acc = new AnthropicAccumulator();
    let err: unknown;
    try {
      acc.data(JSON.stringify({ type: 'error', error: { type, message: 'nope' } }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ reason, retryable });
  });
});

describe('anthropicBody', () => {
  it('merges tool results and guidance into one user message and parses tool arguments', () => {
    const body = anthropicBody('claude-x', 512, {
      system: 'sys',
      tools: [{ name: 'write_file', description: 'w', parameters: { type: 'object' } }],
      conversation: [
        { role: 'user', text: 'task' },
        { role: 'assistant', text: 'ok', toolCalls: [{ id: 't1', name: 'write_file', argsText: '{"path":"a"}' }, { id: 't2', name: 'write_file', argsText: 'not json' }] },
        { role: 'tool', callId: 't1', name: 'write_file', output: 'denied by policy: x', isError: true },
        { role: 'tool', callId: 't2', name: 'write_file', output: 'bad args', isError: true },
        { role: 'user', text: 'guidance' },
      ],
    });
    expect(body).toMatchObject({ model: 'claude-x', max_tokens: 512, system: 'sys', stream: true, tools: [{ name: 'write_file', description: 'w', input_schema: { type: 'object' } }] });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'task' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'ok' },
          { type: 'tool_use', id: 't1', name: 'write_file', input: { path: 'a' } },
          { type: 'tool_use', id: 't2', name: 'write_file', input: { _unparsed: 'not json' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'denied by policy: x', is_error: true },
          { type: 'tool_result', tool_use_id: 't2', content: 'bad args', is_error: true },
          { type: 'text', text: 'guidance' },
        ],
      },
    ]);
  });
});
