import { describe, expect, it } from 'vitest';
import { taskRequirements } from './task-requirements.js';

describe('taskRequirements', () => {
  it("adds the task's agent to what it requires, once", () => {
    expect(taskRequirements(['gpu'], 'codex')).toEqual(['gpu', 'codex']);
    expect(taskRequirements(['codex', 'gpu'], 'codex')).toEqual(['codex', 'gpu']);
    expect(taskRequirements([], 'builtin')).toEqual(['builtin']);
  });

  it('shell and script run on every node: they add nothing', () => {
    expect(taskRequirements([], 'shell')).toEqual([]);
    expect(taskRequirements(['gpu'], 'script')).toEqual(['gpu']);
  });
});
