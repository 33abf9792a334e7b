import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { runSchedulingPass } from '../../services/hq/scheduler-loop.js';
import { COMMAND_EXPIRY_MS } from '../../services/hq/workspace-commands.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

const resources = { cpuCount: 4, loadAvg1: 0.5, memTotalMb: 8000, memFreeMb: 4000 };

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

const api = (method: string, path: string, opts: CallOptions = {}) => call(app, method, path, { token: h.adminToken, ...opts });

const snapResult = (id = '20260101T000000000Z-abcdef', label = '') => ({
  snapshotId: id, label, createdAt: 1, commit: 'c0ffee', trackedCommit: null, untrackedBytes: 12, durationMs: 7,
});

/** A task leased to a joined node and started there (running). */
async function runningTask(prompt = 'work', extra: Record<string, unknown> = {}) {
  const node = await h.joinNode({ slots: 4 });
  const created = await api('POST', '/api/v1/tasks', { body: { prompt, ...extra } });
  expect(created.status).toBe(201);
  await runSchedulingPass(h.hq.deps);
  const nodeCall = (method: string, path: string, body?: unknown) => call(app, method, path, { token: node.accessToken, body });
  const id = created.body.id as string;
  const leased = await h.store.getTask(id);
  const fencingToken = leased!.fencingToken;
  expect((await nodeCall('POST', `/api/v1/leases/${id}/start`, { fencingToken, workspacePath: `/w/${id}` })).status).toBe(200);
  const heartbeat = async () => {
    const r = await nodeCall('POST', `/api/v1/nodes/${node.nodeId}/heartbeat`, { resources });
    expect(r.status).toBe(200);
    return r.body as { leases: { id: string; spec: { tier?: string } }[]; commands: { id: string; kind: string; args: Record<string, unknown>; state: string }[] };
  };
  const report = (commandId: string, body: unknown) => nodeCall('POST', `/api/v1/nodes/${node.nodeId}/commands/${commandId}/result`, body);
  return { id, node, fencingToken, nodeCall, heartbeat, report };
}

async function eventTypes(taskId: string): Promise<string[]> {
  const r = await api('GET', `/api/v1/tasks/${taskId}/events?limit=1000`);
  return (r.body.items as { type: string }[]).map((e) => e.type);
}

