/**
 * Replays the recorded Codex CLI streams (test/fixtures/agent-streams/codex/<version>/<case>.jsonl:
 * real `codex exec --json` output against the scripted model server, recorded by
 * record-codex-fixtures.ts there, with the workspace path replaced by `/workspace`) through the
 * parser and compares with the committed expected events, so a change of Codex's format fails
 * here. `CODEX_UPDATE_FIXTURES=1` rewrites the expected files (review the diff).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { CodexStreamParser, ZERO_CODEX_USAGE, type CodexTokenCounts } from './codex-stream-parser.js';

const VERSION = '0.169.0';
const DIR = resolve(import.meta.dirname, '../../../../test/fixtures/agent-streams/codex', VERSION);

interface Case {
  readonly name: string;
  readonly model: string;
  /** The case whose last `turn.completed` is this one's baseline (`codex exec resume` of its thread). */
  readonly resumes?: string;
}

const CASES: readonly Case[] = [
  { name: 'write-file', model: 'gpt-5.5' },
  { name: 'resumed', model: 'gpt-5.5', resumes: 'write-file' },
  { name: 'shell-command', model: 'gpt-5.5' },
  { name: 'rate-limited', model: 'gpt-5.5' },
  { name: 'auth-failed', model: 'gpt-5.5' },
  { name: 'server-error', model: 'gpt-5.5' },
  { name: 'unknown-model', model: 'gpt-5' },
];

const linesOf = (name: string): string[] =>
  readFileSync(resolve(DIR, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

/** The thread total in a recorded stream's last `turn.completed`. */
function lastTotal(name: string): CodexTokenCounts {
  let total = ZERO_CODEX_USAGE;
  for (const line of linesOf(name)) {
    const ev = JSON.parse(line) as { type?: string; usage?: Record<string, number> };
    if (ev.type !== 'turn.completed' || ev.usage === undefined) continue;
    total = {
      tokensIn: ev.usage.input_tokens ?? 0,
      tokensOut: ev.usage.output_tokens ?? 0,
      cachedTokensIn: ev.usage.cached_input_tokens ?? 0,
      reasoningTokens: ev.usage.reasoning_output_tokens ?? 0,
    };
  }
  return total;
}

function replay(c: Case): AgentEvent[] {
  const parser = new CodexStreamParser({ model: c.model, workspacePath: '/workspace', baseline: c.resumes === undefined ? ZERO_CODEX_USAGE : lastTotal(c.resumes) });
  const events = linesOf(c.name).flatMap((text) => parser.line({ stream: 'stdout', text }));
  return [...events, ...parser.flush()];
}

describe(`codex ${VERSION} recorded streams`, () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s replays to the expected events', (name, c) => {
    const events = replay(c);
    const expectedFile = resolve(DIR, `${name}.events.json`);
    if (process.env.CODEX_UPDATE_FIXTURES === '1') writeFileSync(expectedFile, `${JSON.stringify(events, null, 2)}\n`);
    expect(events).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
  });

  it('the write-file stream has every kind of success event, in order', () => {
    expect(replay(CASES[0]!).map((e) => e.kind)).toEqual(['session', 'tool_call', 'tool_result', 'file_change', 'message', 'usage', 'done']);
  });
});
