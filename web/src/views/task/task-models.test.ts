import { describe, expect, it } from 'vitest';
import { guardrailBars } from './guardrail-bars.js';
import { iterationRows } from './iteration-model.js';
import { appendLogLines } from './log-buffer.js';
import { diffLines, diffTotals } from './diff-model.js';
import { segmentLines } from './log-view.js';
import { controlAvailability } from './control-rules.js';
import type { EventDto, LogLineDto, TaskDto } from './task-types.js';

const guardrails = { maxIterations: 10, timeoutMs: 60_000, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: 2, stuckAfterIterations: null };

describe('guardrailBars', () => {
  const task: Pick<TaskDto, 'usage' | 'runtimeMs' | 'spec'> = {
    usage: { iterations: 3, tokensIn: 1000, tokensOut: 500, usd: 2.5 },
    runtimeMs: 15_000,
    spec: { prompt: 'p', agent: 'shell', mode: 'loop', requires: [], repo: null, until: null, guardrails, maxAttempts: 3, labels: {} },
  };

  it('computes value, max and fraction per guardrail; unset guardrails have no max', () => {
    const bars = guardrailBars(task);
    expect(bars.map((b) => b.name)).toEqual(['Iterations', 'Tokens', 'Dollars', 'Time']);
    expect(bars[0]).toMatchObject({ value: 3, max: 10, fraction: 0.3, text: '3 / 10', exceeded: false });
    expect(bars[1]).toMatchObject({ value: 1500, max: null, fraction: null, text: '1.5k (no limit)' });
    expect(bars[2]).toMatchObject({ value: 2.5, max: 2, fraction: 1, text: '$2.50 / $2.00', exceeded: true });
    expect(bars[3]).toMatchObject({ value: 15_000, max: 60_000, fraction: 0.25, text: '15 s / 1 min 0 s' });
  });
});

const ev = (seq: number, type: string, data: Record<string, unknown>): EventDto => ({ seq, at: 5000 + seq, type, taskId: 't', nodeId: null, data });

describe('iterationRows', () => {
  it('joins started, usage and finished per attempt and iteration', () => {
    const rows = iterationRows([
      ev(1, 'iteration.started', { attempt: 1, iteration: 1, at: 1000, agent: 'codex', model: 'gpt-5' }),
      ev(2, 'iteration.usage-reported', { attempt: 1, iteration: 1, at: 4000, tokensIn: 100, tokensOut: 20, usd: 0.01 }),
      ev(3, 'iteration.finished', { attempt: 1, iteration: 1, at: 4000, exitCode: 0, verdict: 'continue', reason: null }),
      ev(4, 'iteration.started', { attempt: 1, iteration: 2, at: 4100 }),
      ev(5, 'agent.event', { attempt: 1, iteration: 2, type: 'tool_call' }),
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ iteration: 1, durationMs: 3000, tokensIn: 100, tokensOut: 20, usd: 0.01, outcome: 'continue; exit 0', agent: 'codex', model: 'gpt-5' });
    expect(rows[1]).toMatchObject({ iteration: 2, durationMs: null, outcome: null });
  });
});

const line = (seq: number): LogLineDto => ({ taskId: 't', seq, attempt: 1, iteration: 1, stream: 'stdout', at: seq, text: `line ${seq}` });

describe('appendLogLines', () => {
  it('adds only newer lines, once each, and keeps at most the newest max', () => {
    let buf = appendLogLines([], [line(1), line(2)], 3);
    buf = appendLogLines(buf, [line(2), line(3), line(3), line(4)], 3);
    expect(buf.map((l) => l.seq)).toEqual([2, 3, 4]);
    expect(appendLogLines(buf, [line(4)], 3)).toBe(buf);
  });

  it('caps at 5000 by default', () => {
    const many = Array.from({ length: 6000 }, (_, i) => line(i + 1));
    const buf = appendLogLines([], many);
    expect(buf).toHaveLength(5000);
    expect(buf[0]!.seq).toBe(1001);
  });
});

describe('diffLines', () => {
  it('classifies headers, hunks, added, removed and context lines', () => {
    const patch = [
      'diff --git a/a.txt b/a.txt',
      'index 1..2 100644',
      '--- a/a.txt',
      '+++ b/a.txt',
      '@@ -1,2 +1,2 @@',
      ' keep',
      '-old',
      '+new',
      '\\ No newline at end of file',
      'diff --git a/b.bin b/b.bin',
      'Binary files a/b.bin and b/b.bin differ',
      '',
    ].join('\n');
    expect(diffLines(patch).map((l) => l.kind)).toEqual(['header', 'header', 'header', 'header', 'hunk', 'context', 'removed', 'added', 'note', 'header', 'note']);
    expect(diffLines('')).toEqual([]);
  });

  it('totals additions and deletions', () => {
    expect(diffTotals([{ path: 'a', status: 'added', additions: 3, deletions: 0 }, { path: 'b', status: 'modified', additions: 1, deletions: 2 }])).toEqual({ additions: 4, deletions: 2 });
  });
});

describe('segmentLines (log view)', () => {
  it('a colour left open carries into the next line of the same stream, not into another stream', () => {
    const l = (seq: number, stream: LogLineDto['stream'], text: string): LogLineDto => ({ taskId: 't', seq, attempt: 1, iteration: 1, stream, at: seq, text });
    const segs = segmentLines([l(1, 'stdout', '\u001b[33mwarn:'), l(2, 'stderr', 'other'), l(3, 'stdout', 'still yellow\u001b[0m done')]);
    expect(segs[0]).toEqual([{ text: 'warn:', fg: 'yellow', bg: null, bold: false }]);
    expect(segs[1]).toEqual([{ text: 'other', fg: null, bg: null, bold: false }]);
    expect(segs[2]).toEqual([
      { text: 'still yellow', fg: 'yellow', bg: null, bold: false },
      { text: ' done', fg: null, bg: null, bold: false },
    ]);
  });
});

describe('controlAvailability', () => {
  it('follows the task state and what was already asked', () => {
    expect(controlAvailability({ state: 'running', desired: 'run' })).toEqual({ pause: true, pauseNow: true, resume: false, stop: true, guide: true, resleeve: true });
    expect(controlAvailability({ state: 'running', desired: 'pause' })).toMatchObject({ pause: false, pauseNow: true, resume: true });
    expect(controlAvailability({ state: 'paused', desired: 'pause' })).toMatchObject({ pause: false, pauseNow: false, resume: true, stop: true });
    expect(controlAvailability({ state: 'queued', desired: 'run' })).toMatchObject({ pause: true, pauseNow: false, resume: false, stop: true });
    expect(controlAvailability({ state: 'running', desired: 'stop' })).toEqual({ pause: false, pauseNow: false, resume: false, stop: false, guide: false, resleeve: false });
    for (const state of ['succeeded', 'failed', 'cancelled'] as const) {
      expect(Object.values(controlAvailability({ state, desired: 'run' })).some(Boolean)).toBe(false);
    }
  });
});