describe('workspace snapshots through the API', () => {
  it('a task that never ran on a node has no workspace: 409 with a clear message', async () => {
    const t = await api('POST', '/api/v1/tasks', { body: { prompt: 'x' } });
    for (const [method, path] of [
      ['POST', `/api/v1/tasks/${t.body.id}/snapshots`],
      ['GET', `/api/v1/tasks/${t.body.id}/snapshots`],
      ['POST', `/api/v1/tasks/${t.body.id}/snapshots/20260101T000000000Z-abcdef/revert`],
    ] as const) {
      const r = await api(method, path);
      expect(r.status, r.text).toBe(409);
      expect(r.body.error.message).toMatch(/has not started on a node yet/);
    }
    expect((await api('POST', '/api/v1/tasks/task_nope/snapshots')).status).toBe(404);
    expect((await api('GET', '/api/v1/commands/cmd_nope')).status).toBe(404);
    const badId = await api('POST', `/api/v1/tasks/${t.body.id}/snapshots/..%2Fmain/revert`);
    expect(badId.status).toBe(400);
    const badLabel = await api('POST', `/api/v1/tasks/${t.body.id}/snapshots`, { body: { label: 'x'.repeat(201) } });
    expect(badLabel.status).toBe(400);
  });

  it('snapshot: 202 queued → delivered with the heartbeat → the node reports → done, with events', async () => {
    const t = await runningTask();
    const queued = await api('POST', `/api/v1/tasks/${t.id}/snapshots`, { body: { label: 'before refactor' } });
    expect(queued.status, queued.text).toBe(202);
    expect(queued.body).toMatchObject({ taskId: t.id, nodeId: t.node.nodeId, kind: 'snapshot', args: { label: 'before refactor' }, state: 'queued' });
    const hb = await t.heartbeat();
    expect(hb.commands.map((c) => [c.id, c.state])).toEqual([[(queued.body.id as string), 'sent']]);
    expect((await api('GET', `/api/v1/commands/${queued.body.id}`)).body.state).toBe('sent');
    const r = await t.report((queued.body.id as string), { state: 'done', result: snapResult('20260101T000000000Z-abcdef', 'before refactor') });
    expect(r.status, r.text).toBe(200);
    const done = await api('GET', `/api/v1/commands/${queued.body.id}`);
    expect(done.body).toMatchObject({ state: 'done', result: { snapshotId: '20260101T000000000Z-abcdef', durationMs: 7 }, error: null });
    expect((await t.heartbeat()).commands).toEqual([]);
    const types = await eventTypes(t.id);
    expect(types).toContain('workspace.command-queued');
    expect(types).toContain('workspace.snapshotted');
    // a second report changes nothing
    const again = await t.report((queued.body.id as string), { state: 'failed', error: 'late' });
    expect(again.body.state).toBe('done');
    // without a body the label is empty
    const bare = await api('POST', `/api/v1/tasks/${t.id}/snapshots`);
    expect(bare.status).toBe(202);
    expect(bare.body.args).toEqual({ label: '' });
    const list = await api('GET', `/api/v1/tasks/${t.id}/commands?limit=1`);
    expect((list.body.items as { id: string }[]).map((c) => c.id)).toEqual([bare.body.id]);
    expect(list.body.nextCursor).not.toBeNull();
    const next = await api('GET', `/api/v1/tasks/${t.id}/commands?cursor=${list.body.nextCursor}`);
    expect((next.body.items as { id: string }[]).map((c) => c.id)).toEqual([queued.body.id]);
  });

  it('results are checked: own node only, shape by kind, done needs a result', async () => {
    const t = await runningTask();
    const queued = await api('POST', `/api/v1/tasks/${t.id}/snapshots`);
    const other = await h.joinNode({ name: 'other' });
    const asOther = await call(app, 'POST', `/api/v1/nodes/${other.nodeId}/commands/${queued.body.id}/result`, {
      token: other.accessToken, body: { state: 'done', result: snapResult() },
    });
    expect(asOther.status).toBe(403);
    const forOther = await call(app, 'POST', `/api/v1/nodes/${t.node.nodeId}/commands/${queued.body.id}/result`, {
      token: other.accessToken, body: { state: 'done', result: snapResult() },
    });
    expect(forOther.status).toBe(403);
    const asUser = await api('POST', `/api/v1/nodes/${t.node.nodeId}/commands/${queued.body.id}/result`, { body: { state: 'done', result: snapResult() } });
    expect(asUser.status).toBe(403);
    expect((await t.report((queued.body.id as string), { state: 'done' })).status).toBe(400);
    const wrongShape = await t.report((queued.body.id as string), { state: 'done', result: { written: 1 } });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error.message).toMatch(/snapshot/);
    expect((await t.report('cmd_nope', { state: 'failed', error: 'x' })).status).toBe(404);
    const failed = await t.report((queued.body.id as string), { state: 'failed', error: 'disk full' });
    expect(failed.body).toMatchObject({ state: 'failed', error: 'disk full', result: null });
    expect(await eventTypes(t.id)).toContain('workspace.command-failed');
  });

  it('revert is refused while the task may iterate, allowed once it is paused between iterations', async () => {
    const t = await runningTask();
    const snap = '20260101T000000000Z-abcdef';
    const running = await api('POST', `/api/v1/tasks/${t.id}/snapshots/${snap}/revert`);
    expect(running.status).toBe(409);
    expect(running.body.error.message).toMatch(/is running.*cortical tasks pause/);
    await api('POST', `/api/v1/tasks/${t.id}/pause`, { body: { now: true } });
    await t.nodeCall('POST', `/api/v1/leases/${t.id}/progress`, { fencingToken: t.fencingToken, observed: 'paused' });
    const suspended = await api('POST', `/api/v1/tasks/${t.id}/snapshots/${snap}/revert`);
    expect(suspended.status).toBe(409);
    expect(suspended.body.error.message).toMatch(/paused with --now/);
    await api('POST', `/api/v1/tasks/${t.id}/pause`, { body: { now: false } });
    const ok = await api('POST', `/api/v1/tasks/${t.id}/snapshots/${snap}/revert`);
    expect(ok.status, ok.text).toBe(202);
    expect(ok.body).toMatchObject({ kind: 'revert', args: { snapshotId: snap }, state: 'queued' });
    const hb = await t.heartbeat();
    expect(hb.commands.map((c) => c.kind)).toEqual(['revert']);
    const r = await t.report((ok.body.id as string), { state: 'done', result: { snapshotId: snap, written: 3, removed: 2, durationMs: 41 } });
    expect(r.body.result).toEqual({ snapshotId: snap, written: 3, removed: 2, durationMs: 41 });
    const events = await api('GET', `/api/v1/tasks/${t.id}/events?limit=1000`);
    const reverted = (events.body.items as { type: string; data: Record<string, unknown> }[]).find((e) => e.type === 'workspace.reverted');
    expect(reverted?.data).toMatchObject({ commandId: (ok.body.id as string), snapshotId: snap, written: 3, removed: 2, durationMs: 41 });
    // resuming makes it busy again
    await api('POST', `/api/v1/tasks/${t.id}/resume`);
    expect((await api('POST', `/api/v1/tasks/${t.id}/snapshots/${snap}/revert`)).status).toBe(409);
  });

  it('a finished task can be reverted on the node that ran it', async () => {
    const t = await runningTask();
    await t.nodeCall('POST', `/api/v1/leases/${t.id}/complete`, { fencingToken: t.fencingToken, outcome: 'succeeded', reason: 'once_completed' });
    const ok = await api('POST', `/api/v1/tasks/${t.id}/snapshots/20260101T000000000Z-abcdef/revert`);
    expect(ok.status, ok.text).toBe(202);
    expect(ok.body.nodeId).toBe(t.node.nodeId);
  });

  it('listing reuses a pending list command; the result carries the snapshots', async () => {
    const t = await runningTask();
    const a = await api('GET', `/api/v1/tasks/${t.id}/snapshots`);
    const b = await api('GET', `/api/v1/tasks/${t.id}/snapshots`);
    expect(a.status).toBe(202);
    expect((b.body.id as string)).toBe((a.body.id as string));
    await t.heartbeat();
    const info = { id: 's1', createdAt: 5, label: 'x', commit: 'c', trackedCommit: null, untrackedBytes: 0 };
    expect((await t.report((a.body.id as string), { state: 'done', result: { snapshots: [info], durationMs: 3 } })).status).toBe(200);
    expect((await api('GET', `/api/v1/commands/${a.body.id}`)).body.result.snapshots).toEqual([info]);
    const c = await api('GET', `/api/v1/tasks/${t.id}/snapshots`);
    expect((c.body.id as string)).not.toBe((a.body.id as string));
    expect(await eventTypes(t.id)).not.toContain('workspace.snapshotted');
  });

  it('a command nobody answers fails after the expiry when polled', async () => {
    const t = await runningTask();
    const queued = await api('POST', `/api/v1/tasks/${t.id}/snapshots`);
    h.clock.advance(COMMAND_EXPIRY_MS + 1);
    const polled = await api('GET', `/api/v1/commands/${queued.body.id}`);
    expect(polled.body.state).toBe('failed');
    expect(polled.body.error).toMatch(/did not report a result/);
  });

  it('tier: stored in the spec and sent to the node with the lease', async () => {
    const t = await runningTask('risky', { tier: 'T2' });
    expect((await api('GET', `/api/v1/tasks/${t.id}`)).body.spec.tier).toBe('T2');
    expect((await t.heartbeat()).leases.find((l) => l.id === t.id)?.spec.tier).toBe('T2');
    expect((await api('POST', '/api/v1/tasks', { body: { prompt: 'x', tier: 'T9' } })).status).toBe(400);
  });

  it('a snapshot reported before an iteration becomes workspace.snapshotted', async () => {
    const t = await runningTask();
    const data = { ...snapResult('20260101T000000000Z-000001', 'before iteration 1'), auto: true };
    const r = await t.nodeCall('POST', `/api/v1/leases/${t.id}/progress`, {
      fencingToken: t.fencingToken,
      iterations: [{ iteration: 1, kind: 'snapshot', at: 1, data }],
    });
    expect(r.status, r.text).toBe(200);
    const events = await api('GET', `/api/v1/tasks/${t.id}/events?limit=1000`);
    const e = (events.body.items as { type: string; data: Record<string, unknown> }[]).find((x) => x.type === 'workspace.snapshotted');
    expect(e?.data).toMatchObject({ label: 'before iteration 1', iteration: 1, auto: true });
  });
});
