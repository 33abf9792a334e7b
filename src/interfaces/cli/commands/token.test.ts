/** `cortical token list | revoke` against a real HQ served over HTTP. */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../../services/hq/hq-test-harness.js';
import { createApiApp } from '../../api/create-api-app.js';
import { runCli } from '../program.js';
import type { ServerRunners } from '../server-runners.js';
import { fakeIo } from '../testing/fake-io.js';

let h: HqHarness;
let server: Server;
let base: string;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  const app = createApiApp(h.hq);
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

const noRunners: ServerRunners = {
  up: () => Promise.reject(new Error('unused')),
  hq: () => Promise.reject(new Error('unused')),
  node: () => Promise.reject(new Error('unused')),
  gc: () => Promise.reject(new Error('unused')),
};

/** The whole program, as `cortical …` runs it (errors printed, exit code). */
async function cli(argv: string[], token = h.adminToken) {
  const io = fakeIo(argv, { env: { CORTICAL_HQ: base, CORTICAL_TOKEN: token }, now: () => h.clock.nowMs() });
  const code = await runCli(io, noRunners);
  return { code, out: io.out(), err: io.errText() };
}

describe('cortical token list | revoke', () => {
  it('list shows active API and join tokens in a table, never a secret; --all --json includes revoked ones', async () => {
    const viewer = await h.hq.auth.createToken({ role: 'viewer', label: 'grafana', actor: 'test' });
    const join = await h.hq.auth.createToken({ role: 'node', label: 'gpu box', actor: 'test' });
    const listed = await cli(['token', 'list']);
    expect(listed.code).toBe(0);
    const lines = listed.out.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+ROLE\s+STATE\s+CREATED\s+EXPIRES\s+LABEL$/);
    expect(listed.out).toMatch(new RegExp(`${viewer.id}\\s+api\\s+viewer\\s+active\\s+.*never\\s+grafana`));
    expect(listed.out).toMatch(new RegExp(`${join.id}\\s+join\\s+node\\s+active\\s+.*gpu box`));
    expect(listed.out).not.toContain(viewer.token.split('.')[1]);

    expect((await cli(['token', 'revoke', viewer.id])).out).toBe(`revoked api token ${viewer.id} (role viewer, grafana); it no longer authenticates\n`);
    expect((await cli(['token', 'list'])).out).not.toContain(viewer.id);
    const json = JSON.parse((await cli(['token', 'list', '--all', '--kind', 'api', '--json'])).out) as { id: string; state: string; kind: string }[];
    expect(json.find((t) => t.id === viewer.id)?.state).toBe('revoked');
    expect(json.every((t) => t.kind === 'api')).toBe(true);
  });

  it('revoke takes the whole token too (only its id is sent); the revoked token is refused afterwards', async () => {
    const op = await h.hq.auth.createToken({ role: 'operator', actor: 'test' });
    const r = await cli(['token', 'revoke', op.token, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: op.id, state: 'revoked', role: 'operator' });
    const refused = await cli(['token', 'list'], op.token);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('UNAUTHENTICATED');
  });

  it('the last admin token, an unknown id and a bad kind are clear errors', async () => {
    const last = await cli(['token', 'revoke', h.adminToken.split('.')[0]!]);
    expect(last.code).not.toBe(0);
    expect(last.err).toContain('last active admin token: create another admin token first');
    const unknown = await cli(['token', 'revoke', 'tok_nope']);
    expect(unknown.err).toContain('token tok_nope not found');
    const kind = await cli(['token', 'list', '--kind', 'ssh']);
    expect(kind.code).not.toBe(0);
    expect(kind.err).toContain('api, join, node_access, node_refresh');
  });
});
