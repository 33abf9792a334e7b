import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScriptLine } from './script-output-parser.js';

const RECORDINGS = resolve(import.meta.dirname, '../../../../test/fixtures/agents/recordings');
const replay = (file: string) =>
  readFileSync(resolve(RECORDINGS, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((text) => parseScriptLine({ stream: 'stdout', text }));

describe('parseScriptLine', () => {
  it('replays a recorded iteration', () => {
    expect(replay('script-agent-iteration-1.stdout')).toEqual([
      { kind: 'log', stream: 'stdout', text: 'hello world' },
      { kind: 'usage', tokensIn: 100, tokensOut: 20, usd: 0.01 },
      { kind: 'log', stream: 'stdout', text: 'guidance: use tabs' },
      { kind: 'log', stream: 'stdout', text: 'guidance: not spaces' },
      { kind: 'usage', tokensIn: 105, tokensOut: 25, usd: 0.01 },
      { kind: 'done', summary: 'all finished' },
    ]);
  });

  it('replays a recorded failure; unknown or broken event lines stay log lines', () => {
    const events = replay('script-agent-failure.stdout');
    expect(events[0]).toEqual({ kind: 'error', reason: 'agent_error', message: 'cannot reach the database', fatal: true });
    expect(events[1]).toMatchObject({ kind: 'log' });
    expect(events[2]).toMatchObject({ kind: 'log', text: '{"cortical": broken json' });
  });

  it('never reads events from stderr', () => {
    expect(parseScriptLine({ stream: 'stderr', text: '{"cortical":"done"}' })).toEqual({
      kind: 'log',
      stream: 'stderr',
      text: '{"cortical":"done"}',
    });
  });

  it('clamps bad usage numbers to 0', () => {
    expect(parseScriptLine({ stream: 'stdout', text: '{"cortical":"usage","tokensIn":-4,"tokensOut":"x"}' })).toEqual({
      kind: 'usage',
      tokensIn: 0,
      tokensOut: 0,
      usd: 0,
    });
  });
});
