import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { allows, type Permission } from '../../core/auth.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { runSchedulingPass } from '../../services/hq/scheduler-loop.js';
import { call } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

const resources = { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 };

type Cred = 'none' | 'malformed' | 'basic' | 'unknown' | 'expired' | 'revoked' | 'join' | 'refresh' | 'admin' | 'operator' | 'viewer' | 'node';
const CREDS: readonly Cred[] = ['none', 'malformed', 'basic', 'unknown', 'expired', 'revoked', 'join', 'refresh', 'admin', 'operator', 'viewer', 'node'];

interface Endpoint {
  readonly method: string;
  readonly path: string;
  /** null = no bearer needed. */
  readonly permission: Permission | null;
  /** Public endpoints: the status expected whatever Authorization header is sent. */
  readonly publicStatus?: number;
  readonly body?: () => unknown;
}

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
const tokens = new Map<Cred, string | undefined>();
let taskId = '';
let nodeId = '';
let fencingToken = 0;
let refreshToken = '';

const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: '/healthz', permission: null },
  { method: 'GET', path: '/api/v1/openapi.json', permission: null },
  { method: 'GET', path: '/api/v1/status', permission: 'tasks:read' },
  { method: 'POST', path: '/api/v1/tasks', permission: 'tasks:write', body: () => ({ prompt: 'x' }) },
  { method: 'GET', path: '/api/v1/tasks', permission: 'tasks:read' },
  { method: 'GET', path: '/api/v1/tasks/{task}', permission: 'tasks:read' },
  { method: 'GET', path: '/api/v1/tasks/{task}/events', permission: 'tasks:read' },
  { method: 'GET', path: '/api/v1/tasks/{task}/logs', permission: 'tasks:read' },
  { method: 'GET', path: '/api/v1/tasks/{task}/diff', permission: 'tasks:read' },
  { method: 'POST', path: '/api/v1/plans', permission: 'tasks:read', body: () => ({ request: 'use shell to list the files' }) },
  { method: 'GET', path: '/api/v1/usage/hourly', permission: 'tasks:read' },
  { method: 'GET', path: '/api/v1/audit', permission: 'events:read' },
  { method: 'GET', path: '/api/v1/tasks/{task}/guidance', permission: 'tasks:read' },
  { method: 'POST', path: '/api/v1/tasks/{task}/pause', permission: 'tasks:write', body: () => ({ now: false }) },
  { method: 'POST', path: '/api/v1/tasks/{task}/resume', permission: 'tasks:write' },
  { method: 'POST', path: '/api/v1/tasks/{task}/guide', permission: 'tasks:write', body: () => ({ text: 'hint' }) },
  { method: 'POST', path: '/api/v1/tasks/task_missing/stop', permission: 'tasks:write' },
  { method: 'POST', path: '/api/v1/tasks/{task}/resleeve', permission: 'tasks:write', body: () => ({ agent: 'shell' }) },
  { method: 'GET', path: '/api/v1/projects', permission: 'tasks:read' },
  // budgets are fleet controls: admin and operator (the permission that guards the kill switch)
  { method: 'PUT', path: '/api/v1/projects/web/budget', permission: 'killswitch:write', body: () => ({ dailyUsd: null, dailyTokens: null }) },
  { method: 'GET', path: '/api/v1/fleet/budget', permission: 'tasks:read' },
  { method: 'PUT', path: '/api/v1/fleet/budget', permission: 'killswitch:write', body: () => ({ dailyUsd: null, dailyTokens: null }) },
  { method: 'GET', path: '/api/v1/usage?by=node&days=7', permission: 'tasks:read' },
  { method: 'POST', path: '/api/v1/tasks/{task}/snapshots', permission: 'tasks:write', body: () => ({ label: 'l' }) },
  { method: 'GET', path: '/api/v1/tasks/{task}/snapshots', permission: 'tasks:read' },
  { method: 'POST', path: '/api/v1/tasks/{task}/snapshots/20260101T000000000Z-abcdef/revert', permission: 'tasks:write' },
  { method: 'GET', path: '/api/v1/tasks/{task}/commands', permission: 'tasks:read' },
  { method: 'GET', path: '/api/v1/commands/cmd_missing', permission: 'tasks:read' },
  { method: 'POST', path: '/api/v1/nodes/{node}/commands/cmd_missing/result', permission: 'lease:act', body: () => ({ state: 'failed', error: 'x' }) },
  { method: 'GET', path: '/api/v1/nodes', permission: 'nodes:read' },
  { method: 'GET', path: '/api/v1/nodes/{node}', permission: 'nodes:read' },
  { method: 'POST', path: '/api/v1/nodes/{node}/uncordon', permission: 'nodes:write' },
  { method: 'POST', path: '/api/v1/nodes/node_missing/cordon', permission: 'nodes:write' },
  { method: 'POST', path: '/api/v1/nodes/node_missing/drain', permission: 'nodes:write' },
  { method: 'POST', path: '/api/v1/nodes/join', permission: null, publicStatus: 401, body: () => ({ joinToken: 'x', name: 'n', resources }) },
  { method: 'POST', path: '/api/v1/nodes/{node}/credential', permission: null, publicStatus: 401, body: () => ({ refreshToken: 'tok_x.y' }) },
  { method: 'POST', path: '/api/v1/nodes/{node}/heartbeat', permission: 'lease:act', body: () => ({ resources }) },
  { method: 'POST', path: '/api/v1/leases/{task}/start', permission: 'lease:act', body: () => ({ fencingToken, workspacePath: '/w' }) },
  { method: 'POST', path: '/api/v1/leases/{task}/renew', permission: 'lease:act', body: () => ({ fencingToken }) },
  { method: 'POST', path: '/api/v1/leases/{task}/progress', permission: 'lease:act', body: () => ({ fencingToken }) },
  {
    method: 'POST',
    path: '/api/v1/leases/task_missing/complete',
    permission: 'lease:act',
    body: () => ({ fencingToken: 1, outcome: 'failed', reason: 'agent_failed' }),
  },
  { method: 'GET', path: '/api/v1/killswitch', permission: 'killswitch:read' },
  { method: 'PUT', path: '/api/v1/killswitch', permission: 'killswitch:write', body: () => ({ on: false }) },
  { method: 'POST', path: '/api/v1/tokens', permission: 'tokens:write', body: () => ({ role: 'viewer' }) },
  { method: 'GET', path: '/api/v1/tokens', permission: 'tokens:write' },
  { method: 'DELETE', path: '/api/v1/tokens/tok_missing', permission: 'tokens:write' },
  { method: 'GET', path: '/api/v1/events?follow=false', permission: 'events:read' },
];

