import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { GitWorkspaceSnapshots } from '../../adapters/workspace/git/workspace-snapshots.js';
import type { Principal } from '../../core/auth.js';
import { FakeClock } from '../../core/clock.js';
import { SequentialIds } from '../../core/ids.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Task } from '../../core/task.js';
import { TaskCreateRequest, type TaskCreateRequest as TaskCreateInput } from '../../contract/task-schemas.js';
import { call } from '../../interfaces/api/api-test-client.js';
import { createApiApp } from '../../interfaces/api/create-api-app.js';
import { gitIn, makeGitBlue } from '../../../test/harness/pipeline-fixture.js';
import { TEST_HQ_CONFIG } from './hq-test-harness.js';
import { Hq } from './hq.js';
import { runSchedulingPass } from './scheduler-loop.js';
import { toTaskSpec } from './submit-task.js';
import { NOTHING_TO_PROMOTE, TaskPipeline } from './task-pipeline.js';

interface World {
  root: string;
  repo: string;
  store: SqliteStore;
  hq: Hq;
  tp: TaskPipeline;
  close(): Promise<void>;
}

let w: World | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

async function world(opts: { pipeline?: boolean } = {}): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), 'cortical-task-pipeline-'));
  const repo = join(root, 'repo');
  makeGitBlue(repo);
  const workRoot = join(root, 'work');
  mkdirSync(join(workRoot, 'workspaces'), { recursive: true });
  const store = await SqliteStore.create(join(root, 'store.db'));
  const bus = new MemoryBus();
  const hq = new Hq({
    store,
    bus,
    clock: new FakeClock(),
    ids: new SequentialIds(),
    logger: silentLogger,
    config: TEST_HQ_CONFIG,
    ...(opts.pipeline === false ? {} : { pipeline: { runtime: new ProcessRuntime(), snapshots: new GitWorkspaceSnapshots(workRoot), workRoot, stepTimeoutMs: 120_000 } }),
  });
  const tp = new TaskPipeline(hq.deps, hq.pipeline);
  hq.leases.setTaskSucceededListener(tp);
  w = {
    root,
    repo,
    store,
    hq,
    tp,
    async close() {
      await tp.settled();
      await bus.close();
      await store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return w;
}

let taskNo = 0;
/** A task as HQ stores it from a create request (the pipeline carried into the spec). */
async function createTask(x: World, input: TaskCreateInput): Promise<Task> {
  const parsed = TaskCreateRequest.parse(input);
  taskNo += 1;
  const spec = toTaskSpec(parsed);
  return x.store.createTask({ id: `task-${taskNo}`, spec, nowMs: x.hq.deps.clock.nowMs(), actor: 'test' });
}

/** What the agent leaves behind: the branch cortical/<taskId> with `files` committed on top of main. */
function agentBranch(repo: string, taskId: string, files: Record<string, string>): void {
  gitIn(repo, 'checkout', '-q', '-b', `cortical/${taskId}`, 'main');
  for (const [path, text] of Object.entries(files)) writeFileSync(join(repo, path), text);
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '--allow-empty', '-m', 'cortical: checkpoint after iteration 1');
  gitIn(repo, 'checkout', '-q', 'main');
}

/** Lease the task to a node, start it and complete it as succeeded through the lease API. */
const nodes = new WeakMap<World, Promise<Principal>>();
function nodeOf(x: World): Promise<Principal> {
  let node = nodes.get(x);
  if (node === undefined) {
    node = (async () => {
      const join = await x.hq.auth.createToken({ role: 'node', actor: 'test' });
      const creds = await x.hq.nodes.join({
        joinToken: join.token,
        name: 'node-1',
        capabilities: [],
        slots: 4,
        resources: { cpuCount: 4, loadAvg1: 0.1, memTotalMb: 8192, memFreeMb: 4096 },
        version: 'test',
      });
      return x.hq.auth.authenticate(creds.accessToken);
    })();
    nodes.set(x, node);
  }
  return node;
}

async function succeed(x: World, task: Task): Promise<Task> {
  const node = await nodeOf(x);
  await runSchedulingPass(x.hq.deps);
  const fencingToken = (await x.store.getTask(task.id))!.fencingToken;
  await x.hq.leases.start(node, task.id, { fencingToken, workspacePath: join(x.root, 'ws') });
  return x.hq.leases.complete(node, task.id, { fencingToken, outcome: 'succeeded', reason: 'once_completed', message: null });
}

const refs = (repo: string) => gitIn(repo, 'for-each-ref', '--format=%(refname) %(objectname)');
const otherRefs = (repo: string) =>
  refs(repo)
    .split('\n')
    .filter((l) => !l.startsWith('refs/heads/main '))
    .join('\n');

async function taskEvents(x: World, taskId: string) {
  return (await x.store.readEvents({ afterSeq: 0, limit: 10_000 })).filter((e) => e.taskId === taskId);
}

