/**
 * Replays the Gemini CLI's recorded stream-json output (test/fixtures/agent-streams/gemini/<version>)
 * through the parser, with the recorded exit: a change of the CLI's format fails here. Recorded
 * against the scripted model server with the driver's own settings and flags (see
 * record-gemini-fixtures.ts); `GEMINI_UPDATE_FIXTURES=1` rewrites the expected events.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { GeminiStreamParser, type ProcessEnd } from './gemini-stream-parser.js';

const ROOT = resolve(import.meta.dirname, '../../../../test/fixtures/agent-streams/gemini');
const UPDATE = process.env.GEMINI_UPDATE_FIXTURES === '1';

function replay(dir: string, name: string): AgentEvent[] {
  const lines = readFileSync(join(dir, `${name}.jsonl`), 'utf8').split('\n').filter((l) => l !== '');
  const end = JSON.parse(readFileSync(join(dir, `${name}.exit.json`), 'utf8')) as ProcessEnd;
  const parser = new GeminiStreamParser({ workspacePath: '/workspace', model: 'gemini-2.5-flash' });
  return [...lines.flatMap((text) => parser.parse({ stream: 'stdout', text })), ...parser.finish(end)];
}

const versions = readdirSync(ROOT).filter((v) => statSync(join(ROOT, v)).isDirectory());

describe.each(versions)('gemini %s fixtures', (version) => {
  const dir = join(ROOT, version);
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.replace(/\.jsonl$/, ''));
  const events = (name: string) => replay(dir, name);
  const errors = (name: string) => events(name).flatMap((e) => (e.kind === 'error' ? [[e.reason, e.fatal]] : []));

  it('has the recorded cases', () => {
    expect(cases.sort()).toEqual(['auth-error', 'rate-limit', 'resumed', 'server-error', 'tools', 'turn-limit', 'write-file']);
  });

  it.each(cases)('%s parses to exactly the expected events', (name) => {
    const file = join(dir, `${name}.events.json`);
    if (UPDATE) writeFileSync(file, `${JSON.stringify(events(name), null, 2)}\n`);
    const expected = JSON.parse(readFileSync(file, 'utf8')) as unknown[];
    expect(events(name)).toEqual(expected);
  });

  it('write-file: session, tool call, file change relative to the workspace, priced usage with reasoning, done', () => {
    const e = events('write-file');
    expect(e[0]).toEqual({ kind: 'session', id: '0b7f5a8e-3c1d-4e2f-9a6b-5d4c3b2a1f00' });
    expect(e).toContainEqual(expect.objectContaining({ kind: 'tool_call', name: 'write_file' }));
    expect(e).toContainEqual({ kind: 'file_change', path: 'notes/hello.txt', change: 'created' });
    const usage = e.find((x) => x.kind === 'usage');
    // Two requests of 1200 in (200 cached) and 300 out (50 of them thoughts), priced as gemini-2.5-flash.
    expect(usage).toMatchObject({ tokensIn: 2400, tokensOut: 600, cachedTokensIn: 400, reasoningTokens: 100, reportedUsd: null, pricedUsd: 0.00213, usd: 0.00213 });
    expect(e.at(-1)).toEqual({ kind: 'done', summary: 'Wrote notes/hello.txt.' });
  });

  it('tools: write_file creates, replace modifies, a failed tool is a failed tool_result', () => {
    const e = events('tools');
    expect(e.filter((x) => x.kind === 'file_change')).toEqual([
      { kind: 'file_change', path: 'a.txt', change: 'created' },
      { kind: 'file_change', path: 'a.txt', change: 'modified' },
    ]);
    expect(e.filter((x) => x.kind === 'tool_result').map((x) => (x.kind === 'tool_result' ? [x.ok, x.output] : []))).toEqual([
      [true, ''],
      [true, ''],
      [false, 'File not found: /workspace/missing.txt'],
    ]);
  });

  it('errors get their reason from structured fields (embedded API error, error type, exit code)', () => {
    expect(errors('rate-limit')).toEqual([['rate_limited', true]]);
    expect(errors('auth-error')).toEqual([['auth_failed', true]]);
    expect(errors('server-error')).toEqual([['agent_error', true]]);
    expect(errors('turn-limit')).toEqual([['agent_error', true]]);
    expect(events('turn-limit').find((x) => x.kind === 'error')).toMatchObject({ message: expect.stringContaining('turn limit') });
    for (const name of ['rate-limit', 'auth-error', 'server-error', 'turn-limit']) expect(events(name).some((x) => x.kind === 'done')).toBe(false);
  });
});
