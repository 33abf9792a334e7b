import { describe, expect, it } from 'vitest';
import { changesTaskState, mergeEvents, summarizeEvent, type SummaryContext } from './timeline-model.js';
import type { EventDto, GuidanceDto } from './task-types.js';

const ev = (seq: number, type = 'agent.event', data: Record<string, unknown> = {}): EventDto => ({
  seq,
  at: 1_700_000_000_000 + seq,
  type,
  taskId: 'task_1',
  nodeId: 'node_a',
  data,
});
const seqs = (list: readonly EventDto[]): number[] => list.map((e) => e.seq);
const noGuidance: SummaryContext = { guidance: new Map() };

describe('mergeEvents', () => {
  it('appends newer events in order', () => {
    expect(seqs(mergeEvents([ev(1), ev(2)], [ev(3), ev(5)]))).toEqual([1, 2, 3, 5]);
  });

  it('history and live overlap: each seq once', () => {
    const history = [ev(1), ev(2), ev(3), ev(4)];
    const live = [ev(3), ev(4), ev(5)];
    expect(seqs(mergeEvents(history, live))).toEqual([1, 2, 3, 4, 5]);
  });

  it('out-of-order arrival is sorted by seq', () => {
    let list: readonly EventDto[] = [];
    for (const batch of [[ev(7)], [ev(2), ev(9)], [ev(1)], [ev(8), ev(7)], [ev(3)]]) list = mergeEvents(list, batch);
    expect(seqs(list)).toEqual([1, 2, 3, 7, 8, 9]);
  });

  it('duplicates inside one batch are kept once', () => {
    expect(seqs(mergeEvents([], [ev(2), ev(1), ev(2), ev(1)]))).toEqual([1, 2]);
  });

  it('returns the same array when nothing is new', () => {
    const current = [ev(1), ev(2)];
    expect(mergeEvents(current, [ev(2), ev(1)])).toBe(current);
    expect(mergeEvents(current, [])).toBe(current);
  });

  it('a reload (history again + replay from the last seq) yields each event exactly once', () => {
    const all = Array.from({ length: 50 }, (_, i) => ev(i + 1));
    let list: readonly EventDto[] = [];
    // pages of 20, then a live stream resumed after seq 40 that replays 38..50
    list = mergeEvents(list, all.slice(0, 20));
    list = mergeEvents(list, all.slice(20, 40));
    list = mergeEvents(list, all.slice(37));
    expect(seqs(list)).toEqual(all.map((e) => e.seq));
  });
});

describe('summarizeEvent', () => {
  const guidance: GuidanceDto = { taskId: 'task_1', seq: 2, text: 'use the smaller fixture', createdAt: 0, actor: 'admin', deliveredAt: null };
  const ctx: SummaryContext = { guidance: new Map([[2, guidance]]), usage: new Map([['1:3', { tokensIn: 1200, tokensOut: 300, usd: 0.042 }]]) };

  it('iteration started and finished (with the iteration usage, tokens and cost)', () => {
    expect(summarizeEvent(ev(1, 'iteration.started', { attempt: 1, iteration: 3, agent: 'claude', model: 'sonnet', runtime: 'bwrap' }), ctx)).toBe(
      'iteration 3 started (claude/sonnet, bwrap)',
    );
    expect(
      summarizeEvent(ev(2, 'iteration.finished', { attempt: 1, iteration: 3, exitCode: 0, verdict: 'continue', reason: null, untilPassed: false, workspaceChanged: true }), ctx),
    ).toBe('iteration 3 finished: continue; exit 0, until check failed — 1.5k tokens, $0.04');
    expect(summarizeEvent(ev(3, 'iteration.usage-reported', { iteration: 3, tokensIn: 15000, tokensOut: 20, usd: 0.001, model: 'gpt-5' }), ctx)).toBe(
      'iteration 3 used 15k in / 20 out tokens, $0.0010 (gpt-5)',
    );
  });

  it('guidance added shows its text (looked up by guidance seq), or its length while unknown', () => {
    expect(summarizeEvent(ev(4, 'task.guided', { seq: 2, actor: 'admin', length: 23 }), ctx)).toBe('guidance #2 added by admin: “use the smaller fixture”');
    expect(summarizeEvent(ev(4, 'task.guided', { seq: 5, actor: 'admin', length: 9 }), ctx)).toBe('guidance #5 added by admin (9 characters)');
  });

  it('guidance delivered with its mode', () => {
    expect(summarizeEvent(ev(5, 'guidance.delivered', { seq: 2, mode: 'live', count: 1 }), ctx)).toBe(
      'guidance #2 delivered live, into the running iteration: “use the smaller fixture”',
    );
    expect(summarizeEvent(ev(6, 'guidance.delivered', { uptoSeq: 3, count: 2 }), noGuidance)).toBe('2 guidance entries (up to #3) delivered with the next iteration');
  });

  it('paused, resumed, control requests and final states with reasons', () => {
    expect(summarizeEvent(ev(7, 'task.paused', { reason: 'stuck', message: 'no changes in 3 iterations' }), noGuidance)).toBe('paused (stuck): no changes in 3 iterations');
    expect(summarizeEvent(ev(8, 'task.resumed', {}), noGuidance)).toBe('resumed');
    expect(summarizeEvent(ev(9, 'task.control-requested', { desire: 'pause_now', actor: 'admin' }), noGuidance)).toBe('admin asked to pause now');
    expect(summarizeEvent(ev(10, 'task.succeeded', { reason: 'until_passed', message: null }), noGuidance)).toBe('succeeded (until_passed)');
    expect(summarizeEvent(ev(11, 'task.resleeved', { from: { agent: 'codex', model: null }, to: { agent: 'claude', model: 'opus' }, actor: 'admin' }), noGuidance)).toBe(
      'resleeved from codex to claude/opus by admin',
    );
  });

  it('agent events: tool calls, results, file changes, errors', () => {
    expect(summarizeEvent(ev(12, 'agent.event', { type: 'tool_call', name: 'bash', input: '{"cmd":"ls"}' }), noGuidance)).toBe('tool call bash {"cmd":"ls"}');
    expect(summarizeEvent(ev(13, 'agent.event', { type: 'tool_result', ok: false, output: 'boom' }), noGuidance)).toBe('tool result (failed): boom');
    expect(summarizeEvent(ev(14, 'agent.event', { type: 'file_change', path: 'src/a.ts', change: 'modified' }), noGuidance)).toBe('file modified: src/a.ts');
    expect(summarizeEvent(ev(15, 'agent.event', { type: 'error', reason: 'rate_limited', fatal: true, message: 'slow down' }), noGuidance)).toBe(
      'agent failed (rate_limited): slow down',
    );
  });

  it('a task created from the chat names its request', () => {
    expect(summarizeEvent(ev(17, 'plan.submitted', { actor: 'admin', request: 'fix the tests', planner: 'rules' }), noGuidance)).toBe(
      'planned from the request “fix the tests” by admin (rules planner)',
    );
  });

  it('unknown events fall back to type and data', () => {
    expect(summarizeEvent(ev(16, 'something.new', { a: 1 }), noGuidance)).toBe('something.new {"a":1}');
  });

  it('knows which events change the task', () => {
    expect(changesTaskState('task.paused')).toBe(true);
    expect(changesTaskState('iteration.finished')).toBe(true);
    expect(changesTaskState('agent.event')).toBe(false);
  });
});
