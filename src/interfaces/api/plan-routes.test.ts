import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { PlanResponse } from '../../contract/plan-schemas.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
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

const api = (body: unknown, opts: CallOptions = {}) => call(app, 'POST', '/api/v1/plans', { token: h.adminToken, body, ...opts });

describe('POST /api/v1/plans', () => {
  it('preview: 200 with the plan and verdict, task null, nothing created', async () => {
    const r = await api({ request: 'use codex to fix the flaky test until `npm test` passes, at most 5 iterations' });
    expect(r.status).toBe(200);
    expect(PlanResponse.safeParse(r.body).success).toBe(true);
    expect(r.body).toMatchObject({
      planner: 'rules',
      plan: { agent: 'codex', model: null, requires: [], nodeClass: 'any node with codex', until: 'npm test', checks: ['`npm test` exits 0'], tier: 'T1', project: 'default', guardrails: { maxIterations: 5 } },
      verdict: { allowed: true, code: null, reason: null },
      task: null,
    });
    expect(r.body.plan.explanation.length).toBeGreaterThan(5);
    expect((await call(app, 'GET', '/api/v1/tasks', { token: h.adminToken })).body.items).toEqual([]);
  });

  it('submit: 201 with the created task; the task is listed and the submission audited', async () => {
    const r = await api({ request: 'add a dark mode toggle with sonnet, max $2', submit: true, project: 'web' });
    expect(r.status).toBe(201);
    expect(r.body.task).toMatchObject({ state: 'queued', spec: { agent: 'claude', model: 'sonnet', project: 'web', guardrails: { budgetUsd: 2 } } });
    const got = await call(app, 'GET', `/api/v1/tasks/${r.body.task.id as string}`, { token: h.adminToken });
    expect(got.status).toBe(200);
    const events = await h.store.readEvents({ afterSeq: 0, limit: 50, types: ['plan.submitted'] });
    expect(events).toHaveLength(1);
    expect(events[0]?.data['actor']).toMatch(/^admin:tok_/);
  });

  it('a refused preview is 200 with the verdict; a refused submit is 403 POLICY_DENIED with plan and verdict', async () => {
    const preview = await api({ request: 'drop database staging' });
    expect(preview).toMatchObject({ status: 200, body: { verdict: { allowed: false, code: 'TRIPCODE_REQUIRED' }, task: null } });
    const submit = await api({ request: 'drop database staging', submit: true });
    expect(submit.status).toBe(403);
    expect(submit.body.error).toMatchObject({
      code: 'POLICY_DENIED',
      message: expect.stringMatching(/^T3 \(destructive or sensitive\) requests need a tripcode; .*refused/),
      details: { plan: { tier: 'T3' }, verdict: { allowed: false, code: 'TRIPCODE_REQUIRED' } },
    });
    expect(submit.body.error.message).toBe(submit.body.error.details.verdict.reason);
    const refused = await h.store.readEvents({ afterSeq: 0, limit: 50, types: ['plan.refused'] });
    expect(refused).toHaveLength(2);
  });

  it('permissions: a viewer may preview but not submit; no token is 401', async () => {
    const viewer = await h.tokenFor('viewer');
    expect((await api({ request: 'explain the scheduler' }, { token: viewer })).status).toBe(200);
    const denied = await api({ request: 'fix the bug', submit: true }, { token: viewer });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/lacks permission tasks:write/) });
    const operator = await h.tokenFor('operator');
    expect((await api({ request: 'fix the bug', submit: true }, { token: operator })).status).toBe(201);
    expect((await call(app, 'POST', '/api/v1/plans', { body: { request: 'x' } })).status).toBe(401);
  });

  it('bad input is a clear 400', async () => {
    const empty = await api({ request: '' });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).toMatch(/request must not be empty/);
    const long = await api({ request: 'x'.repeat(4001) });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toMatch(/at most 4000 characters/);
    expect((await api({ request: 'fix it', project: 'Bad Name' })).status).toBe(400);
    expect((await api({ request: 'fix it', extra: 1 })).status).toBe(400);
    expect((await api({ request: 'fix it', submit: 'yes' })).status).toBe(400);
    const blank = await api({ request: '    ' });
    expect(blank.body.verdict).toMatchObject({ allowed: false, code: 'EMPTY_REQUEST' });
  });

  it('is in the OpenAPI document', async () => {
    const doc = await call(app, 'GET', '/api/v1/openapi.json');
    const op = (doc.body as { paths: Record<string, { post: { responses: object; requestBody: { content: Record<string, { schema: unknown }> } } }> }).paths['/api/v1/plans']!.post;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '401', '403']));
    expect(op.requestBody.content['application/json']?.schema).toBeDefined();
  });
});
