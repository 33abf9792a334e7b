import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES } from '../../../core/pricing.js';
import { GeminiStreamParser } from './gemini-stream-parser.js';
import { GeminiUsageLedger } from './gemini-usage.js';

const WS = '/work/ws-1';
const out = (p: GeminiStreamParser, o: unknown): AgentEvent[] => p.parse({ stream: 'stdout', text: JSON.stringify(o) });
const stats = (input: number, output: number, extra: Record<string, unknown> = {}) => ({
  total_tokens: input + output,
  input_tokens: input,
  output_tokens: output,
  cached: 0,
  input,
  duration_ms: 5,
  tool_calls: 0,
  ...extra,
});

describe('GeminiStreamParser', () => {
  it('drops the prompt echo, turns assistant chunks into messages and the final text into the done summary', () => {
    const p = new GeminiStreamParser({ workspacePath: WS });
    expect(out(p, { type: 'init', session_id: 's-1', model: 'gemini-2.5-pro' })).toEqual([{ kind: 'session', id: 's-1' }]);
    expect(out(p, { type: 'message', role: 'user', content: 'do it' })).toEqual([]);
    expect(out(p, { type: 'message', role: 'assistant', content: 'Looking', delta: true })).toEqual([{ kind: 'message', text: 'Looking' }]);
    out(p, { type: 'tool_use', tool_name: 'glob', tool_id: 't0', parameters: { pattern: '*' } });
    out(p, { type: 'message', role: 'assistant', content: 'All ', delta: true });
    out(p, { type: 'message', role: 'assistant', content: 'done.', delta: true });
    const end = out(p, { type: 'result', status: 'success', stats: stats(1000, 100) });
    expect(end).toEqual([
      { kind: 'usage', tokensIn: 1000, tokensOut: 100, usd: 0.00225, cachedTokensIn: 0, reasoningTokens: 0, model: 'gemini-2.5-pro', reportedUsd: null, pricedUsd: 0.00225 },
      { kind: 'done', summary: 'All done.' },
    ]);
    expect(p.finish({ exitCode: 0, signal: null })).toEqual([]);
  });

  it('reports file changes relative to the workspace for absolute and relative paths, never outside it', () => {
    const p = new GeminiStreamParser({ workspacePath: WS });
    const write = (id: string, name: string, file_path: string) => out(p, { type: 'tool_use', tool_name: name, tool_id: id, parameters: { file_path, content: 'x' } });
    const ok = (id: string) => out(p, { type: 'tool_result', tool_id: id, status: 'success' });
    write('a', 'write_file', `${WS}/src/a.ts`);
    expect(ok('a')).toContainEqual({ kind: 'file_change', path: 'src/a.ts', change: 'created' });
    write('b', 'replace', './src/a.ts');
    expect(ok('b')).toContainEqual({ kind: 'file_change', path: 'src/a.ts', change: 'modified' });
    write('c', 'write_file', 'src/a.ts');
    expect(ok('c')).toContainEqual({ kind: 'file_change', path: 'src/a.ts', change: 'modified' });
    write('d', 'write_file', '/etc/passwd');
    expect(ok('d').map((e) => e.kind)).toEqual(['tool_result']);
    write('e', 'write_file', '../escape.txt');
    expect(ok('e').map((e) => e.kind)).toEqual(['tool_result']);
    write('f', 'write_file', 'failed.txt');
    expect(out(p, { type: 'tool_result', tool_id: 'f', status: 'error', output: 'short', error: { type: 'permission_denied', message: 'EACCES: failed.txt' } })).toEqual([
      { kind: 'tool_result', id: 'f', ok: false, output: 'EACCES: failed.txt' },
    ]);
  });

  it('keeps tool call input as JSON and clips long outputs', () => {
    const p = new GeminiStreamParser({ workspacePath: WS });
    expect(out(p, { type: 'tool_use', tool_name: 'run_shell_command', tool_id: 'r1', parameters: { command: 'ls' } })).toEqual([
      { kind: 'tool_call', id: 'r1', name: 'run_shell_command', input: '{"command":"ls"}' },
    ]);
    const [result] = out(p, { type: 'tool_result', tool_id: 'r1', status: 'success', output: 'y'.repeat(10_000) });
    expect(result).toMatchObject({ kind: 'tool_result', ok: true });
    expect((result as { output: string }).output.length).toBeLessThan(4100);
  });

  it('turns non-JSON stdout and stderr into log lines, warnings into logs and error events into non-fatal errors', () => {
    const p = new GeminiStreamParser({ workspacePath: WS });
    expect(p.parse({ stream: 'stdout', text: 'Loaded cached credentials.' })).toEqual([{ kind: 'log', stream: 'stdout', text: 'Loaded cached credentials.' }]);
    expect(p.parse({ stream: 'stdout', text: '{"type":"mystery"}' })).toEqual([{ kind: 'log', stream: 'stdout', text: '{"type":"mystery"}' }]);
    expect(p.parse({ stream: 'stderr', text: 'YOLO mode is enabled.' })).toEqual([{ kind: 'log', stream: 'stderr', text: 'YOLO mode is enabled.' }]);
    expect(out(p, { type: 'error', severity: 'warning', message: 'Loop detected' })).toEqual([{ kind: 'log', stream: 'stdout', text: 'warning: Loop detected' }]);
    expect(out(p, { type: 'error', severity: 'error', message: 'Maximum session turns exceeded' })).toEqual([
      { kind: 'error', reason: 'agent_error', message: 'Maximum session turns exceeded', fatal: false },
    ]);
  });

  it('gives a failed result its reason once the exit is known: embedded API error, exit code, stderr status', () => {
    const failed = (message: string) => {
      const p = new GeminiStreamParser({ workspacePath: WS });
      expect(out(p, { type: 'result', status: 'error', error: { type: 'unknown', message }, stats: stats(0, 0) })).toEqual([]);
      return p;
    };
    const api403 = '[API Error: {"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}]';
    expect(failed(api403).finish({ exitCode: null, signal: 'SIGSTOP' })).toEqual([{ kind: 'error', reason: 'auth_failed', message: api403, fatal: true }]);
    expect(failed('[API Error: You have exhausted your daily quota on this model.]').finish({ exitCode: 173, signal: null })[0]).toMatchObject({ reason: 'rate_limited' });
    const viaStderr = failed('[API Error: quota]');
    viaStderr.parse({ stream: 'stderr', text: '  status: 429' });
    expect(viaStderr.finish({ exitCode: null, signal: 'SIGCHLD' })[0]).toMatchObject({ reason: 'rate_limited' });
    expect(failed('[API Error: something else]').finish({ exitCode: 1, signal: null })[0]).toMatchObject({ reason: 'agent_error', fatal: true });
  });

  it('reports a turn limit (exit 53) as an agent error that says so, and a process dying without a result with its last stderr line', () => {
    const limited = new GeminiStreamParser({ workspacePath: WS });
    limited.parse({ stream: 'stdout', text: '' });
    expect(limited.finish({ exitCode: 53, signal: null })).toEqual([
      { kind: 'error', reason: 'agent_error', message: 'Gemini CLI reached its session turn limit (exit code 53)', fatal: true },
    ]);
    const died = new GeminiStreamParser({ workspacePath: WS });
    died.parse({ stream: 'stderr', text: 'Error resuming session: Invalid session identifier "x".' });
    died.parse({ stream: 'stderr', text: '  Searched for sessions in /home/.gemini/tmp/ws/chats.' });
    expect(died.finish({ exitCode: 42, signal: null })).toEqual([
      { kind: 'error', reason: 'agent_error', message: 'Gemini CLI exited with code 42: Error resuming session: Invalid session identifier "x".', fatal: true },
    ]);
    const auth = new GeminiStreamParser({ workspacePath: WS });
    expect(auth.finish({ exitCode: 41, signal: null })[0]).toMatchObject({ reason: 'auth_failed' });
    expect(auth.finish({ exitCode: 41, signal: null })).toEqual([]);
  });

  it('reports nothing for a process Cortical stopped (an interrupt for guidance)', () => {
    const p = new GeminiStreamParser({ workspacePath: WS });
    out(p, { type: 'result', status: 'error', error: { type: 'FatalCancellationError', message: 'Operation cancelled.' }, stats: stats(0, 0) });
    expect(p.finish({ exitCode: 130, signal: null, stoppedByCortical: true })).toEqual([]);
  });

  it('keeps usage cumulative across the processes of one iteration, with reasoning and per-model pricing', () => {
    const ledger = new GeminiUsageLedger(DEFAULT_PRICES);
    const first = new GeminiStreamParser({ workspacePath: WS, ledger, model: 'gemini-2.5-flash' });
    const multi = stats(3000, 200, {
      total_tokens: 3250,
      cached: 1000,
      models: {
        'gemini-2.5-flash': { total_tokens: 2250, input_tokens: 2000, output_tokens: 200, cached: 1000 },
        'gemini-2.5-flash-lite': { total_tokens: 1000, input_tokens: 1000, output_tokens: 0, cached: 0 },
      },
    });
    const [u1] = out(first, { type: 'result', status: 'success', stats: multi });
    // flash: 1000 × 0.3 + 1000 × 0.075 + 250 × 2.5 (50 of them thoughts); lite: 1000 × 0.1 — per million.
    expect(u1).toEqual({ kind: 'usage', tokensIn: 3000, tokensOut: 250, usd: 0.0011, cachedTokensIn: 1000, reasoningTokens: 50, model: 'gemini-2.5-flash', reportedUsd: null, pricedUsd: 0.0011 });
    first.finish({ exitCode: 0, signal: null });
    const second = new GeminiStreamParser({ workspacePath: WS, ledger, model: 'gemini-2.5-flash' });
    const [u2] = out(second, { type: 'result', status: 'success', stats: stats(1000, 100, { models: { 'gemini-2.5-flash': stats(1000, 100) } }) });
    expect(u2).toMatchObject({ tokensIn: 4000, tokensOut: 350, cachedTokensIn: 1000, reasoningTokens: 50, usd: 0.00165 });
  });

  it('prices the models the table knows when a side request used an unknown one', () => {
    const p = new GeminiStreamParser({ workspacePath: WS, model: 'gemini-2.5-flash' });
    const models = { 'gemini-2.5-flash': stats(1000, 100), 'gemini-9-flash-preview': stats(200, 10) };
    const [u] = out(p, { type: 'result', status: 'success', stats: stats(1200, 110, { models }) });
    expect(u).toMatchObject({ kind: 'usage', tokensIn: 1200, tokensOut: 110, usd: 0.00055, pricedUsd: 0.00055 });
  });

  it('prices an unknown model at 0 with pricedUsd null', () => {
    const p = new GeminiStreamParser({ workspacePath: WS });
    out(p, { type: 'init', session_id: 's', model: 'my-local-model' });
    const [u] = out(p, { type: 'result', status: 'success', stats: stats(10, 5) });
    expect(u).toMatchObject({ kind: 'usage', usd: 0, pricedUsd: null, reportedUsd: null, model: 'my-local-model' });
  });
});
