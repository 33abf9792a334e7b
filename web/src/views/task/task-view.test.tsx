import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { setToken } from '../../api/client.js';
import { installFetchStub, type RecordedRequest } from '../../test/fetch-stub.js';
import { TaskView } from './task-view.js';
import type { EventDto, GuidanceDto, LogLineDto, TaskDto } from './task-types.js';

const ID = 'task_abc';
const E = '\u001b';

function makeTask(over: Partial<TaskDto> = {}): TaskDto {
  return {
    id: ID,
    spec: {
      prompt: 'Fix the flaky login test\nand explain why it failed',
      agent: 'codex',
      mode: 'loop',
      requires: [],
      repo: null,
      until: 'npm test',
      guardrails: { maxIterations: 5, timeoutMs: 600_000, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: 1, stuckAfterIterations: null },
      maxAttempts: 3,
      labels: {},
      project: 'web',
      model: 'gpt-5',
    },
    state: 'running',
    reason: null,
    message: null,
    desired: 'run',
    attempts: 1,
    nodeId: 'node_1',
    usage: { iterations: 2, tokensIn: 3000, tokensOut: 500, usd: 0.25 },
    runtimeMs: 120_000,
    createdAt: 1,
    updatedAt: 2,
    startedAt: 1,
    finishedAt: null,
    ...over,
  };
}

const ev = (seq: number, type: string, data: Record<string, unknown> = {}): EventDto => ({ seq, at: 1_700_000_000_000 + seq * 1000, type, taskId: ID, nodeId: 'node_1', data });

/** History: 1002 events (more than one page of 1000), or 5 (`small`). */
function history(small: boolean): EventDto[] {
  const list: EventDto[] = [ev(1, 'task.created', { actor: 'admin', agent: 'codex' }), ev(2, 'iteration.started', { attempt: 1, iteration: 1, at: 10_000, agent: 'codex', model: 'gpt-5' })];
  for (let s = 3; s <= (small ? 3 : 1000); s++) list.push(ev(s, 'agent.event', { attempt: 1, iteration: 1, type: 'tool_call', name: 'bash', input: `step ${s}` }));
  const u = small ? 4 : 1001;
  list.push(ev(u, 'iteration.usage-reported', { attempt: 1, iteration: 1, tokensIn: 3000, tokensOut: 500, usd: 0.25 }));
  list.push(ev(u + 1, 'iteration.finished', { attempt: 1, iteration: 1, at: 14_000, exitCode: 1, verdict: 'continue', reason: null, untilPassed: false }));
  return list;
}

function sseFrame(e: EventDto): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

interface Harness {
  requests: RecordedRequest[];
  push: (events: EventDto[]) => void;
  task: { current: TaskDto };
  guidance: GuidanceDto[];
  diffCalls: () => number;
  logs: LogLineDto[];
  /** Ends the current event stream (the client reconnects). */
  drop: () => void;
}

