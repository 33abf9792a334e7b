/**
 * Client commands against a STAND-IN HQ (./testing/stand-in-hq.ts): canned contract-shaped
 * replies, recorded requests. The real HQ is exercised by the end-to-end tests.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './program.js';
import { fakeIo } from './testing/fake-io.js';
import { T0, afterPage, sampleEvent, sampleLog, sampleTask, sseMessage } from './testing/fixtures.js';
import { noRunners, TOKEN, useStandInHq } from './testing/stand-in-cli.js';
import type { StandInHq } from './testing/stand-in-hq.js';

const standIn = useStandInHq();
const cli = standIn.cli;
let hq: StandInHq;
beforeEach(() => {
  hq = standIn.hq();
});

/** Replies with the given tasks in turn, then keeps repeating the last one. */
function sequence<T>(items: T[]): () => { json: T } {
  let i = 0;
  return () => ({ json: items[Math.min(i++, items.length - 1)]! });
}

describe('cortical run', () => {
  it('posts the task from the flags and prints its id', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    const r = await cli(
      'run', '--agent', 'script', '--repo', 'repo', '--base-ref', 'main', '--requires', 'shell,gpu',
      '--until', 'npm test', '--max-iterations', '10', '--timeout', '1h30m', '--iteration-timeout', '90',
      '--budget-tokens', '5000', '--budget-usd', '2.5', '--stuck-after', '3', '--priority', '-5',
      '--max-attempts', '2', '--label', 'team=core', '--label', 'ticket=42', '--', 'fix', 'the', '--tests',
    );
    expect(r).toMatchObject({ code: 0, out: 'tsk_1\n' });
    const [req] = hq.calls('/api/v1/tasks', 'POST');
    expect(req?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({
      prompt: 'fix the --tests',
      agent: 'script',
      mode: 'loop', // implied by --until
      requires: ['shell', 'gpu'],
      repo: { path: '/work/here/repo', baseRef: 'main' },
      until: 'npm test',
      maxIterations: 10,
      timeoutMs: 5_400_000,
      iterationTimeoutMs: 90_000,
      budgetTokens: 5000,
      budgetUsd: 2.5,
      stuckAfterIterations: 3,
      priority: -5,
      maxAttempts: 2,
      labels: { team: 'core', ticket: '42' },
    });
  });

  it('posts the sleeve sandbox flags: network, allowlist and limits', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    const r = await cli(
      'run', '--allow', 'registry.npmjs.org', '--allow', 'api.example.test:8443,*.pkg.test', '--memory', '1.5g',
      '--cpus', '0.5', '--max-procs', '64', '--max-file-size', '100m', '--max-open-files', 'unlimited',
      '--disk-quota', '2g', 'npm ci',
    );
    expect(r.code).toBe(0);
    expect(hq.calls('/api/v1/tasks', 'POST')[0]?.body).toEqual({
      prompt: 'npm ci',
      allow: ['registry.npmjs.org', 'api.example.test:8443', '*.pkg.test'],
      memoryMb: 1536,
      cpuPercent: 50,
      maxProcesses: 64,
      maxFileSizeMb: 100,
      maxOpenFiles: null,
      diskQuotaMb: 2048,
    });
  });

  it("'unlimited' limits are sent as null", async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    const r = await cli('run', '--max-iterations', 'unlimited', '--memory', 'unlimited', 'true');
    expect(r.code).toBe(0);
    expect(hq.calls('/api/v1/tasks', 'POST')[0]?.body).toEqual({ prompt: 'true', maxIterations: null, memoryMb: null });
  });

  it.each([
    [['--memory', 'lots'], /--memory.*512m/],
    [['--cpus', '-1'], /--cpus/],
    [['--network', 'allowlist'], /allow/],
    [['--network', 'open', '--allow', 'x.test'], /allowlist/],
    [['--allow', 'Bad Host'], /allow/],
  ])('rejects bad sandbox flags %j with a usage error', async (flags, message) => {
    const r = await cli('run', ...flags, 'true');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(hq.calls('/api/v1/tasks', 'POST')).toHaveLength(0);
  });

  it('sends only the prompt when no flags are given; --json prints the task', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    const r = await cli('run', '--json', 'echo', 'hello');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(sampleTask());
    expect(hq.calls('/api/v1/tasks')[0]?.body).toEqual({ prompt: 'echo hello' });
  });

  it.each([
    ['succeeded', 'until_passed', 0],
    ['failed', 'agent_failed', 1],
    ['cancelled', 'stopped', 1],
  ] as const)('--wait: %s (%s) → exit %d', async (state, reason, code) => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1', sequence([
      sampleTask({ state: 'queued' }),
      sampleTask({ state: 'running', nodeId: 'nod_1' }),
      sampleTask({ state, reason, message: state === 'failed' ? 'exit code 1' : null, usage: { iterations: 2, tokensIn: 0, tokensOut: 0, usd: 0 }, runtimeMs: 1500 }),
    ]));
    const r = await cli('run', '--wait', 'make');
    expect(r.code).toBe(code);
    expect(r.out).toContain(`task tsk_1 ${state} (${reason})`);
    expect(r.out).toContain('2 iterations in 1.5s');
    if (state === 'failed') expect(r.out).toContain(': exit code 1');
    expect(hq.calls('/api/v1/tasks/tsk_1', 'GET')).toHaveLength(3);
  });

  it('--wait --json prints the final task as one JSON document', async () => {
    const done = sampleTask({ state: 'failed', reason: 'max_iterations' });
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: done });
    const r = await cli('run', '--wait', '--json', 'x');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual(done);
  });

  it('--follow replays history, streams SSE events and log lines until the task ends', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1/events', { json: afterPage([sampleEvent(1, 'task.created')]) });
    hq.on('GET', '/api/v1/events', {
      sse: [
        ': connected\n\n',
        sseMessage(sampleEvent(1, 'task.created')), // already seen: skipped
        sseMessage(sampleEvent(2, 'task.started', { attempt: 1, node: 'nod_1' })),
        sseMessage(sampleEvent(3, 'iteration.finished', { iteration: 0, exitCode: 0 })).slice(0, 20),
        sseMessage(sampleEvent(3, 'iteration.finished', { iteration: 0, exitCode: 0 })).slice(20),
        sseMessage(sampleEvent(4, 'task.succeeded', { reason: 'once_completed' })),
        sseMessage(sampleEvent(5, 'task.failed')), // after the end: never read
      ],
    });
    hq.on('GET', '/api/v1/tasks/tsk_1/logs', (req) => ({
      json: afterPage([sampleLog(1, 'hello\n'), sampleLog(2, 'oops', 'stderr')].filter((l) => l.seq > Number(req.query['after']))),
    }));
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask({ state: 'succeeded', reason: 'once_completed' }) });

    const r = await cli('run', '--follow', 'echo', 'hello');
    expect(r.code).toBe(0);
    const [sse] = hq.calls('/api/v1/events');
    expect(sse?.query).toEqual({ task: 'tsk_1' });
    expect(sse?.headers['last-event-id']).toBe('1');
    expect(sse?.headers['accept']).toBe('text/event-stream');
    expect(sse?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    const out = r.out;
    expect(out).toMatch(/\* task\.created\n/);
    expect(out).toMatch(/\* task\.started attempt=1 node=nod_1\n/);
    expect(out).toMatch(/\* iteration\.finished iteration=0 exitCode=0\n/);
    expect(out).toMatch(/\* task\.succeeded reason=once_completed\n/);
    expect(out).not.toContain('task.failed');
    expect(out).toMatch(/\| hello\n/);
    expect(out).toMatch(/! oops\n/);
    expect(out.match(/hello\n/g)).toHaveLength(1); // each log line printed once
    expect(out).toMatch(/task tsk_1 succeeded \(once_completed\)/);
  });

  it('--follow resumes with Last-Event-ID after the stream drops, and fails with exit 1', async () => {
    let streams = 0;
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1/events', { json: afterPage([]) });
    hq.on('GET', '/api/v1/events', () =>
      ++streams === 1
        ? { sse: [sseMessage(sampleEvent(7, 'task.started'))] }
        : { sse: [sseMessage(sampleEvent(9, 'task.failed', { reason: 'agent_failed' }))] },
    );
    hq.on('GET', '/api/v1/tasks/tsk_1/logs', { json: afterPage([]) });
    hq.on('GET', '/api/v1/tasks/tsk_1', sequence([
      sampleTask({ state: 'running' }),
      sampleTask({ state: 'failed', reason: 'agent_failed' }),
    ]));
    const r = await cli('run', '--follow', 'x');
    expect(r.code).toBe(1);
    const ids = hq.calls('/api/v1/events').map((c) => c.headers['last-event-id']);
    expect(ids).toEqual(['0', '7']);
    expect(r.out).toMatch(/task tsk_1 failed \(agent_failed\)/);
  });

  it('--follow --json prints one JSON object per line', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1/events', { json: afterPage([sampleEvent(1, 'task.succeeded')]) });
    hq.on('GET', '/api/v1/tasks/tsk_1/logs', { json: afterPage([sampleLog(1, 'hi')]) });
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask({ state: 'succeeded', reason: 'once_completed' }) });
    const r = await cli('run', '--follow', '--json', 'x');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toHaveProperty('task');
    expect(lines.some((l) => 'event' in l)).toBe(true);
    expect(lines.some((l) => 'log' in l)).toBe(true);
    expect(lines.at(-1)).toEqual({ task: sampleTask({ state: 'succeeded', reason: 'once_completed' }) });
  });
});

