import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZERO_CODEX_USAGE } from './codex-stream-parser.js';
import { codexThreadUsage, findRollout } from './codex-thread-usage.js';

describe('codexThreadUsage', () => {
  const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const thread = '01a1ff7b-3a6d-7843-9f5e-57f3234eda90';
  const day = join(home, 'sessions', '2026', '11', '21');
  mkdirSync(day, { recursive: true });
  const tokenCount = (input: number, output: number) =>
    JSON.stringify({
      timestamp: '2026-11-21T19:00:28.519Z',
      type: 'event_msg',
      payload: { type: 'token_count', info: { total_token_usage: { input_tokens: input, cached_input_tokens: 10, output_tokens: output, reasoning_output_tokens: 5, total_tokens: input + output } } },
    });
  writeFileSync(
    join(day, `rollout-2026-11-21T19-00-28-${thread}.jsonl`),
    [JSON.stringify({ type: 'session_meta', payload: { id: thread } }), tokenCount(100, 20), 'not json "token_count"', tokenCount(250, 50), JSON.stringify({ type: 'event_msg', payload: { type: 'task_complete' } })].join('\n'),
  );

  it('reads the last recorded total of the thread', () => {
    expect(findRollout(home, thread)).toBe(join(day, `rollout-2026-11-21T19-00-28-${thread}.jsonl`));
    expect(codexThreadUsage(home, thread)).toEqual({ tokensIn: 250, tokensOut: 50, cachedTokensIn: 10, reasoningTokens: 5 });
  });

  it('is zero for an unknown thread or a missing CODEX_HOME', () => {
    expect(codexThreadUsage(home, 'another-thread')).toEqual(ZERO_CODEX_USAGE);
    expect(codexThreadUsage(join(home, 'nope'), thread)).toEqual(ZERO_CODEX_USAGE);
  });
});
