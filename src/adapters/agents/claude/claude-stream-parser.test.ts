import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { claudeErrorReason, ClaudeStreamParser } from './claude-stream-parser.js';

const WS = '/work/ws';
const j = (o: unknown): string => JSON.stringify(o);
const assistant = (id: string, content: unknown[], usage: Record<string, number> = { input_tokens: 100, output_tokens: 1 }) =>
  j({ type: 'assistant', message: { id, model: 'claude-sonnet-4-5', content, usage }, parent_tool_use_id: null });
const toolResult = (id: string, content: unknown, extra: Record<string, unknown> = {}, isError = false) =>
  j({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content, is_error: isError }] }, ...extra });
const result = (o: Record<string, unknown>) => j({ type: 'result', subtype: 'success', is_error: false, result: 'ok', ...o });

function feed(p: ClaudeStreamParser, lines: string[]): AgentEvent[] {
  return lines.flatMap((l) => p.line('stdout', l));
}

describe('ClaudeStreamParser', () => {
  it('reports a session once per id and remembers the model of init', () => {
    const p = new ClaudeStreamParser(WS);
    const init = j({ type: 'system', subtype: 'init', session_id: 's-1', model: 'claude-opus-4-5' });
    expect(feed(p, [init, init])).toEqual([{ kind: 'session', id: 's-1' }]);
    const [usage] = feed(p, [assistant('m1', [])]);
    expect(usage).toMatchObject({ kind: 'usage', model: 'claude-sonnet-4-5' });
  });

  it('turns non-JSON stdout and stderr into log lines, and ignores unknown JSON', () => {
    const p = new ClaudeStreamParser(WS);
    expect(p.line('stdout', 'plain text')).toEqual([{ kind: 'log', stream: 'stdout', text: 'plain text' }]);
    expect(p.line('stderr', 'warning')).toEqual([{ kind: 'log', stream: 'stderr', text: 'warning' }]);
    expect(p.line('stdout', j({ type: 'something_new' }))).toEqual([]);
    expect(p.line('stdout', '')).toEqual([]);
  });

  it('maps Edit, MultiEdit and NotebookEdit to modified files and ignores files outside the workspace', () => {
    const p = new ClaudeStreamParser(WS);
    const events = feed(p, [
      assistant('m1', [
        { type: 'tool_use', id: 't1', name: 'Edit', input: { file_path: `${WS}/src/a.ts`, old_string: 'a', new_string: 'b' } },
        { type: 'tool_use', id: 't2', name: 'Write', input: { file_path: '/etc/passwd', content: 'x' } },
        { type: 'tool_use', id: 't3', name: 'NotebookEdit', input: { notebook_path: `${WS}/n.ipynb`, new_source: '' } },
        { type: 'tool_use', id: 't4', name: 'Write', input: { file_path: `${WS}/b.txt`, content: 'x' } },
      ]),
      toolResult('t1', 'edited'),
      toolResult('t2', 'written'),
      toolResult('t3', [{ type: 'text', text: 'cell updated' }]),
      toolResult('t4', 'Error: denied', {}, true),
    ]);
    expect(events.filter((e) => e.kind === 'file_change')).toEqual([
      { kind: 'file_change', path: 'src/a.ts', change: 'modified' },
      { kind: 'file_change', path: 'n.ipynb', change: 'modified' },
    ]);
    expect(events.filter((e) => e.kind === 'tool_result').map((e) => (e.kind === 'tool_result' ? [e.id, e.ok, e.output] : []))).toEqual([
      ['t1', true, 'edited'],
      ['t2', true, 'written'],
      ['t3', true, 'cell updated'],
      ['t4', false, 'Error: denied'],
    ]);
  });

  it('tells a Write that created a file from one that replaced it', () => {
    const p = new ClaudeStreamParser(WS);
    const events = feed(p, [
      assistant('m1', [{ type: 'tool_use', id: 't1', name: 'Write', input: { file_path: `${WS}/x.txt`, content: '1' } }]),
      toolResult('t1', 'ok', { tool_use_result: { type: 'update', filePath: `${WS}/x.txt` } }),
    ]);
    expect(events).toContainEqual({ kind: 'file_change', path: 'x.txt', change: 'modified' });
  });

  it('reports usage after each response from the partial stream, exact at message_delta', () => {
    const p = new ClaudeStreamParser(WS);
    const start = j({ type: 'stream_event', event: { type: 'message_start', message: { id: 'm1', model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 1 } } } });
    const delta = j({ type: 'stream_event', api_message_id: 'm1', event: { type: 'message_delta', usage: { input_tokens: 1000, output_tokens: 500 } } });
    const events = feed(p, [start, assistant('m1', [{ type: 'text', text: 'hi' }]), delta]);
    expect(events).toEqual([
      { kind: 'message', text: 'hi' },
      { kind: 'usage', tokensIn: 1000, tokensOut: 500, cachedTokensIn: 0, model: 'claude-sonnet-4-5', usd: 0.0105, reportedUsd: null, pricedUsd: 0.0105 },
    ]);
  });

  it('without a partial stream, counts each response once from its assistant lines', () => {
    const p = new ClaudeStreamParser(WS);
    const events = feed(p, [
      assistant('m1', [{ type: 'text', text: 'a' }], { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 50 }),
      assistant('m1', [{ type: 'tool_use', id: 't', name: 'Bash', input: { command: 'ls' } }], { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 50 }),
    ]);
    const usage = events.filter((e) => e.kind === 'usage');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ tokensIn: 150, tokensOut: 1, cachedTokensIn: 50 });
  });

  it('sums the turns of a run and takes the cost of each turn, not the session total of a resumed session', () => {
    const p = new ClaudeStreamParser(WS);
    const turn = (input: number, output: number, cost: number, total: number) =>
      result({ total_cost_usd: total, model_usage_since_last_result: { 'claude-sonnet-4-5': { inputTokens: input, outputTokens: output, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: cost } } });
    const [first] = feed(p, [turn(1000, 100, 0.0045, 1.0045)]);
    expect(first).toMatchObject({ tokensIn: 1000, tokensOut: 100, usd: 0.0045, reportedUsd: 0.0045 });
    const mid = feed(p, [assistant('m2', [], { input_tokens: 1000, output_tokens: 100 })]);
    expect(mid).toEqual([expect.objectContaining({ kind: 'usage', tokensIn: 2000, tokensOut: 200, usd: 0.009, reportedUsd: null })]);
    const [second, done] = feed(p, [turn(1000, 100, 0.0045, 1.009)]);
    expect(second).toMatchObject({ tokensIn: 2000, tokensOut: 200, usd: 0.009, reportedUsd: 0.009, pricedUsd: 0.009 });
    expect(done).toEqual({ kind: 'done', summary: 'ok' });
  });

  it('without per-model usage, takes the turn usage and the difference of the session cost', () => {
    const p = new ClaudeStreamParser(WS);
    feed(p, [result({ total_cost_usd: 0.5, usage: { input_tokens: 10, output_tokens: 1 } })]);
    const [u] = feed(p, [result({ total_cost_usd: 0.7, usage: { input_tokens: 10, output_tokens: 1 } })]);
    expect(u).toMatchObject({ tokensIn: 20, tokensOut: 2, reportedUsd: 0.7 });
  });

  it('reports API errors from the result status and type, and skips the synthetic error message', () => {
    const p = new ClaudeStreamParser(WS);
    const synthetic = j({ type: 'assistant', message: { id: 'x', model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 500' }] }, is_api_error_message: true });
    expect(feed(p, [synthetic])).toEqual([]);
    const events = feed(p, [result({ is_error: true, api_error_status: 500, api_error_type: 'api_error', result: 'API Error: 500 boom' })]);
    expect(events.at(-1)).toEqual({ kind: 'error', reason: 'agent_error', message: 'API Error: 500 boom', fatal: true });
  });

  it('takes the error kind of the synthetic API-error message when the result has no status (no key configured)', () => {
    const p = new ClaudeStreamParser(WS);
    const synthetic = j({ type: 'assistant', message: { id: 'x', model: '<synthetic>', content: [{ type: 'text', text: 'Not logged in' }] }, is_api_error_message: true, error: 'authentication_failed' });
    const events = feed(p, [synthetic, result({ is_error: true, api_error_status: null, result: 'Not logged in · Please run /login' })]);
    expect(events.at(-1)).toEqual({ kind: 'error', reason: 'auth_failed', message: 'Not logged in · Please run /login', fatal: true });
  });

  it('reports a turn limit or execution error as a fatal agent error', () => {
    const p = new ClaudeStreamParser(WS);
    const events = feed(p, [j({ type: 'result', subtype: 'error_max_turns', is_error: true, terminal_reason: 'max_turns' })]);
    expect(events.at(-1)).toEqual({ kind: 'error', reason: 'agent_error', message: 'Claude Code ended the turn with error_max_turns (max_turns)', fatal: true });
  });

  it('calls its hooks for echoed stdin messages and results', () => {
    const seen: string[] = [];
    const p = new ClaudeStreamParser(WS, { hooks: { onUserMessageTaken: () => seen.push('taken'), onResult: () => seen.push('result') } });
    feed(p, [j({ type: 'user', message: { role: 'user', content: 'guide' }, isReplay: true }), result({})]);
    expect(seen).toEqual(['taken', 'result']);
  });

  it('clips long tool input and output', () => {
    const p = new ClaudeStreamParser(WS);
    const [call] = feed(p, [assistant('m', [{ type: 'tool_use', id: 't', name: 'Bash', input: { command: 'x'.repeat(10_000) } }], { input_tokens: 0, output_tokens: 0 })]);
    expect(call?.kind === 'tool_call' && call.input.length).toBeLessThan(4100);
  });
});

describe('claudeErrorReason', () => {
  it.each([
    [429, null, 'rate_limited'],
    [null, 'rate_limit_error', 'rate_limited'],
    [401, null, 'auth_failed'],
    [403, 'permission_error', 'auth_failed'],
    [null, 'authentication_error', 'auth_failed'],
    [500, 'api_error', 'agent_error'],
    [529, 'overloaded_error', 'agent_error'],
    [null, null, 'agent_error'],
  ] as const)('status %s type %s → %s', (status, type, reason) => {
    expect(claudeErrorReason(status, type)).toBe(reason);
  });
});
