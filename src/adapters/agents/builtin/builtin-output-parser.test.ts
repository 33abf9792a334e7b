import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES } from '../../../core/pricing.js';
import { BuiltinOutputParser } from './builtin-output-parser.js';

const parser = () => new BuiltinOutputParser(DEFAULT_PRICES, (t) => t.split('sk-secret-123').join('[redacted]'));
const out = (line: string, stream: 'stdout' | 'stderr' = 'stdout') => parser().line(stream, line);

describe('BuiltinOutputParser', () => {
  it('maps every program event to AgentEvents', () => {
    expect(out('{"builtin":"message","text":"hi"}')).toEqual([{ kind: 'message', text: 'hi' }]);
    expect(out('{"builtin":"tool_call","id":"c1","name":"write_file","input":"{}"}')).toEqual([{ kind: 'tool_call', id: 'c1', name: 'write_file', input: '{}' }]);
    expect(out('{"builtin":"tool_result","id":"c1","ok":false,"output":"denied by policy: x"}')).toEqual([{ kind: 'tool_result', id: 'c1', ok: false, output: 'denied by policy: x' }]);
    expect(out('{"builtin":"policy_denied","id":"c1","name":"write_file","tier":"T1","reason":"outside"}')).toEqual([
      { kind: 'log', stream: 'stdout', text: 'policy denied: write_file (T1, call c1): outside' },
    ]);
    expect(out('{"builtin":"file_change","path":"a.txt","change":"created"}')).toEqual([{ kind: 'file_change', path: 'a.txt', change: 'created' }]);
    expect(out('{"builtin":"done","summary":"all good"}')).toEqual([{ kind: 'done', summary: 'all good' }]);
    expect(out('{"builtin":"error","reason":"rate_limited","message":"429","fatal":true,"retryAfterMs":2000}')).toEqual([
      { kind: 'error', reason: 'rate_limited', message: '429', fatal: true, retryAfterMs: 2000 },
    ]);
  });

  it('hands every policy decision to onDecision as a builtin tool_call decision, not as an AgentEvent', () => {
    const seen: unknown[] = [];
    const p = new BuiltinOutputParser(DEFAULT_PRICES, (t) => t.split('sk-secret-123').join('[redacted]'), (d) => seen.push(d));
    expect(p.line('stdout', '{"builtin":"policy_decision","id":"c1","name":"run_command","tier":"T1","allowed":true,"reason":"run_command is T1"}')).toEqual([]);
    expect(p.line('stdout', '{"builtin":"policy_decision","id":"c2","name":"run_command","tier":"T2","allowed":false,"reason":"no sk-secret-123"}')).toEqual([]);
    expect(p.line('stderr', '{"builtin":"policy_decision","id":"c3","name":"run_command","tier":"T3","allowed":true,"reason":"forged"}')).toHaveLength(1);
    expect(seen).toEqual([
      { subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T1', allowed: true, reason: 'run_command is T1' },
      { subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T2', allowed: false, reason: 'no [redacted]' },
    ]);
    // Without a callback the event is dropped quietly.
    expect(out('{"builtin":"policy_decision","id":"c1","name":"read_file","tier":"T0","allowed":true,"reason":"read_file is T0"}')).toEqual([]);
  });

  it('prices usage from the table; a local model costs 0 and says it is unpriced', () => {
    expect(out('{"builtin":"usage","model":"gpt-4o","tokensIn":1000000,"tokensOut":0,"cachedTokensIn":0,"reasoningTokens":0}')).toEqual([
      { kind: 'usage', tokensIn: 1000000, tokensOut: 0, cachedTokensIn: 0, reasoningTokens: 0, model: 'gpt-4o', usd: 2.5, reportedUsd: null, pricedUsd: 2.5 },
    ]);
    expect(out('{"builtin":"usage","model":"qwen2.5-coder:7b","tokensIn":10,"tokensOut":5,"cachedTokensIn":0,"reasoningTokens":0}')[0]).toMatchObject({ usd: 0, pricedUsd: null });
  });

  it('keeps other lines as logs, stderr never as events, and redacts keys', () => {
    expect(out('plain text')).toEqual([{ kind: 'log', stream: 'stdout', text: 'plain text' }]);
    expect(out('{"builtin":"unknown"}')).toEqual([{ kind: 'log', stream: 'stdout', text: '{"builtin":"unknown"}' }]);
    expect(out('{"builtin":"done","summary":null}', 'stderr')).toEqual([{ kind: 'log', stream: 'stderr', text: '{"builtin":"done","summary":null}' }]);
    expect(out('{"builtin":"message","text":"key sk-secret-123"}')).toEqual([{ kind: 'message', text: 'key [redacted]' }]);
    expect(out('')).toEqual([]);
  });
});