function setup(opts: { task?: TaskDto; guideStatus?: number; diff?: 'ok' | 'missing'; bigHistory?: boolean } = {}): Harness {
  const all = history(opts.bigHistory !== true);
  const task = { current: opts.task ?? makeTask() };
  const guidance: GuidanceDto[] = [];
  const enc = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  const queued: string[] = [];
  const logs: LogLineDto[] = [
    { taskId: ID, seq: 1, attempt: 1, iteration: 1, stream: 'stdout', at: 1, text: `${E}[31mFAIL${E}[0m login.test.ts` },
    { taskId: ID, seq: 2, attempt: 1, iteration: 1, stream: 'system', at: 2, text: 'until check exited 1' },
  ];
  const { requests } = installFetchStub({
    [`GET /api/v1/tasks/${ID}/events`]: (req) => {
      const after = Number(new URL(req.path, 'http://x').searchParams.get('after'));
      const items = all.filter((e) => e.seq > after).slice(0, 1000);
      return { body: { items, nextAfter: items.at(-1)?.seq ?? after } };
    },
    [`GET /api/v1/tasks/${ID}/logs`]: (req) => {
      const after = Number(new URL(req.path, 'http://x').searchParams.get('after'));
      const items = logs.filter((l) => l.seq > after);
      return { body: { items, nextAfter: items.at(-1)?.seq ?? after } };
    },
    [`GET /api/v1/tasks/${ID}/guidance`]: () => ({ body: { items: guidance } }),
    [`GET /api/v1/tasks/${ID}/diff`]: () =>
      opts.diff === 'missing'
        ? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such route' } } }
        : { body: { iteration: 1, files: [{ path: 'src/login.ts', status: 'modified', additions: 2, deletions: 1 }], patch: 'diff --git a/src/login.ts b/src/login.ts\n@@ -1 +1,2 @@\n-old\n+new\n+more\n', truncated: false } },
    [`GET /api/v1/tasks/${ID}`]: () => ({ body: task.current }),
    [`POST /api/v1/tasks/${ID}/pause`]: (req) => {
      task.current = { ...task.current, desired: (req.body as { now?: boolean }).now === true ? 'pause_now' : 'pause' };
      return { body: task.current };
    },
    [`POST /api/v1/tasks/${ID}/stop`]: () => {
      task.current = { ...task.current, desired: 'stop' };
      return { body: task.current };
    },
    [`POST /api/v1/tasks/${ID}/resleeve`]: () => ({ body: task.current }),
    [`POST /api/v1/tasks/${ID}/guide`]: (req) => {
      if (opts.guideStatus === 409) return { status: 409, body: { error: { code: 'INVALID_TRANSITION', message: 'cannot guide a task that is failed' } } };
      const g: GuidanceDto = { taskId: ID, seq: guidance.length + 1, text: (req.body as { text: string }).text, createdAt: 5, actor: 'admin', deliveredAt: null, deliveryMode: null };
      guidance.push(g);
      return { status: 201, body: g };
    },
    'GET /api/v1/events': () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            controller = c;
            c.enqueue(enc.encode(': connected\n\n'));
            for (const q of queued.splice(0)) c.enqueue(enc.encode(q));
          },
        }),
        { status: 200, headers: { 'content-type': 'text/event-stream' } },
      ),
  });
  return {
    requests,
    task,
    guidance,
    logs,
    drop: () => {
      controller?.close();
      controller = null;
    },
    push: (events) => {
      const text = events.map(sseFrame).join('');
      if (controller === null) queued.push(text);
      else controller.enqueue(enc.encode(text));
    },
    diffCalls: () => requests.filter((r) => r.path === `/api/v1/tasks/${ID}/diff`).length,
  };
}

function renderView() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <TaskView taskId={ID} />
    </QueryClientProvider>,
  );
}

const seqsShown = (): number[] => [...document.querySelectorAll('[data-seq]')].map((el) => Number(el.getAttribute('data-seq')));

beforeEach(() => setToken('tok.secret'));
afterEach(() => vi.unstubAllGlobals());