describe('errors', () => {
  it('maps a 404 error body to its message, exit 1', async () => {
    hq.on('GET', '/api/v1/tasks/tsk_nope', { status: 404, json: { error: { code: 'TASK_NOT_FOUND', message: 'task not found: tsk_nope' } } });
    const r = await cli('tasks', 'show', 'tsk_nope');
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: task not found: tsk_nope [TASK_NOT_FOUND]\n');
    expect(r.out).toBe('');
  });

  it('adds a hint for authentication failures', async () => {
    hq.on('GET', '/api/v1/status', { status: 401, json: { error: { code: 'UNAUTHENTICATED', message: 'invalid token' } } });
    const r = await cli('status');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/invalid token \[UNAUTHENTICATED\]\nhint: check --token/);
  });

  it('a non-JSON error status still gives a clear message', async () => {
    hq.on('GET', '/api/v1/status', { status: 502, json: 'bad gateway' });
    const r = await cli('status');
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/HQ answered HTTP 502/) as unknown });
  });

  it('a malformed reply is reported, not crashed on', async () => {
    hq.on('GET', '/api/v1/status', { json: { version: 1 } });
    const r = await cli('status');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unexpected response from HQ for GET \/api\/v1\/status/);
  });

  it('says when HQ cannot be reached', async () => {
    const url = hq.url;
    await hq.stop();
    const io = fakeIo(['tasks', 'ls'], { env: { CORTICAL_HQ: url, CORTICAL_TOKEN: TOKEN } });
    expect(await runCli(io, noRunners)).toBe(1);
    expect(io.errText()).toMatch(new RegExp(`^error: cannot reach HQ at ${url}: .*ECONNREFUSED`));
  });
});

