import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { CodexStreamParser, type CodexStreamParserOptions } from './codex-stream-parser.js';

const out = (v: unknown) => ({ stream: 'stdout' as const, text: typeof v === 'string' ? v : JSON.stringify(v) });

function parse(lines: unknown[], opts: Partial<CodexStreamParserOptions> = {}): AgentEvent[] {
  const p = new CodexStreamParser({ model: 'gpt-5.5', workspacePath: '/ws', ...opts });
  return [...lines.flatMap((l) => p.line(out(l))), ...p.flush()];
}

const completed = (usage: Record<string, number>) => ({ type: 'turn.completed', usage });

describe('CodexStreamParser', () => {
  it('keeps non-JSON and unknown lines as logs, stderr always as a log', () => {
    const p = new CodexStreamParser({ model: null, workspacePath: '/ws' });
    expect(p.line(out('plain text'))).toEqual([{ kind: 'log', stream: 'stdout', text: 'plain text' }]);
    expect(p.line(out({ type: 'something.new', x: 1 }))).toEqual([{ kind: 'log', stream: 'stdout', text: '{"type":"something.new","x":1}' }]);
    expect(p.line(out(''))).toEqual([]);
    expect(p.line({ stream: 'stderr', text: '{"type":"turn.completed"}' })).toEqual([{ kind: 'log', stream: 'stderr', text: '{"type":"turn.completed"}' }]);
  });

  it('reports a thread once, even when a resumed run announces it again', () => {
    const events = parse([{ type: 'thread.started', thread_id: 'T1' }, { type: 'turn.started' }, { type: 'thread.started', thread_id: 'T1' }, { type: 'thread.started', thread_id: 'T2' }]);
    expect(events).toEqual([
      { kind: 'session', id: 'T1' },
      { kind: 'session', id: 'T2' },
    ]);
  });

  it('tells whether a turn has started (Codex took the prompt into its thread)', () => {
    const p = new CodexStreamParser({ model: null, workspacePath: '/ws' });
    p.line(out({ type: 'thread.started', thread_id: 'T1' }));
    expect(p.turnStarted).toBe(false);
    expect(p.line(out({ type: 'turn.started' }))).toEqual([]);
    expect(p.turnStarted).toBe(true);
  });

  it('reports the usage of the iteration: the thread total less the baseline, priced from the table', () => {
    const baseline = { tokensIn: 1000, tokensOut: 100, cachedTokensIn: 400, reasoningTokens: 10 };
    const events = parse([completed({ input_tokens: 3000, cached_input_tokens: 400, output_tokens: 300, reasoning_output_tokens: 10 })], { baseline });
    expect(events[0]).toEqual({ kind: 'usage', tokensIn: 2000, tokensOut: 200, cachedTokensIn: 0, reasoningTokens: 0, model: 'gpt-5.5', usd: 0.0045, reportedUsd: null, pricedUsd: 0.0045 });
    expect(events[1]).toEqual({ kind: 'done', summary: null });
  });

  it('prices an unknown model at 0 and says so', () => {
    const [usage] = parse([completed({ input_tokens: 10, output_tokens: 5 })], { model: 'local-llama' });
    expect(usage).toMatchObject({ kind: 'usage', tokensIn: 10, tokensOut: 5, usd: 0, pricedUsd: null, reportedUsd: null });
  });

  it('turns a later turn of the same thread into a higher cumulative usage, and done carries the last message', () => {
    const events = parse([
      { type: 'item.completed', item: { id: 'i0', type: 'agent_message', text: 'first' } },
      completed({ input_tokens: 100, output_tokens: 10 }),
      { type: 'item.completed', item: { id: 'i1', type: 'agent_message', text: 'second' } },
      completed({ input_tokens: 250, output_tokens: 30 }),
    ]);
    expect(events.filter((e) => e.kind === 'usage').map((e) => (e.kind === 'usage' ? e.tokensIn : 0))).toEqual([100, 250]);
    expect(events.filter((e) => e.kind === 'done')).toEqual([
      { kind: 'done', summary: 'first' },
      { kind: 'done', summary: 'second' },
    ]);
  });

  it('maps file changes to workspace-relative paths; a path outside the workspace stays absolute', () => {
    const item = {
      id: 'f1',
      type: 'file_change',
      changes: [
        { path: '/ws/src/a.ts', kind: 'update' },
        { path: '/ws/old.txt', kind: 'delete' },
        { path: 'rel.txt', kind: 'add' },
        { path: '/elsewhere/x', kind: { type: 'update', move_path: null } },
      ],
      status: 'completed',
    };
    const events = parse([{ type: 'item.completed', item }]);
    expect(events.filter((e) => e.kind === 'file_change')).toEqual([
      { kind: 'file_change', path: 'src/a.ts', change: 'modified' },
      { kind: 'file_change', path: 'old.txt', change: 'deleted' },
      { kind: 'file_change', path: 'rel.txt', change: 'created' },
      { kind: 'file_change', path: '/elsewhere/x', change: 'modified' },
    ]);
    expect(events[0]).toMatchObject({ kind: 'tool_call', id: 'f1', name: 'apply_patch' });
    expect(events[1]).toMatchObject({ kind: 'tool_result', id: 'f1', ok: true });
  });

  it('reports a failed patch as a failed tool result without file changes', () => {
    const item = { id: 'f1', type: 'file_change', changes: [{ path: '/ws/a', kind: 'add' }], status: 'failed' };
    const events = parse([{ type: 'item.started', item: { ...item, status: 'in_progress' } }, { type: 'item.completed', item }]);
    expect(events.map((e) => e.kind)).toEqual(['tool_call', 'tool_result']);
    expect(events[1]).toMatchObject({ ok: false });
  });

  it('maps MCP tool calls; drops reasoning and todo lists; keeps error items as warnings in the log', () => {
    const events = parse([
      { type: 'item.completed', item: { id: 'm1', type: 'mcp_tool_call', server: 'docs', tool: 'search', arguments: { q: 'x' }, result: { content: [] }, error: null, status: 'completed' } },
      { type: 'item.completed', item: { id: 'r1', type: 'reasoning', text: 'thinking' } },
      { type: 'item.updated', item: { id: 't1', type: 'todo_list', items: [] } },
      { type: 'item.completed', item: { id: 'e1', type: 'error', message: 'Model metadata not found' } },
    ]);
    expect(events).toEqual([
      { kind: 'tool_call', id: 'm1', name: 'mcp:docs/search', input: '{"q":"x"}' },
      { kind: 'tool_result', id: 'm1', ok: true, output: '{"content":[]}' },
      { kind: 'log', stream: 'stdout', text: 'codex warning: Model metadata not found' },
    ]);
  });

  it('truncates long command output', () => {
    const item = { id: 'c1', type: 'command_execution', command: 'cat big', aggregated_output: 'x'.repeat(20_000), exit_code: 0, status: 'completed' };
    const [, result] = parse([{ type: 'item.completed', item }]);
    expect(result).toMatchObject({ kind: 'tool_result', ok: true });
    expect(result?.kind === 'tool_result' && result.output.length).toBeLessThan(8100);
    expect(result?.kind === 'tool_result' && result.output.endsWith('[truncated]')).toBe(true);
  });

  it('merges an error line with the turn.failed that repeats it into one fatal error', () => {
    const msg = 'exceeded retry limit, last status: 429 Too Many Requests, request id: r1';
    expect(parse([{ type: 'error', message: msg }, { type: 'turn.failed', error: { message: msg } }])).toEqual([{ kind: 'error', reason: 'rate_limited', message: msg, fatal: true }]);
  });

  it('keeps an error line that no failure follows as a non-fatal error (reconnects), also at the end of output', () => {
    const events = parse([{ type: 'error', message: 'Reconnecting... 1/2' }, { type: 'turn.started' }, { type: 'error', message: 'unexpected status 401 Unauthorized: bad key' }]);
    expect(events).toEqual([
      { kind: 'error', reason: 'agent_error', message: 'Reconnecting... 1/2', fatal: false },
      { kind: 'error', reason: 'auth_failed', message: 'unexpected status 401 Unauthorized: bad key', fatal: false },
    ]);
    const differing = parse([{ type: 'error', message: 'first' }, { type: 'turn.failed', error: { message: 'unexpected status 403 Forbidden' } }]);
    expect(differing.map((e) => (e.kind === 'error' ? [e.reason, e.fatal] : []))).toEqual([
      ['agent_error', false],
      ['auth_failed', true],
    ]);
  });

  it('passes every event text through redact', () => {
    const redact = (t: string) => t.split('sk-SECRET').join('[redacted]');
    const events = parse(
      [
        'raw sk-SECRET',
        { type: 'item.completed', item: { id: 'c', type: 'command_execution', command: 'echo sk-SECRET', aggregated_output: 'sk-SECRET', exit_code: 0, status: 'completed' } },
        { type: 'turn.failed', error: { message: 'key sk-SECRET rejected' } },
      ],
      { redact },
    );
    expect(JSON.stringify(events)).not.toContain('sk-SECRET');
    expect(events).toHaveLength(4);
  });
});
