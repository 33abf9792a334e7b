/**
 * Replays Claude Code's recorded stream-json output (test/fixtures/agent-streams/claude/<version>)
 * through the parser: a change of the CLI's format fails here. Recorded against the scripted
 * model server with the driver's own flags.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClaudeStreamParser } from './claude-stream-parser.js';

const ROOT = resolve(import.meta.dirname, '../../../../test/fixtures/agent-streams/claude');

function replay(file: string): { events: unknown[]; taken: number; results: number } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const init = JSON.parse(lines[0]!) as { type: string; subtype: string; cwd: string };
  expect(init).toMatchObject({ type: 'system', subtype: 'init' });
  let taken = 0;
  let results = 0;
  const parser = new ClaudeStreamParser(init.cwd, { hooks: { onUserMessageTaken: () => (taken += 1), onResult: () => (results += 1) } });
  return { events: lines.flatMap((l) => parser.line('stdout', l)), taken, results };
}

const versions = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

describe.each(versions)('claude %s fixtures', (version) => {
  const dir = join(ROOT, version);
  const cases = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));

  it('has the recorded cases', () => {
    expect(cases.sort()).toEqual(['auth-error.jsonl', 'guidance.jsonl', 'rate-limit.jsonl', 'write-file.jsonl']);
  });

  it.each(cases)('%s parses to exactly the expected events', (name) => {
    const expected = JSON.parse(readFileSync(join(dir, name.replace(/\.jsonl$/, '.events.json')), 'utf8')) as unknown[];
    expect(replay(join(dir, name)).events).toEqual(expected);
  });

  it('write-file: the file change is relative to the workspace, usage ends at the CLI-reported cost', () => {
    const { events } = replay(join(dir, 'write-file.jsonl'));
    expect(events).toContainEqual({ kind: 'file_change', path: 'notes/hello.txt', change: 'created' });
    const usage = events.filter((e) => (e as { kind: string }).kind === 'usage').at(-1);
    expect(usage).toMatchObject({ tokensIn: 2700, tokensOut: 320, cachedTokensIn: 200, reportedUsd: 0.01236, pricedUsd: 0.01236 });
  });

  it('guidance: both stdin messages are acknowledged before the one result', () => {
    const { taken, results } = replay(join(dir, 'guidance.jsonl'));
    expect({ taken, results }).toEqual({ taken: 2, results: 1 });
  });

  it('errors come from structured status fields', () => {
    const reasons = (n: string) => replay(join(dir, n)).events.flatMap((e) => ((e as { kind: string }).kind === 'error' ? [(e as { reason: string; fatal: boolean })] : []));
    expect(reasons('rate-limit.jsonl').map((e) => [e.reason, e.fatal])).toEqual([['rate_limited', false], ['rate_limited', true]]);
    expect(reasons('auth-error.jsonl').map((e) => [e.reason, e.fatal])).toEqual([['auth_failed', true]]);
  });
});
