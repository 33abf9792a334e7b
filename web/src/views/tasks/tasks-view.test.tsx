import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installFetchStub } from '../../test/fetch-stub.js';
import { renderWithClient } from '../../test/render.js';
import { TasksView } from './tasks-view.js';

function task(id: string, over: Record<string, unknown> = {}) {
  return {
    id,
    spec: { prompt: `do ${id}\nmore`, agent: 'claude', mode: 'once', requires: [], repo: null, until: null, labels: {}, project: 'web', model: null,
      guardrails: { maxIterations: 5, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: null, stuckAfterIterations: null } },
    state: 'running', reason: null, message: null, desired: 'run', attempts: 1, nodeId: 'node_1',
    usage: { iterations: 2, tokensIn: 1, tokensOut: 1, usd: 0.42 }, runtimeMs: 1, createdAt: Date.now() - 60_000, updatedAt: 0, startedAt: 0, finishedAt: null,
    ...over,
  };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('TasksView', () => {
  it('lists tasks with links and sends debounced filters', async () => {
    const api = installFetchStub({
      'GET /api/v1/tasks': (req) => ({ body: { items: req.path.includes('q=') ? [task('task_q')] : [task('task_1'), task('task_2')], nextCursor: null } }),
    });
    renderWithClient(<TasksView />);
    const link = await screen.findByRole('link', { name: 'task_1' });
    expect(link.getAttribute('href')).toBe('#/tasks/task_1');
    const row = link.closest('tr')!;
    for (const text of ['running', 'claude', 'node_1', 'web', '2 / 5', '$0.42', 'do task_1']) expect(row.textContent).toContain(text);

    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'running' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'f' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'fix' } });
    expect(await screen.findByRole('link', { name: 'task_q' }, { timeout: 5000 })).toBeTruthy();
    const listCalls = api.requests.map((r) => r.path);
    expect(listCalls).toContain('/api/v1/tasks?state=running&q=fix&limit=50');
    // Debounced: the half-typed search was never sent.
    expect(listCalls.some((p) => p.includes('q=f&'))).toBe(false);
  });

  it('creates a task and opens it', async () => {
    const api = installFetchStub({
      'GET /api/v1/tasks': () => ({ body: { items: [], nextCursor: null } }),
      'POST /api/v1/tasks': () => ({ status: 201, body: task('task_new') }),
    });
    renderWithClient(<TasksView />);
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'fix the build' } });
    fireEvent.change(screen.getByLabelText('Agent'), { target: { value: 'codex' } });
    fireEvent.change(screen.getByLabelText('Budget (USD)'), { target: { value: '3' } });
    fireEvent.change(screen.getByLabelText('Until check'), { target: { value: 'npm test' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create task' }));
    await waitFor(() => expect(window.location.hash).toBe('#/tasks/task_new'));
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({
      prompt: 'fix the build', agent: 'codex', mode: 'loop', requires: [], repo: null, until: 'npm test', budgetUsd: 3, budgetTokens: null, timeoutMs: null,
    });
  });

  it('shows validation errors: the form own and the API', async () => {
    const api = installFetchStub({
      'GET /api/v1/tasks': () => ({ body: { items: [], nextCursor: null } }),
      'POST /api/v1/tasks': () => ({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED', message: 'invalid request: body.requires.0: capability: lowercase letters', details: { issues: [{ field: 'body.requires.0', code: 'invalid_format', message: 'capability: lowercase letters' }] } } },
      }),
    });
    renderWithClient(<TasksView />);
    fireEvent.click(screen.getByRole('button', { name: 'Create task' }));
    expect(await screen.findByText('Write what the agent should do')).toBeTruthy();
    expect(api.requests.some((r) => r.method === 'POST')).toBe(false);

    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'x' } });
    fireEvent.change(screen.getByLabelText('Requirements'), { target: { value: 'GPU' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create task' }));
    expect((await screen.findByRole('alert')).textContent).toContain('body.requires.0');
    expect(screen.getByLabelText('Requirements').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('capability: lowercase letters')).toBeTruthy();
  });
});