beforeAll(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
  const node = await h.joinNode({ slots: 4 });
  nodeId = node.nodeId;
  refreshToken = node.refreshToken;
  taskId = (await h.submit({ prompt: 'leased' })).id;
  await runSchedulingPass(h.hq.deps);
  fencingToken = (await h.store.getTask(taskId))!.fencingToken;

  const expiring = await h.hq.auth.createToken({ role: 'admin', ttlMs: 1000, actor: 't' });
  const revoked = await h.hq.auth.createToken({ role: 'admin', actor: 't' });
  await h.hq.auth.revokeToken(revoked.id, 't');
  tokens.set('none', undefined);
  tokens.set('malformed', 'not-a-token');
  tokens.set('unknown', `tok_doesnotexist.${'s'.repeat(43)}`);
  tokens.set('expired', expiring.token);
  tokens.set('revoked', revoked.token);
  tokens.set('join', await h.joinToken());
  tokens.set('refresh', refreshToken);
  tokens.set('admin', h.adminToken);
  tokens.set('operator', await h.tokenFor('operator'));
  tokens.set('viewer', await h.tokenFor('viewer'));
  tokens.set('node', node.accessToken);
  h.clock.advance(1000); // `expired` lapses; everything else lives longer
});

afterAll(async () => {
  await h.close();
});

const pathOf = (ep: Endpoint): string => ep.path.replace('{task}', taskId).replace('{node}', nodeId);

function expectedOf(ep: Endpoint, cred: Cred): 'allowed' | 401 | 403 {
  if (ep.permission === null) return 'allowed';
  if (cred === 'admin' || cred === 'operator' || cred === 'viewer' || cred === 'node') {
    return allows(cred, ep.permission) ? 'allowed' : 403;
  }
  return 401;
}

describe('auth matrix: every endpoint × every credential', () => {
  const cases = ENDPOINTS.flatMap((ep) => CREDS.map((cred) => [ep, cred] as const));
  it.each(cases.map(([ep, cred]) => [`${ep.method} ${ep.path}`, cred, ep] as const))(
    '%s as %s',
    async (_name, cred, ep) => {
      const headers: Record<string, string> = {};
      const token = tokens.get(cred);
      if (cred === 'basic') headers['authorization'] = 'Basic dXNlcjpwYXNz';
      else if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      const r = await call(app, ep.method, pathOf(ep), { headers, body: ep.body?.() });
      const expected = expectedOf(ep, cred);
      expect(r.status, r.text).toBeLessThan(500);
      if (ep.publicStatus !== undefined) {
        // The body's token decides; an Authorization header neither helps nor hurts.
        expect(r.status, r.text).toBe(ep.publicStatus);
      } else if (expected === 'allowed') {
        expect([401, 403], r.text).not.toContain(r.status);
      } else {
        expect(r.status, r.text).toBe(expected);
        const code = r.body.error.code as string;
        if (expected === 403) expect(code).toBe('FORBIDDEN');
        else expect(code).toBe(cred === 'expired' ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED');
      }
    },
  );
});

describe('node credentials are confined to their own node', () => {
  it("another node's heartbeat is 403 and its lease is 409", async () => {
    const other = await h.joinNode({ name: 'other' });
    const asOther = { authorization: `Bearer ${other.accessToken}` };
    const hb = await call(app, 'POST', `/api/v1/nodes/${nodeId}/heartbeat`, { headers: asOther, body: { resources } });
    expect(hb.status).toBe(403);
    for (const op of ['renew', 'progress']) {
      const r = await call(app, 'POST', `/api/v1/leases/${taskId}/${op}`, { headers: asOther, body: { fencingToken } });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('LEASE_CONFLICT');
    }
    const complete = await call(app, 'POST', `/api/v1/leases/${taskId}/complete`, {
      headers: asOther,
      body: { fencingToken, outcome: 'failed', reason: 'agent_failed' },
    });
    expect(complete.status).toBe(409);
    expect((await h.store.getTask(taskId))!.nodeId).toBe(nodeId);
  });
});
