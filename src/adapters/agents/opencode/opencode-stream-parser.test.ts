import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { OpencodeStreamParser } from './opencode-stream-parser.js';

const WS = '/work/ws';
const SID = 'ses_test1';

function line(obj: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: 1, sessionID: SID, ...obj });
}

function stepFinish(reason: string, tokens: Record<string, unknown>, cost = 0): string {
  return line({ type: 'step_finish', part: { type: 'step-finish', reason, tokens, cost } });
}

function tool(toolName: string, callID: string, state: Record<string, unknown>): string {
  return line({ type: 'tool_use', part: { type: 'tool', tool: toolName, callID, state } });
}

function feed(parser: OpencodeStreamParser, lines: readonly string[]): AgentEvent[] {
  return lines.flatMap((l) => parser.line('stdout', l));
}

describe('OpencodeStreamParser', () => {
  it('reports the session once and remembers the latest id', () => {
    const p = new OpencodeStreamParser(WS, { model: 'gpt-4.1' });
    expect(p.sessionId).toBeNull();
    const events = feed(p, [line({ type: 'step_start', part: {} }), line({ type: 'text', part: { text: 'hi' } })]);
    expect(events.filter((e) => e.kind === 'session')).toEqual([{ kind: 'session', id: SID }]);
    expect(p.sessionId).toBe(SID);
  });

  it('counts cache reads and writes into tokensIn and reasoning into tokensOut, cumulatively', () => {
    const p = new OpencodeStreamParser(WS, { model: 'gpt-4.1' });
    const events = feed(p, [
      stepFinish('tool-calls', { input: 100, output: 10, reasoning: 0, cache: { read: 0, write: 0 } }),
      stepFinish('stop', { input: 450, output: 15, reasoning: 5, cache: { read: 50, write: 20 } }),
    ]);
    const usage = events.filter((e) => e.kind === 'usage');
    expect(usage).toHaveLength(2);
    expect(usage[1]).toMatchObject({ kind: 'usage', tokensIn: 620, tokensOut: 30, cachedTokensIn: 50, reasoningTokens: 5, model: 'gpt-4.1', reportedUsd: 0 });
  });

  it("uses OpenCode's own cost when it reports one, and prices from the table otherwise", () => {
    const priced = new OpencodeStreamParser(WS, { model: 'gpt-4.1' });
    const [u1] = feed(priced, [stepFinish('stop', { input: 1_000_000, output: 0 })]).filter((e) => e.kind === 'usage');
    expect(u1).toMatchObject({ usd: 2, reportedUsd: 0, pricedUsd: 2 });
    const reported = new OpencodeStreamParser(WS, { model: 'gpt-4.1' });
    const [u2] = feed(reported, [stepFinish('tool-calls', { input: 1_000_000, output: 0 }, 0.5), stepFinish('stop', { input: 0, output: 0 }, 0.25)])
      .filter((e) => e.kind === 'usage')
      .slice(-1);
    expect(u2).toMatchObject({ usd: 0.75, reportedUsd: 0.75, pricedUsd: 2 });
    const unknown = new OpencodeStreamParser(WS, { model: 'my-local-llama' });
    const [u3] = feed(unknown, [stepFinish('stop', { input: 10, output: 10 })]).filter((e) => e.kind === 'usage');
    expect(u3).toMatchObject({ usd: 0, pricedUsd: null });
  });

  it('turns a finished tool call into tool_call, tool_result and file changes relative to the workspace', () => {
    const p = new OpencodeStreamParser(WS, { model: null });
    const events = feed(p, [
      tool('write', 'c1', { status: 'completed', input: { filePath: 'a.txt', content: 'x' }, output: 'Wrote file successfully.', metadata: { filepath: `${WS}/a.txt`, exists: false } }),
      tool('write', 'c2', { status: 'completed', input: { filePath: `${WS}/b.txt`, content: 'x' }, output: 'ok', metadata: { exists: true } }),
      tool('edit', 'c3', { status: 'completed', input: { filePath: 'c.txt' }, output: 'Edit applied successfully.', metadata: { filediff: { file: `${WS}/c.txt` } } }),
      tool('write', 'c4', { status: 'completed', input: { filePath: '/etc/outside', content: 'x' }, output: 'ok', metadata: { filepath: '/etc/outside', exists: false } }),
    ]);
    expect(events.filter((e) => e.kind === 'file_change')).toEqual([
      { kind: 'file_change', path: 'a.txt', change: 'created' },
      { kind: 'file_change', path: 'b.txt', change: 'modified' },
      { kind: 'file_change', path: 'c.txt', change: 'modified' },
    ]);
    expect(events[1]).toEqual({ kind: 'tool_call', id: 'c1', name: 'write', input: '{"filePath":"a.txt","content":"x"}' });
    expect(events[2]).toEqual({ kind: 'tool_result', id: 'c1', ok: true, output: 'Wrote file successfully.' });
  });

  it('maps apply_patch files (add, update, delete, move) to file changes', () => {
    const p = new OpencodeStreamParser(WS, { model: null });
    const files = [
      { filePath: `${WS}/new.ts`, type: 'add' },
      { filePath: `${WS}/old.ts`, type: 'update' },
      { filePath: `${WS}/gone.ts`, type: 'delete' },
      { filePath: `${WS}/from.ts`, movePath: `${WS}/to.ts`, type: 'move' },
    ];
    const events = feed(p, [tool('apply_patch', 'p1', { status: 'completed', input: { patchText: '…' }, output: 'ok', metadata: { files } })]);
    expect(events.filter((e) => e.kind === 'file_change').map((e) => (e.kind === 'file_change' ? `${e.change}:${e.path}` : ''))).toEqual([
      'created:new.ts',
      'modified:old.ts',
      'deleted:gone.ts',
      'deleted:from.ts',
      'created:to.ts',
    ]);
  });

  it('a failed tool call is a failed result with its error and changes no file', () => {
    const p = new OpencodeStreamParser(WS, { model: null });
    const events = feed(p, [tool('edit', 'e1', { status: 'error', input: { filePath: 'x' }, error: 'File not found' })]);
    expect(events).toEqual([
      { kind: 'session', id: SID },
      { kind: 'tool_call', id: 'e1', name: 'edit', input: '{"filePath":"x"}' },
      { kind: 'tool_result', id: 'e1', ok: false, output: 'File not found' },
    ]);
  });

  it('reports a call still running once, and its result when it finishes', () => {
    const p = new OpencodeStreamParser(WS, { model: null });
    const events = feed(p, [tool('bash', 'b1', { status: 'running', input: { command: 'ls' } }), tool('bash', 'b1', { status: 'completed', input: { command: 'ls' }, output: 'a' })]);
    expect(events.filter((e) => e.kind === 'tool_call')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'tool_result')).toEqual([{ kind: 'tool_result', id: 'b1', ok: true, output: 'a' }]);
  });

  it('classifies errors from status codes, error names and error bodies, with retry-after hints', () => {
    const err = (error: Record<string, unknown>) => {
      const p = new OpencodeStreamParser(WS, { model: null });
      return feed(p, [line({ type: 'error', error })]).find((e) => e.kind === 'error');
    };
    expect(err({ name: 'APIError', data: { message: 'slow', statusCode: 429, responseHeaders: { 'retry-after-ms': '1500' } } })).toMatchObject({ reason: 'rate_limited', retryAfterMs: 1500, fatal: true });
    expect(err({ name: 'APIError', data: { message: 'slow', statusCode: 429, responseHeaders: { 'Retry-After': '3' } } })).toMatchObject({ reason: 'rate_limited', retryAfterMs: 3000 });
    expect(err({ name: 'APIError', data: { message: 'no', statusCode: 403 } })).toMatchObject({ reason: 'auth_failed', message: 'APIError: HTTP 403: no' });
    expect(err({ name: 'ProviderAuthError', data: { providerID: 'local', message: 'missing key' } })).toMatchObject({ reason: 'auth_failed' });
    expect(err({ name: 'APIError', data: { message: 'x', responseBody: '{"error":{"type":"rate_limit_exceeded"}}' } })).toMatchObject({ reason: 'rate_limited' });
    expect(err({ name: 'APIError', data: { message: 'x', responseBody: '{"error":{"code":"invalid_api_key"}}' } })).toMatchObject({ reason: 'auth_failed' });
    expect(err({ name: 'APIError', data: { message: 'rate limit auth 401 429 in text only', statusCode: 500 } })).toMatchObject({ reason: 'agent_error' });
    expect(err({ name: 'UnknownError', data: { message: 'boom' } })).toMatchObject({ reason: 'agent_error', message: 'UnknownError: boom' });
  });

  it('says done at the end of output only when the last step ended the turn without an error', () => {
    const ok = new OpencodeStreamParser(WS, { model: null });
    feed(ok, [line({ type: 'text', part: { text: 'Finished.' } }), stepFinish('stop', {})]);
    expect(ok.endOfOutput()).toEqual([{ kind: 'done', summary: 'Finished.' }]);
    expect(ok.endOfOutput()).toEqual([]);

    const cut = new OpencodeStreamParser(WS, { model: null });
    feed(cut, [stepFinish('tool-calls', {}), line({ type: 'step_start', part: {} })]);
    expect(cut.endOfOutput()).toEqual([]);

    const failed = new OpencodeStreamParser(WS, { model: null });
    feed(failed, [stepFinish('stop', {}), line({ type: 'error', error: { name: 'UnknownError', data: { message: 'x' } } })]);
    expect(failed.endOfOutput()).toEqual([]);
  });

  it('keeps stderr and non-JSON lines as logs and drops unknown JSON and blank lines', () => {
    const p = new OpencodeStreamParser(WS, { model: null });
    expect(p.line('stderr', 'some warning')).toEqual([{ kind: 'log', stream: 'stderr', text: 'some warning' }]);
    expect(p.line('stdout', 'not json')).toEqual([{ kind: 'log', stream: 'stdout', text: 'not json' }]);
    expect(p.line('stdout', '{"type":"reasoning","part":{"text":"hmm"}}')).toEqual([]);
    expect(p.line('stdout', '   ')).toEqual([]);
  });

  it('clips very long texts', () => {
    const p = new OpencodeStreamParser(WS, { model: null });
    const [, msg] = feed(p, [line({ type: 'text', part: { text: 'x'.repeat(10_000) } })]);
    expect(msg?.kind === 'message' && msg.text.length < 5000 && msg.text.endsWith('[truncated]')).toBe(true);
  });
});
