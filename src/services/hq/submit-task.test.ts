import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { DEFAULT_LOOP_MAX_ITERATIONS, TaskCreateRequest } from '../../contract/task-schemas.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';
import { toTaskSpec, withProjectPipeline } from './submit-task.js';
import { DEFAULT_SANDBOX, DEFAULT_SLEEVE_LIMITS } from '../../core/sandbox.js';

describe('toTaskSpec', () => {
  it.each([
    [{ prompt: 'p' }, 1],
    [{ prompt: 'p', mode: 'loop' as const }, DEFAULT_LOOP_MAX_ITERATIONS],
    [{ prompt: 'p', mode: 'loop' as const, maxIterations: null }, null],
    [{ prompt: 'p', mode: 'loop' as const, maxIterations: 7 }, 7],
    [{ prompt: 'p', maxIterations: null }, null],
  ])('%j → maxIterations %j', (input, expected) => {
    expect(toTaskSpec(TaskCreateRequest.parse(input)).guardrails.maxIterations).toBe(expected);
  });

  it('fills defaults', () => {
    const spec = toTaskSpec(TaskCreateRequest.parse({ prompt: 'echo hi' }));
    expect(spec).toMatchObject({ agent: 'shell', mode: 'once', requires: [], repo: null, priority: 0, maxAttempts: 3 });
  });
});

describe('toTaskSpec sandbox', () => {
  it('defaults to no network and the default limits', () => {
    expect(toTaskSpec(TaskCreateRequest.parse({ prompt: 'p' })).sandbox).toEqual(DEFAULT_SANDBOX);
  });

  it('allow entries imply the allowlist mode; limits and null (unlimited) are kept', () => {
    const spec = toTaskSpec(
      TaskCreateRequest.parse({ prompt: 'p', allow: ['a.test', 'a.test', 'b.test:8443'], memoryMb: 512, maxProcesses: null }),
    );
    expect(spec.sandbox?.network).toEqual({ mode: 'allowlist', allow: ['a.test', 'b.test:8443'] });
    expect(spec.sandbox?.limits).toEqual({ ...DEFAULT_SLEEVE_LIMITS, memoryMb: 512, maxProcesses: null });
  });

  it.each([
    [{ network: 'allowlist' }, /at least one allow entry/],
    [{ network: 'none', allow: ['a.test'] }, /need network 'allowlist'/],
    [{ allow: ['Evil.Test'] }, /allow entry/],
    [{ allow: ['a.test\u0000.b.test'] }, /allow entry/],
    [{ network: 'everything' }, /network/],
    [{ memoryMb: 0 }, /memoryMb/],
  ])('rejects %j', (extra, message) => {
    const r = TaskCreateRequest.safeParse({ prompt: 'p', ...extra });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});

describe('submitTask and controls', () => {
  let h: HqHarness;
  afterEach(async () => {
    await h.close();
  });

  it('creates a queued task, publishes tasks.queued, and controls it', async () => {
    h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
    const seen: string[] = [];
    h.bus.subscribe('tasks.queued', (m) => seen.push(String(m.data['taskId'])));
    const task = await h.submit({ prompt: 'x', labels: { team: 'a' } });
    expect(task).toMatchObject({ state: 'queued', desired: 'run', attempts: 0 });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([task.id]);

    const g = await h.hq.controls.guide(task.id, 'use tabs', 'op');
    expect(g).toMatchObject({ taskId: task.id, seq: 1, text: 'use tabs' });
    expect(await h.hq.tasks.guidance(task.id)).toHaveLength(1);

    const stopped = await h.hq.controls.stop(task.id, 'op');
    expect(stopped.state).toBe('cancelled');
    await expect(h.hq.controls.pause(task.id, { now: true }, 'op')).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    await expect(h.hq.controls.resume('task_missing', 'op')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });

    const events = await h.hq.tasks.events(task.id, { afterSeq: 0, limit: 100 });
    expect(events.map((e) => e.type)).toContain('task.created');

    const status = await h.hq.status.status();
    expect(status.tasks.cancelled).toBe(1);
    expect(status.version).toBe('9.9.9-test');
  });

  it('a project with a pipeline gives its tasks with a repository one (their own wins; no repo, none)', () => {
    const projects = { web: 'main' };
    const base = { prompt: 'x', project: 'web', repo: { path: '/r' } };
    expect(withProjectPipeline(toTaskSpec(TaskCreateRequest.parse({ ...base, until: 'npm test' })), projects).pipeline).toEqual({
      targetBranch: 'main',
      checks: [{ name: 'until', command: 'npm test' }],
    });
    expect(withProjectPipeline(toTaskSpec(TaskCreateRequest.parse(base)), projects).pipeline).toEqual({ targetBranch: 'main', checks: [] });
    const own = TaskCreateRequest.parse({ ...base, pipeline: { targetBranch: 'release' } });
    expect(withProjectPipeline(toTaskSpec(own), projects).pipeline?.targetBranch).toBe('release');
    expect(withProjectPipeline(toTaskSpec(TaskCreateRequest.parse({ prompt: 'x', project: 'web' })), projects).pipeline).toBeUndefined();
    expect(withProjectPipeline(toTaskSpec(TaskCreateRequest.parse({ ...base, project: 'api' })), projects).pipeline).toBeUndefined();
  });
});