describe('cortical tasks', () => {
  it('ls: filters, a table, cursors with --all, JSON', async () => {
    hq.on('GET', '/api/v1/tasks', (req) =>
      req.query['cursor'] === 'c2'
        ? { json: { items: [sampleTask({ id: 'tsk_2', state: 'failed', reason: 'timeout' })], nextCursor: null } }
        : { json: { items: [sampleTask({ state: 'running', nodeId: 'nod_1' })], nextCursor: 'c2' } },
    );
    const one = await cli('tasks', 'ls', '--state', 'running,failed', '--node', 'nod_1', '--limit', '1');
    expect(one.code).toBe(0);
    expect(hq.requests[0]?.query).toEqual({ state: 'running,failed', node: 'nod_1', limit: '1' });
    expect(one.out).toMatch(/^ID\s+STATE\s+AGENT\s+MODE\s+NODE\s+ITER\s+AGE\s+PROMPT\ntsk_1\s+running\s+shell\s+once\s+nod_1\s+0\/1\s+3s ago\s+echo hello\n$/);
    expect(one.err).toMatch(/more tasks/);

    const all = await cli('tasks', 'ls', '--all', '--json');
    const doc = JSON.parse(all.out) as { items: { id: string }[]; nextCursor: string | null };
    expect(doc.items.map((t) => t.id)).toEqual(['tsk_1', 'tsk_2']);
    expect(doc.nextCursor).toBeNull();
  });

  it('show: fields', async () => {
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask({ spec: { ...sampleTask().spec, labels: { team: 'core' } } }) });
    const r = await cli('tasks', 'show', 'tsk_1');
    expect(r.out).toMatch(/^id:\s+tsk_1$/m);
    expect(r.out).toMatch(/^state:\s+queued$/m);
    expect(r.out).toMatch(/^labels:\s+team=core$/m);
  });

  it('logs: all pages, raw text; --json is an array', async () => {
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1/logs', { json: afterPage([sampleLog(1, 'a'), sampleLog(2, 'b\n')]) });
    expect((await cli('tasks', 'logs', 'tsk_1')).out).toBe('a\nb\n');
    expect(JSON.parse((await cli('tasks', 'logs', 'tsk_1', '--json')).out)).toHaveLength(2);
  });

  it('logs -f: polls new lines until the task ends', async () => {
    let polls = 0;
    hq.on('GET', '/api/v1/tasks/tsk_1', () => ({ json: sampleTask({ state: polls >= 2 ? 'succeeded' : 'running' }) }));
    hq.on('GET', '/api/v1/tasks/tsk_1/logs', (req) => {
      polls++;
      const lines = [sampleLog(1, 'one'), sampleLog(2, 'two')].slice(0, polls);
      return { json: afterPage(lines.filter((l) => l.seq > Number(req.query['after']))) };
    });
    const r = await cli('tasks', 'logs', 'tsk_1', '-f');
    expect(r).toMatchObject({ code: 0, out: 'one\ntwo\n' });
    expect(hq.calls('/api/v1/tasks/tsk_1/logs').map((c) => c.query['after'])).toEqual(['0', '1', '2']);
  });

  it('events: lines and JSON', async () => {
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask() });
    // a bare array is accepted too
    hq.on('GET', '/api/v1/tasks/tsk_1/events', { json: [sampleEvent(1, 'task.created', { prompt: 'echo hi' })] });
    expect((await cli('tasks', 'events', 'tsk_1')).out).toMatch(/\* task\.created prompt="echo hi"\n$/);
    expect(JSON.parse((await cli('tasks', 'events', 'tsk_1', '--json')).out)).toEqual([sampleEvent(1, 'task.created', { prompt: 'echo hi' })]);
  });

  it('pause --now, resume, stop, guide send the right requests', async () => {
    hq.on('POST', '/api/v1/tasks/tsk_1/pause', { json: sampleTask({ state: 'running', desired: 'pause_now' }) });
    hq.on('POST', '/api/v1/tasks/tsk_1/resume', { json: sampleTask({ state: 'paused', desired: 'run' }) });
    hq.on('POST', '/api/v1/tasks/tsk_1/stop', { json: sampleTask({ state: 'running', desired: 'stop' }) });
    hq.on('POST', '/api/v1/tasks/tsk_1/guide', {
      status: 201,
      json: { taskId: 'tsk_1', seq: 2, text: 'use pnpm', createdAt: T0, actor: 'tok_test', deliveredAt: null },
    });
    expect((await cli('tasks', 'pause', 'tsk_1', '--now')).out).toMatch(/immediate pause requested for tsk_1: state running, desired pause_now/);
    expect((await cli('tasks', 'resume', 'tsk_1')).code).toBe(0);
    expect((await cli('tasks', 'stop', 'tsk_1')).out).toMatch(/stop requested/);
    expect((await cli('tasks', 'guide', 'tsk_1', 'use', 'pnpm')).out).toBe('guidance #2 queued for tsk_1\n');
    expect(hq.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/api/v1/tasks/tsk_1/pause', { now: true }],
      ['POST', '/api/v1/tasks/tsk_1/resume', undefined],
      ['POST', '/api/v1/tasks/tsk_1/stop', undefined],
      ['POST', '/api/v1/tasks/tsk_1/guide', { text: 'use pnpm' }],
    ]);
  });
});
