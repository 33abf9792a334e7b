import { describe, expect, it } from 'vitest';
import { parseRoute, taskHref } from './router.js';

describe('parseRoute', () => {
  it('maps hashes to views', () => {
    expect(parseRoute('')).toEqual({ name: 'fleet' });
    expect(parseRoute('#/')).toEqual({ name: 'fleet' });
    expect(parseRoute('#/fleet')).toEqual({ name: 'fleet' });
    expect(parseRoute('#/tasks')).toEqual({ name: 'tasks' });
    expect(parseRoute('#/tasks/')).toEqual({ name: 'tasks' });
    expect(parseRoute('#/tasks/task_01ABC')).toEqual({ name: 'task', taskId: 'task_01ABC' });
    expect(parseRoute('#/chat')).toEqual({ name: 'chat' });
    expect(parseRoute('#/audit')).toEqual({ name: 'audit' });
    expect(parseRoute('#/nope')).toEqual({ name: 'not-found', path: '/nope' });
  });

  it('round-trips task ids through the href', () => {
    const id = 'task a/b';
    expect(parseRoute(taskHref(id))).toEqual({ name: 'task', taskId: id });
  });
});
