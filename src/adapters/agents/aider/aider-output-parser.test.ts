import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { aiderCount, AiderOutputParser } from './aider-output-parser.js';

const WS = '/work/ws';

function feed(p: AiderOutputParser, lines: readonly string[]): AgentEvent[] {
  return lines.flatMap((l) => p.line('stdout', l));
}

const usageOf = (events: readonly AgentEvent[]) => events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage');

describe('AiderOutputParser', () => {
  it('reads Aider token counts (850, 1.2k, 12k, 1.1M)', () => {
    expect(aiderCount('850')).toBe(850);
    expect(aiderCount('1.2k')).toBe(1200);
    expect(aiderCount('12k')).toBe(12000);
    expect(aiderCount('1.1M')).toBe(1_100_000);
    expect(aiderCount('lots')).toBeNull();
  });

  it('keeps every line as a log and adds usage from the Tokens line, cumulative, with the session cost as reported', () => {
    const p = new AiderOutputParser(WS, { model: 'gpt-4.1' });
    const events = feed(p, [
      'Aider v0.86.1',
      'Model: openai/gpt-4.1 with diff edit format',
      'Tokens: 1.2k sent, 300 received. Cost: $0.0048 message, $0.0048 session.',
      'Tokens: 2.5k sent, 600 cache hit, 85 received. Cost: $0.0057 message, $0.01 session.',
    ]);
    expect(events.filter((e) => e.kind === 'log')).toHaveLength(4);
    const usage = usageOf(events);
    expect(usage[0]).toMatchObject({ tokensIn: 1200, tokensOut: 300, cachedTokensIn: 0, usd: 0.0048, reportedUsd: 0.0048, model: 'gpt-4.1' });
    expect(usage[1]).toMatchObject({ tokensIn: 3700, tokensOut: 385, cachedTokensIn: 600, usd: 0.01, reportedUsd: 0.01 });
    expect(usage[1]?.pricedUsd).toBeCloseTo((3100 * 2 + 600 * 0.5 + 385 * 8) / 1e6, 9);
  });

  it('prices from the table when Aider prints no cost', () => {
    const p = new AiderOutputParser(WS, { model: 'gpt-4.1' });
    const [u] = usageOf(feed(p, ['Tokens: 10k sent, 1.0k received.']));
    expect(u).toMatchObject({ tokensIn: 10000, tokensOut: 1000, reportedUsd: null, usd: 0.028 });
  });

  it('turns "Applied edit to FILE" into a file change inside the workspace only', () => {
    const p = new AiderOutputParser(WS, { model: null });
    const events = feed(p, ['Applied edit to src/app.py', `Applied edit to ${WS}/README.md`, 'Applied edit to ../outside.txt']);
    expect(events.filter((e) => e.kind === 'file_change')).toEqual([
      { kind: 'file_change', path: 'src/app.py', change: 'modified' },
      { kind: 'file_change', path: 'README.md', change: 'modified' },
    ]);
  });

  it('reports litellm exception classes as errors with their reasons', () => {
    const p = new AiderOutputParser(WS, { model: null });
    expect(p.sawError).toBe(false);
    const events = feed(p, [
      'litellm.RateLimitError: RateLimitError: OpenAIException - slow down',
      'litellm.AuthenticationError: AuthenticationError: OpenAIException - bad key',
      'litellm.APIConnectionError: APIConnectionError: OpenAIException - refused',
    ]);
    expect(events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.reason : ''))).toEqual(['rate_limited', 'auth_failed', 'agent_error']);
    expect(p.sawError).toBe(true);
  });

  it('does not read errors or usage from ordinary text (the model may write anything)', () => {
    const p = new AiderOutputParser(WS, { model: null });
    const events = feed(p, ['I hit a RateLimitError yesterday', 'The Tokens: field is documented', '']);
    expect(events.map((e) => e.kind)).toEqual(['log', 'log']);
  });
});
