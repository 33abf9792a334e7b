import { describe, expect, it } from 'vitest';
import { canTransition, TASK_TRANSITIONS, transition, type TaskTransition } from './task-state-machine.js';
import { TASK_STATES, type TaskState } from './task.js';

/**
 * The expected transition table, written out: one row per (state, transition) pair.
 * `null` = the transition is rejected in that state.
 */
const EXPECTED: readonly (readonly [TaskState, TaskTransition, TaskState | null])[] = [
  ['queued', 'lease', 'leased'],
  ['queued', 'start', null],
  ['queued', 'pause', null],
  ['queued', 'resume', null],
  ['queued', 'succeed', null],
  ['queued', 'fail', null],
  ['queued', 'cancel', 'cancelled'],
  ['queued', 'requeue', null],
  ['leased', 'lease', null],
  ['leased', 'start', 'running'],
  ['leased', 'pause', null],
  ['leased', 'resume', null],
  ['leased', 'succeed', null],
  ['leased', 'fail', 'failed'],
  ['leased', 'cancel', 'cancelled'],
  ['leased', 'requeue', 'queued'],
  ['running', 'lease', null],
  ['running', 'start', null],
  ['running', 'pause', 'paused'],
  ['running', 'resume', null],
  ['running', 'succeed', 'succeeded'],
  ['running', 'fail', 'failed'],
  ['running', 'cancel', 'cancelled'],
  ['running', 'requeue', 'queued'],
  ['paused', 'lease', null],
  ['paused', 'start', null],
  ['paused', 'pause', null],
  ['paused', 'resume', 'running'],
  ['paused', 'succeed', null],
  ['paused', 'fail', 'failed'],
  ['paused', 'cancel', 'cancelled'],
  ['paused', 'requeue', 'queued'],
  ['succeeded', 'lease', null],
  ['succeeded', 'start', null],
  ['succeeded', 'pause', null],
  ['succeeded', 'resume', null],
  ['succeeded', 'succeed', null],
  ['succeeded', 'fail', null],
  ['succeeded', 'cancel', null],
  ['succeeded', 'requeue', null],
  ['failed', 'lease', null],
  ['failed', 'start', null],
  ['failed', 'pause', null],
  ['failed', 'resume', null],
  ['failed', 'succeed', null],
  ['failed', 'fail', null],
  ['failed', 'cancel', null],
  ['failed', 'requeue', null],
  ['cancelled', 'lease', null],
  ['cancelled', 'start', null],
  ['cancelled', 'pause', null],
  ['cancelled', 'resume', null],
  ['cancelled', 'succeed', null],
  ['cancelled', 'fail', null],
  ['cancelled', 'cancel', null],
  ['cancelled', 'requeue', null],
];

describe('task state machine', () => {
  it('the table covers every (state, transition) pair exactly once', () => {
    const seen = new Set(EXPECTED.map(([s, t]) => `${s}/${t}`));
    expect(seen.size).toBe(EXPECTED.length);
    expect(EXPECTED.length).toBe(TASK_STATES.length * TASK_TRANSITIONS.length);
    for (const s of TASK_STATES) for (const t of TASK_TRANSITIONS) expect(seen.has(`${s}/${t}`)).toBe(true);
  });

  it.each(EXPECTED)('%s --%s--> %s', (from, t, to) => {
    const result = transition(from, t);
    if (to === null) {
      expect(result).toEqual({ ok: false, from, transition: t });
      expect(canTransition(from, t)).toBe(false);
    } else {
      expect(result).toEqual({ ok: true, to });
      expect(canTransition(from, t)).toBe(true);
    }
  });
});
