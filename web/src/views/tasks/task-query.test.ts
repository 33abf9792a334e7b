import { describe, expect, it } from 'vitest';
import { apiFieldOf, buildTaskCreate, EMPTY_FORM } from './task-form-model.js';
import { NO_FILTERS, taskListPath } from './task-query.js';

describe('taskListPath', () => {
  it('sends only filled filters, trimmed, plus the page size', () => {
    expect(taskListPath(NO_FILTERS)).toBe('/api/v1/tasks?limit=50');
    expect(taskListPath({ state: 'running', agent: 'claude', node: ' node_1 ', project: 'web', q: '  fix login ' })).toBe(
      '/api/v1/tasks?state=running&agent=claude&node=node_1&project=web&q=fix+login&limit=50',
    );
  });

  it('adds the cursor of the page', () => {
    expect(taskListPath({ ...NO_FILTERS, q: 'a&b=c' }, 'cur/1+2')).toBe('/api/v1/tasks?q=a%26b%3Dc&cursor=cur%2F1%2B2&limit=50');
  });
});

describe('buildTaskCreate', () => {
  it('builds a TaskCreateRequest with the contract field names', () => {
    const { body, errors } = buildTaskCreate({
      ...EMPTY_FORM,
      prompt: ' make the tests pass ',
      agent: 'codex',
      repoPath: '/srv/app',
      requires: 'linux, gpu ,,',
      maxIterations: '10',
      budgetUsd: '2.5',
      budgetTokens: '100000',
      timeoutMinutes: '30',
      until: 'npm test',
      project: 'web',
    });
    expect(errors).toEqual({});
    expect(body).toEqual({
      prompt: 'make the tests pass',
      agent: 'codex',
      mode: 'loop',
      requires: ['linux', 'gpu'],
      repo: { path: '/srv/app', baseRef: null },
      until: 'npm test',
      maxIterations: 10,
      budgetUsd: 2.5,
      budgetTokens: 100_000,
      timeoutMs: 1_800_000,
      project: 'web',
    });
  });

  it('sends a one-shot task when nothing asks for a loop, and leaves optional fields out', () => {
    const { body } = buildTaskCreate({ ...EMPTY_FORM, prompt: 'echo hi' });
    expect(body).toEqual({ prompt: 'echo hi', agent: 'shell', mode: 'once', requires: [], repo: null, until: null, budgetUsd: null, budgetTokens: null, timeoutMs: null });
  });

  it('names every bad field', () => {
    const { errors } = buildTaskCreate({ ...EMPTY_FORM, maxIterations: '0', budgetUsd: 'lots', budgetTokens: '1.5', timeoutMinutes: '-1' });
    expect(Object.keys(errors).sort()).toEqual(['budgetTokens', 'budgetUsd', 'maxIterations', 'prompt', 'timeoutMinutes']);
  });

  it('maps API field paths onto form fields', () => {
    expect(apiFieldOf('body.prompt')).toBe('prompt');
    expect(apiFieldOf('body.repo.path')).toBe('repoPath');
    expect(apiFieldOf('body.requires.0')).toBe('requires');
    expect(apiFieldOf('body.timeoutMs')).toBe('timeoutMinutes');
    expect(apiFieldOf('body.labels')).toBeNull();
  });
});