describe('TaskView', () => {
  it('loads all history pages, follows the live stream from the last seq, shows each event once', async () => {
    const h = setup({ bigHistory: true });
    renderView();
    expect(await screen.findByRole('heading', { name: 'Fix the flaky login test' })).toBeTruthy();
    await waitFor(() => expect(seqsShown()).toHaveLength(1002), { timeout: 5000 });
    // the live stream starts after the last seq of the history
    await waitFor(() => expect(h.requests.some((r) => r.path.startsWith('/api/v1/events?'))).toBe(true));
    const stream = h.requests.find((r) => r.path.startsWith('/api/v1/events?'))!;
    expect(new URL(stream.path, 'http://x').searchParams.get('after')).toBe('1002');
    expect(new URL(stream.path, 'http://x').searchParams.get('task')).toBe(ID);
    await waitFor(() => expect(screen.getByText('Live')).toBeTruthy());

    // a replayed (already shown) event and new ones, one of them guidance
    h.guidance.push({ taskId: ID, seq: 1, text: 'mock the clock instead of sleeping', createdAt: 1, actor: 'admin', deliveredAt: null });
    const diffBefore = h.diffCalls();
    act(() => h.push([ev(1002, 'iteration.finished', { attempt: 1, iteration: 1 }), ev(1003, 'task.guided', { seq: 1, actor: 'admin', length: 34 }), ev(1004, 'iteration.finished', { attempt: 1, iteration: 2, exitCode: 0, verdict: 'succeed', reason: 'until_passed' })]));
    await waitFor(() => expect(seqsShown()).toHaveLength(1004));
    const shown = seqsShown();
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    // the guidance text appears in the timeline (read from …/guidance after task.guided)
    await waitFor(() => expect(screen.getByText(/mock the clock instead of sleeping/)).toBeTruthy());
    // iteration.finished refetches the diff
    await waitFor(() => expect(h.diffCalls()).toBeGreaterThan(diffBefore));
  }, 20_000);

  it('shows guardrail bars, the iteration table, coloured output and the diff', async () => {
    setup();
    renderView();
    const iterations = await screen.findByRole('progressbar', { name: 'Iterations' });
    expect(iterations.getAttribute('aria-valuenow')).toBe('2');
    expect(iterations.getAttribute('aria-valuemax')).toBe('5');
    expect(screen.getByRole('progressbar', { name: 'Dollars' }).getAttribute('aria-valuemax')).toBe('1');
    expect(screen.getByRole('progressbar', { name: 'Time' }).getAttribute('aria-valuenow')).toBe('120000');
    // no token budget: value without a bar
    expect(screen.queryByRole('progressbar', { name: 'Tokens' })).toBeNull();
    expect(screen.getByText('3.5k (no limit)')).toBeTruthy();

    const table = await screen.findByRole('table', { name: 'Iteration table' });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(2));
    const row = within(table).getAllByRole('row')[1]!;
    expect(row.textContent).toContain('3000');
    expect(row.textContent).toContain('$0.25');
    expect(row.textContent).toContain('4.0 s');

    const output = screen.getByRole('log', { name: 'Task output' });
    await waitFor(() => expect(within(output).getByText('FAIL').className).toBe('ansi-fg-red'));
    expect(output.textContent).toContain('until check exited 1');

    const files = await screen.findByRole('list', { name: 'Changed files' });
    expect(within(files).getByText('src/login.ts')).toBeTruthy();
    const patch = screen.getByRole('region', { name: 'Patch' });
    expect([...patch.querySelectorAll('[data-kind]')].map((el) => el.getAttribute('data-kind'))).toEqual(['header', 'hunk', 'removed', 'added', 'added']);
  });

  it('polls the log after the last seq while the task runs, and stops once it finished', async () => {
    const h = setup();
    renderView();
    const output = await screen.findByRole('log', { name: 'Task output' });
    await waitFor(() => expect(output.textContent).toContain('until check exited 1'));
    h.logs.push({ taskId: ID, seq: 3, attempt: 1, iteration: 2, stream: 'stderr', at: 3, text: 'a new line' });
    await waitFor(() => expect(output.textContent).toContain('a new line'), { timeout: 3000 });
    const logPaths = h.requests.filter((r) => r.path.includes('/logs?')).map((r) => new URL(r.path, 'http://x').searchParams.get('after'));
    expect(logPaths[0]).toBe('0');
    expect(logPaths).toContain('2');
    expect(logPaths.every((a) => a === '0' || a === '2' || a === '3')).toBe(true);
    // the task finishes: one more read, then no more polling
    h.task.current = makeTask({ state: 'succeeded', reason: 'until_passed', finishedAt: 9 });
    act(() => h.push([ev(1000, 'task.succeeded', { reason: 'until_passed', message: null })]));
    await waitFor(() => expect(screen.getByText('succeeded')).toBeTruthy(), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 2500));
    const count = h.requests.filter((r) => r.path.includes('/logs?')).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.requests.filter((r) => r.path.includes('/logs?')).length).toBe(count);
    expect(output.textContent.split('a new line')).toHaveLength(2);
  }, 20_000);

  it('shows Reconnecting… when the stream drops and resumes after the last seq without duplicates', async () => {
    const h = setup();
    renderView();
    await screen.findByText('Live');
    act(() => h.push([ev(6, 'task.paused', { reason: 'paused', message: null })]));
    await waitFor(() => expect(seqsShown()).toEqual([1, 2, 3, 4, 5, 6]));
    act(() => h.drop());
    await screen.findByText('Reconnecting…');
    await screen.findByText('Live', undefined, { timeout: 3000 });
    const streams = h.requests.filter((r) => r.path.startsWith('/api/v1/events?'));
    expect(streams.at(-1)!.headers.get('last-event-id')).toBe('6');
    act(() => h.push([ev(6, 'task.paused', {}), ev(7, 'task.resumed', {})]));
    await waitFor(() => expect(seqsShown()).toEqual([1, 2, 3, 4, 5, 6, 7]));
  });

  it('says "Diff not available" when HQ has no diff endpoint', async () => {
    setup({ diff: 'missing' });
    renderView();
    expect(await screen.findByText('Diff not available.')).toBeTruthy();
  });

  it('controls call the API; Resume is disabled while running; Stop asks first', async () => {
    const h = setup();
    renderView();
    const pause = await screen.findByRole('button', { name: 'Pause' });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Resume' }).disabled).toBe(true);
    fireEvent.click(pause);
    await waitFor(() => expect(h.requests.some((r) => r.method === 'POST' && r.path.endsWith('/pause'))).toBe(true));
    expect(h.requests.find((r) => r.path.endsWith('/pause'))!.body).toEqual({});
    // asked to pause: Resume becomes possible, Pause not
    await waitFor(() => expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Resume' }).disabled).toBe(false));
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Pause' }).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Pause now' }));
    await waitFor(() => expect(h.requests.filter((r) => r.path.endsWith('/pause')).at(-1)!.body).toEqual({ now: true }));

    fireEvent.change(screen.getByLabelText('Guidance'), { target: { value: 'try the smaller fixture' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send guidance' }));
    await waitFor(() => expect(h.requests.find((r) => r.path.endsWith('/guide'))?.body).toEqual({ text: 'try the smaller fixture' }));
    await waitFor(() => expect(screen.getByLabelText<HTMLTextAreaElement>('Guidance').value).toBe(''));

    fireEvent.change(screen.getByLabelText('New agent'), { target: { value: 'claude' } });
    fireEvent.click(screen.getByRole('button', { name: 'Resleeve' }));
    await waitFor(() => expect(h.requests.find((r) => r.path.endsWith('/resleeve'))?.body).toEqual({ agent: 'claude' }));

    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(h.requests.some((r) => r.path.endsWith('/stop'))).toBe(false);
    fireEvent.click(within(screen.getByRole('alertdialog', { name: 'Confirm stop' })).getByRole('button', { name: 'Yes, stop the task' }));
    await waitFor(() => expect(h.requests.some((r) => r.method === 'POST' && r.path.endsWith('/stop'))).toBe(true));
  });

  it('shows API errors inline (role alert)', async () => {
    setup({ guideStatus: 409 });
    renderView();
    fireEvent.change(await screen.findByLabelText('Guidance'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send guidance' }));
    expect((await screen.findByRole('alert')).textContent).toContain('cannot guide a task that is failed');
  });

  it('a terminal task has all controls disabled', async () => {
    setup({ task: makeTask({ state: 'failed', reason: 'max_iterations', message: 'ran 5 iterations', finishedAt: 9 }) });
    renderView();
    await screen.findByRole('button', { name: 'Pause' });
    for (const name of ['Pause', 'Pause now', 'Resume', 'Stop', 'Send guidance', 'Resleeve']) {
      expect(screen.getByRole<HTMLButtonElement>('button', { name }).disabled).toBe(true);
    }
    expect(screen.getByText('(max_iterations)')).toBeTruthy();
  });
});
