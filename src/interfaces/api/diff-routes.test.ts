import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { runSchedulingPass } from '../../services/hq/scheduler-loop.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

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

const diffOf = (path: string, text: string) => ({
  files: [{ path, status: 'added', additions: 1, deletions: 0 }],
  patch: `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+${text}\n`,
  truncated: false,
});

/** A task leased to a joined node and started there; `finish` reports an iteration's end. */
async function runningTask() {
  const node = await h.joinNode({ slots: 2 });
  const created = await api('POST', '/api/v1/tasks', { body: { prompt: 'work', mode: 'loop' } });
  expect(created.status, created.text).toBe(201);
  await runSchedulingPass(h.hq.deps);
  const id = created.body.id as string;
  const fencingToken = (await h.store.getTask(id))!.fencingToken;
  const nodeCall = (path: string, body: unknown) => call(app, 'POST', path, { token: node.accessToken, body });
  expect((await nodeCall(`/api/v1/leases/${id}/start`, { fencingToken, workspacePath: `/w/${id}` })).status).toBe(200);
  const finish = (iteration: number, data: Record<string, unknown>) =>
    nodeCall(`/api/v1/leases/${id}/progress`, {
      fencingToken,
      iterations: [{ iteration, kind: 'finished', at: iteration, data: { exitCode: 0, workspaceChanged: true, ...data } }],
    });
  return { id, node, finish };
}

describe('GET /api/v1/tasks/{id}/diff', () => {
  it('is empty before any iteration finished, 404 for an unknown task', async () => {
    const t = await api('POST', '/api/v1/tasks', { body: { prompt: 'x' } });
    const r = await api('GET', `/api/v1/tasks/${t.body.id}/diff`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ iteration: null, files: [], patch: '', truncated: false });
    const missing = await api('GET', '/api/v1/tasks/task_nope/diff');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TASK_NOT_FOUND');
  });

  it("answers the newest finished iteration's diff, skipping iterations without one; the event keeps it in data.diff", async () => {
    const t = await runningTask();
    expect((await t.finish(1, { diff: diffOf('one.txt', 'first') })).status).toBe(200);
    expect((await t.finish(2, { diff: diffOf('two.txt', 'second') })).status).toBe(200);
    const second = await api('GET', `/api/v1/tasks/${t.id}/diff`);
    expect(second.body).toEqual({ iteration: 2, ...diffOf('two.txt', 'second') });

    // the diff could not be computed (null), or an older node sent none: the last one stays
    expect((await t.finish(3, { diff: null })).status).toBe(200);
    expect((await t.finish(4, {})).status).toBe(200);
    expect((await api('GET', `/api/v1/tasks/${t.id}/diff`)).body.iteration).toBe(2);

    const unchanged = { files: [], patch: '', truncated: false };
    expect((await t.finish(5, { diff: unchanged })).status).toBe(200);
    expect((await api('GET', `/api/v1/tasks/${t.id}/diff`)).body).toEqual({ iteration: 5, ...unchanged });

    const events = await api('GET', `/api/v1/tasks/${t.id}/events?limit=100`);
    const finished = (events.body.items as { type: string; data: Record<string, unknown> }[]).filter((e) => e.type === 'iteration.finished');
    expect(finished.map((e) => e.data['diff'])).toEqual([diffOf('one.txt', 'first'), diffOf('two.txt', 'second'), null, undefined, unchanged]);
  });

  it("finds an older iteration's diff behind many iterations without one", async () => {
    const t = await runningTask();
    expect((await t.finish(1, { diff: diffOf('old.txt', 'kept') })).status).toBe(200);
    for (let i = 2; i <= 120; i++) expect((await t.finish(i, { diff: null })).status).toBe(200);
    expect((await api('GET', `/api/v1/tasks/${t.id}/diff`)).body).toMatchObject({ iteration: 1, files: [{ path: 'old.txt' }] });
  });

  it('a malformed diff in a progress report is refused with a clear error', async () => {
    const t = await runningTask();
    const bad = await t.finish(1, { diff: { files: [{ path: 'x', status: 'copied', additions: 1, deletions: 0 }], patch: '', truncated: false } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.text).toMatch(/status/);
    const tooLong = await t.finish(1, { diff: { files: [], patch: 'x'.repeat(64 * 1024 + 1), truncated: true } });
    expect(tooLong.status).toBe(400);
    const tooMany = await t.finish(1, { diff: { files: Array.from({ length: 501 }, (_v, i) => ({ path: `f${i}`, status: 'added', additions: 0, deletions: 0 })), patch: '', truncated: true } });
    expect(tooMany.status).toBe(400);
    expect((await api('GET', `/api/v1/tasks/${t.id}/diff`)).body.iteration).toBeNull();
  });

  it('needs tasks:read: viewers may read it, a node token or no token may not', async () => {
    const t = await runningTask();
    await t.finish(1, { diff: diffOf('a.txt', 'a') });
    const viewer = await h.tokenFor('viewer');
    expect((await call(app, 'GET', `/api/v1/tasks/${t.id}/diff`, { token: viewer })).body.iteration).toBe(1);
    expect((await call(app, 'GET', `/api/v1/tasks/${t.id}/diff`, { token: t.node.accessToken })).status).toBe(403);
    expect((await call(app, 'GET', `/api/v1/tasks/${t.id}/diff`)).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await call(app, 'GET', '/api/v1/openapi.json');
    const op = doc.body.paths['/api/v1/tasks/{id}/diff']?.get;
    expect(op?.summary).toMatch(/workspace diff/);
    expect(Object.keys((op?.responses ?? {}) as object)).toEqual(expect.arrayContaining(['200', '401', '403', '404']));
  });
});
