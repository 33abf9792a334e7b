import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { setToken } from '../../api/client.js';
import { installFetchStub } from '../../test/fetch-stub.js';
import { ChatView } from './chat-view.js';
import { CHAT_STORAGE_KEY, type PlanDto, type PlanResponse } from './chat-model.js';

const plan: PlanDto = {
  title: 'Fix the failing API tests',
  prompt: 'Make npm test pass in the api project',
  agent: 'codex',
  model: 'gpt-5',
  requires: ['codex', 'node'],
  nodeClass: 'any node with codex',
  guardrails: { maxIterations: 10, budgetUsd: 2, budgetTokens: null, timeoutMs: 1_800_000 },
  until: 'npm test',
  checks: ['npm test exits 0'],
  tier: 'T1',
  project: 'api',
  explanation: ['"fix the failing tests" → loop until npm test passes', '"at most $2" → budget $2'],
};

const preview = (allowed: boolean, reason: string | null = null): PlanResponse => ({
  planner: 'rules',
  plan,
  verdict: { allowed, code: allowed ? null : 'TIER_DENIED', reason },
  task: null,
});

function renderChat() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <ChatView />
    </QueryClientProvider>,
  );
}

function ask(text: string, how: 'click' | 'ctrl-enter' = 'click'): void {
  const box = screen.getByLabelText('Request');
  fireEvent.change(box, { target: { value: text } });
  if (how === 'click') fireEvent.click(screen.getByRole('button', { name: 'Send' }));
  else fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true });
}

beforeEach(() => setToken('tok.secret'));
afterEach(() => vi.unstubAllGlobals());

describe('ChatView', () => {
  it('preview allowed → Run this plan → the created task shows inline with a link', async () => {
    let taskState = 'queued';
    const { requests } = installFetchStub({
      'POST /api/v1/plans': (req) => {
        const body = req.body as { request: string; submit?: boolean };
        if (body.submit === true) return { status: 201, body: { ...preview(true), task: { id: 'task_new', state: 'queued' } } };
        return { body: preview(true) };
      },
      'GET /api/v1/tasks/task_new': () => ({
        body: { id: 'task_new', state: taskState, reason: null, usage: { iterations: taskState === 'queued' ? 0 : 2, tokensIn: 10, tokensOut: 5, usd: 0.5 } },
      }),
    });
    renderChat();
    ask('fix the failing tests in api with codex, at most $2', 'ctrl-enter');
    expect(await screen.findByRole('heading', { name: 'Fix the failing API tests' })).toBeTruthy();
    expect(requests[0]!.body).toEqual({ request: 'fix the failing tests in api with codex, at most $2' });
    const log = screen.getByRole('log', { name: 'Conversation' });
    expect(within(log).getByText('fix the failing tests in api with codex, at most $2')).toBeTruthy();
    expect(within(log).getByText('any node with codex')).toBeTruthy();
    expect(within(log).getByText('npm test exits 0')).toBeTruthy();
    expect(within(log).getByText('codex, node')).toBeTruthy();
    expect(within(log).getByText(/at most 10 iterations; at most \$2.00; tokens: no limit; at most 30 min/)).toBeTruthy();
    expect(within(log).getByText('"at most $2" → budget $2')).toBeTruthy();
    expect(within(log).getByText('rules')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByLabelText<HTMLTextAreaElement>('Request').value).toBe('');

    fireEvent.click(screen.getByRole('button', { name: 'Run this plan' }));
    await waitFor(() => expect(requests.some((r) => r.method === 'POST' && (r.body as { submit?: boolean }).submit === true)).toBe(true));
    expect(requests.find((r) => (r.body as { submit?: boolean } | undefined)?.submit === true)!.body).toEqual({
      request: 'fix the failing tests in api with codex, at most $2',
      submit: true,
    });
    const link = await screen.findByRole('link', { name: 'Open task' });
    expect(link.getAttribute('href')).toBe('#/tasks/task_new');
    await waitFor(() => expect(document.querySelector('[data-state]')?.textContent).toBe('queued'));
    expect(screen.queryByRole('button', { name: 'Run this plan' })).toBeNull();
    // the status refreshes on its own
    taskState = 'running';
    await waitFor(() => expect(document.querySelector('[data-state]')?.textContent).toBe('running'), { timeout: 4000 });
    expect(screen.getByText(/2 iterations, \$0\.50/)).toBeTruthy();
    // the conversation is kept for a reload
    expect(sessionStorage.getItem(CHAT_STORAGE_KEY)).toContain('task_new');
  });

  it('a refused preview shows the reason and no run button', async () => {
    installFetchStub({ 'POST /api/v1/plans': () => ({ body: preview(false, 'T3 tasks need an operator') }) });
    renderChat();
    ask('delete the production database');
    expect((await screen.findByRole('alert')).textContent).toBe('Refused: T3 tasks need an operator');
    expect(screen.queryByRole('button', { name: 'Run this plan' })).toBeNull();
  });

  it('403 POLICY_DENIED on submit shows the reason', async () => {
    installFetchStub({
      'POST /api/v1/plans': (req) =>
        (req.body as { submit?: boolean }).submit === true
          ? { status: 403, body: { error: { code: 'POLICY_DENIED', message: 'the project budget is used up', details: {} } } }
          : { body: preview(true) },
    });
    renderChat();
    ask('fix the tests');
    fireEvent.click(await screen.findByRole('button', { name: 'Run this plan' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Refused: the project budget is used up');
    expect(screen.queryByRole('button', { name: 'Run this plan' })).toBeNull();
  });

  it('says clearly when HQ has no planning endpoint (404)', async () => {
    installFetchStub({});
    renderChat();
    ask('anything');
    expect((await screen.findByRole('alert')).textContent).toMatch(/Planning is not available/);
  });

  it('restores the conversation after a reload', async () => {
    installFetchStub({ 'POST /api/v1/plans': () => ({ body: preview(true) }) });
    const first = renderChat();
    ask('fix the tests');
    await screen.findByRole('heading', { name: 'Fix the failing API tests' });
    first.unmount();
    renderChat();
    expect(screen.getByRole('heading', { name: 'Fix the failing API tests' })).toBeTruthy();
    expect(screen.getByText('fix the tests')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Clear conversation' }));
    expect(screen.queryByRole('heading', { name: 'Fix the failing API tests' })).toBeNull();
  });
});
