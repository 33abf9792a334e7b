/**
 * Recorded OpenCode 1.18.33 output (real CLI in a bubblewrap sleeve against the scripted model
 * server) replayed through the parser: a change of the CLI's format fails here. Each
 * `<case>.events.json` holds the workspace the case ran in, its model and the exact events.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { OpencodeStreamParser } from './opencode-stream-parser.js';

const DIR = resolve(import.meta.dirname, '../../../../test/fixtures/agent-streams/opencode/1.18.33');
const expectedSchema = z.object({ workspacePath: z.string(), model: z.string(), events: z.array(z.record(z.string(), z.unknown())) });

function replay(jsonl: string, workspacePath: string, model: string): AgentEvent[] {
  const parser = new OpencodeStreamParser(workspacePath, { model });
  const lines = jsonl.split('\n').filter((l) => l !== '');
  return [...lines.flatMap((l) => parser.line('stdout', l)), ...parser.endOfOutput()];
}

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.replace(/\.jsonl$/, ''));

describe('opencode 1.18.33 recorded streams', () => {
  it('has the recorded cases', () => {
    expect(cases.sort()).toEqual(['auth-error', 'rate-limit', 'tools-and-edits', 'write-file']);
  });

  for (const name of cases) {
    it(`${name}: the parser gives exactly the expected events`, () => {
      const expected = expectedSchema.parse(JSON.parse(readFileSync(join(DIR, `${name}.events.json`), 'utf8')));
      const events = replay(readFileSync(join(DIR, `${name}.jsonl`), 'utf8'), expected.workspacePath, expected.model);
      expect(events).toEqual(expected.events);
    });
  }

  it('write-file: one session, the write as tool call, result and created file, usage, then done', () => {
    const expected = expectedSchema.parse(JSON.parse(readFileSync(join(DIR, 'write-file.events.json'), 'utf8')));
    const events = replay(readFileSync(join(DIR, 'write-file.jsonl'), 'utf8'), expected.workspacePath, expected.model);
    expect(events.map((e) => e.kind)).toEqual(['session', 'tool_call', 'tool_result', 'file_change', 'usage', 'message', 'usage', 'done']);
    expect(events).toContainEqual({ kind: 'file_change', path: 'hello.txt', change: 'created' });
    const usage = events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage').at(-1);
    expect(usage).toMatchObject({ tokensIn: 2400, tokensOut: 120, reportedUsd: 0 });
    expect(usage?.usd).toBeCloseTo(usage?.pricedUsd ?? -1, 9);
  });

  it('rate-limit and auth-error give fatal errors with their reasons and no done', () => {
    for (const [name, reason] of [
      ['rate-limit', 'rate_limited'],
      ['auth-error', 'auth_failed'],
    ] as const) {
      const events = replay(readFileSync(join(DIR, `${name}.jsonl`), 'utf8'), '/ws', 'gpt-4.1');
      expect(events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? [e.reason, e.fatal] : []))).toEqual([[reason, true]]);
      expect(events.some((e) => e.kind === 'done')).toBe(false);
    }
  });
});