describe('TaskPipeline', () => {
  it('promotes a succeeded task: the target branch fast-forwards to a commit with the change, other refs untouched', async () => {
    const x = await world();
    const task = await createTask(x, {
      prompt: 'add the feature file',
      repo: { path: x.repo },
      pipeline: { targetBranch: 'main', checks: [{ name: 'feature', command: 'grep -q hello feature.txt' }] },
    });
    agentBranch(x.repo, task.id, { 'feature.txt': 'hello\n' });
    const golden = gitIn(x.repo, 'rev-parse', 'main');
    const before = otherRefs(x.repo);

    const done = await succeed(x, task);
    expect(done.state).toBe('succeeded');
    // The completion was answered before the pipeline ran: Blue has not moved yet.
    expect(gitIn(x.repo, 'rev-parse', 'main')).toBe(golden);
    await x.tp.settled();

    const run = await x.tp.latestRun(task.id);
    expect(run?.error ?? null).toBeNull();
    expect(run?.state).toBe('PROMOTED');
    expect(run?.spec['taskId']).toBe(task.id);
    const main = gitIn(x.repo, 'rev-parse', 'main');
    expect(main).not.toBe(golden);
    expect(run?.evidence['promotedVersion']).toBe(main);
    expect(gitIn(x.repo, 'rev-parse', 'main^')).toBe(golden); // a fast-forward by one commit
    expect(gitIn(x.repo, 'show', 'main:feature.txt')).toBe('hello');
    expect(gitIn(x.repo, 'diff', '--name-only', golden, 'main')).toBe('feature.txt');
    expect(otherRefs(x.repo)).toBe(before);

    const events = await taskEvents(x, task.id);
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['pipeline.started', 'policy.decision', 'pipeline.stage', 'pipeline.promoted']));
    expect(events.filter((e) => e.type.startsWith('pipeline.')).every((e) => e.data['runId'] === run?.id)).toBe(true);
  });

  it('aborts at VERIFY when a check fails: the target branch and every ref stay byte-identical', async () => {
    const x = await world();
    const task = await createTask(x, {
      prompt: 'add a file',
      repo: { path: x.repo },
      pipeline: { targetBranch: 'main', checks: [{ name: 'needs-changelog', command: 'test -s CHANGELOG.md' }] },
    });
    agentBranch(x.repo, task.id, { 'feature.txt': 'hello\n' });
    const head = gitIn(x.repo, 'rev-parse', 'main');
    const all = refs(x.repo);

    await succeed(x, task);
    await x.tp.settled();

    const run = await x.tp.latestRun(task.id);
    expect(run?.state).toBe('ABORTED');
    expect(run?.evidence['failedStage']).toBe('VERIFY');
    expect(run?.error).toContain('verify failed');
    expect(gitIn(x.repo, 'rev-parse', 'main')).toBe(head);
    expect(refs(x.repo)).toBe(all);
    const aborted = (await taskEvents(x, task.id)).find((e) => e.type === 'pipeline.aborted');
    expect(aborted?.data).toMatchObject({ runId: run?.id, stage: 'VERIFY' });
  });

  it('records an empty change as aborted at PLAN with "nothing to promote"', async () => {
    const x = await world();
    const task = await createTask(x, { prompt: 'do nothing', repo: { path: x.repo }, pipeline: { targetBranch: 'main' } });
    agentBranch(x.repo, task.id, {});
    const all = refs(x.repo);
    await succeed(x, task);
    await x.tp.settled();
    const run = await x.tp.latestRun(task.id);
    expect(run).toMatchObject({ state: 'ABORTED', error: NOTHING_TO_PROMOTE, evidence: { failedStage: 'PLAN' } });
    expect(refs(x.repo)).toBe(all);
    const pipelineEvents = (await taskEvents(x, task.id)).filter((e) => e.type.startsWith('pipeline.'));
    expect(pipelineEvents.map((e) => [e.type, e.data['runId']])).toEqual([
      ['pipeline.started', run?.id],
      ['pipeline.stage', run?.id],
      ['pipeline.aborted', run?.id],
    ]);
    expect(pipelineEvents[2]?.data).toMatchObject({ stage: 'PLAN', error: NOTHING_TO_PROMOTE });
  });

  it('aborts at PLAN when the target branch does not exist, and does nothing for tasks without a pipeline or HQs without one', async () => {
    const x = await world();
    const missing = await createTask(x, { prompt: 'x', repo: { path: x.repo }, pipeline: { targetBranch: 'release' } });
    agentBranch(x.repo, missing.id, { 'a.txt': 'a\n' });
    await succeed(x, missing);
    await x.tp.settled();
    expect(await x.tp.latestRun(missing.id)).toMatchObject({ state: 'ABORTED', error: expect.stringContaining('target branch release does not exist') });

    const plain = await createTask(x, { prompt: 'x', repo: { path: x.repo } });
    agentBranch(x.repo, plain.id, { 'b.txt': 'b\n' });
    await succeed(x, plain);
    await x.tp.settled();
    expect(await x.tp.latestRun(plain.id)).toBeNull();

    const none = new TaskPipeline(x.hq.deps, null);
    const t = await createTask(x, { prompt: 'x', repo: { path: x.repo }, pipeline: { targetBranch: 'main' } });
    expect(await none.promote(t)).toBeNull();
  });

  it('carries only the task branch\'s own change onto a target branch that moved on meanwhile', async () => {
    const x = await world();
    const task = await createTask(x, { prompt: 'x', repo: { path: x.repo }, pipeline: { targetBranch: 'main', checks: [{ name: 'both', command: 'test -f feature.txt && test -f other.txt' }] } });
    agentBranch(x.repo, task.id, { 'feature.txt': 'f\n' });
    writeFileSync(join(x.repo, 'other.txt'), 'o\n');
    gitIn(x.repo, 'add', '-A');
    gitIn(x.repo, 'commit', '-q', '-m', 'someone else');
    const golden = gitIn(x.repo, 'rev-parse', 'main');
    await succeed(x, task);
    await x.tp.settled();
    expect(await x.tp.latestRun(task.id)).toMatchObject({ state: 'PROMOTED', evidence: { golden } });
    expect(gitIn(x.repo, 'rev-parse', 'main^')).toBe(golden);
    expect(gitIn(x.repo, 'diff', '--name-only', golden, 'main')).toBe('feature.txt');
  });

  it('the runner sets the task id on its events and aborts at PLAN when Blue is not the expected golden', async () => {
    const x = await world();
    const task = await createTask(x, { prompt: 'x', repo: { path: x.repo }, pipeline: { targetBranch: 'main' } });
    const all = refs(x.repo);
    const run = await x.hq.pipeline!.runner.run({
      plan: { intent: 'x', steps: [{ tool: 'write_file', args: { path: 'x.txt', content: 'x' } }] },
      target: { kind: 'git-branch', repo: x.repo, branch: 'main' },
      verify: { checks: [], policyWords: [] },
      taskId: task.id,
      expectedGolden: '0'.repeat(40),
    });
    expect(run).toMatchObject({ state: 'ABORTED', evidence: { failedStage: 'PLAN' }, error: expect.stringContaining('Blue moved') });
    expect(refs(x.repo)).toBe(all);
    const mine = (await taskEvents(x, task.id)).filter((e) => e.data['runId'] === run.id).map((e) => e.type);
    expect(mine).toEqual(['pipeline.started', 'pipeline.stage', 'pipeline.aborted']);
    expect((await x.tp.latestRun(task.id))?.id).toBe(run.id);
  });

  it('GET /api/v1/tasks/:id/pipeline shows the pipeline and its latest run', async () => {
    const x = await world();
    const app = createApiApp(x.hq);
    const token = (await x.hq.auth.ensureAdminToken())!;
    // the create request carries the pipeline into the stored spec and the task's JSON
    const created = await call(app, 'POST', '/api/v1/tasks', { token, body: { prompt: 'x', agent: 'shell', repo: { path: x.repo }, pipeline: { targetBranch: 'main', checks: [{ name: 'c', command: 'true' }] } } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.spec.pipeline).toEqual({ targetBranch: 'main', checks: [{ name: 'c', command: 'true' }] });
    expect((await x.store.getTask(String(created.body.id)))?.spec.pipeline).toEqual({ targetBranch: 'main', checks: [{ name: 'c', command: 'true' }] });
    const task = await createTask(x, { prompt: 'x', repo: { path: x.repo }, pipeline: { targetBranch: 'main', checks: [{ name: 'c', command: 'true', timeoutMs: 5000 }] } });

    const before = await call(app, 'GET', `/api/v1/tasks/${task.id}/pipeline`, { token });
    expect(before.status, before.text).toBe(200);
    expect(before.body).toEqual({ taskId: task.id, pipeline: { targetBranch: 'main', checks: [{ name: 'c', command: 'true', timeoutMs: 5000 }] }, run: null });

    agentBranch(x.repo, task.id, {});
    await succeed(x, task);
    await x.tp.settled();
    const after = await call(app, 'GET', `/api/v1/tasks/${task.id}/pipeline`, { token });
    expect(after.status).toBe(200);
    expect(after.body.run).toMatchObject({ state: 'ABORTED', error: NOTHING_TO_PROMOTE, spec: { taskId: task.id } });

    expect((await call(app, 'GET', '/api/v1/tasks/nope/pipeline', { token })).status).toBe(404);
    expect((await call(app, 'GET', `/api/v1/tasks/${task.id}/pipeline`)).status).toBe(401);
  });
});
