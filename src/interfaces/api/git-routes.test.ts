import { serve } from '@hono/node-server';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { ProcessGitHost } from '../../adapters/git-host/process/process-git-host.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { runSchedulingPass } from '../../services/hq/scheduler-loop.js';
import { call } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

const resources = { cpuCount: 4, loadAvg1: 0.5, memTotalMb: 8000, memFreeMb: 4000 };
const ID = { GIT_AUTHOR_NAME: 'u', GIT_AUTHOR_EMAIL: 'u@example.com', GIT_COMMITTER_NAME: 'u', GIT_COMMITTER_EMAIL: 'u@example.com' };

/**
 * Runs real git, asynchronously (HQ serves it from this very process); never throws: status and
 * output come back.
 */
function git(cwd: string, args: string[], token?: string): Promise<{ status: number; out: string }> {
  const auth = token === undefined ? [] : ['-c', `http.extraHeader=Authorization: Bearer ${token}`];
  return new Promise((resolve) => {
    execFile('git', [...auth, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...ID, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: `${stdout}${stderr}` });
    });
  });
}
const must = async (cwd: string, args: string[], token?: string): Promise<string> => {
  const r = await git(cwd, args, token);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.out}`);
  return r.out.trim();
};

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
let server: Server;
let base: string;
let root: string;
let repo: string;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq, { gitHost: new ProcessGitHost() });
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = mkdtempSync(join(tmpdir(), 'cortical-git-routes-'));
  repo = join(root, 'user-repo');
  mkdirSync(repo);
  await must(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'README'), 'mine\n');
  await must(repo, ['add', '.']);
  await must(repo, ['commit', '-qm', 'first']);
  await must(repo, ['branch', 'feature']);
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await h.close();
  rmSync(root, { recursive: true, force: true });
});

/** A task on `repo`, leased to a fresh node and started; the node's credential and the task's. */
async function leasedTask(): Promise<{ taskId: string; fencingToken: number; nodeToken: string; token: string }> {
  const node = await h.joinNode({ capabilities: [] });
  const task = await h.submit({ prompt: 'work', repo: { path: repo } });
  await runSchedulingPass(h.hq.deps);
  const hb = await call(app, 'POST', `/api/v1/nodes/${node.nodeId}/heartbeat`, { token: node.accessToken, body: { resources } });
  const lease = (hb.body.leases as { id: string; fencingToken: number }[]).find((l) => l.id === task.id)!;
  await call(app, 'POST', `/api/v1/leases/${task.id}/start`, { token: node.accessToken, body: { fencingToken: lease.fencingToken, workspacePath: '/w' } });
  const cred = await call(app, 'POST', `/api/v1/leases/${task.id}/credential`, { token: node.accessToken, body: { fencingToken: lease.fencingToken } });
  expect(cred.status).toBe(200);
  return { taskId: task.id, fencingToken: lease.fencingToken, nodeToken: node.accessToken, token: cred.body.token as string };
}

const urlOf = (taskId: string): string => `${base}/api/v1/tasks/${taskId}/git`;

describe('a task repository served by HQ (git smart HTTP)', () => {
  it('clones with the task credential and accepts pushes to cortical/<task> only', async () => {
    const t = await leasedTask();
    const clone = join(root, 'clone');
    await must(root, ['clone', '-q', urlOf(t.taskId), clone], t.token);
    expect(readFileSync(join(clone, 'README'), 'utf8')).toBe('mine\n');
    await must(clone, ['checkout', '-q', '-b', `cortical/${t.taskId}`]);
    writeFileSync(join(clone, 'agent.txt'), 'agent\n');
    await must(clone, ['add', '.']);
    await must(clone, ['commit', '-qm', 'agent work']);
    const mainBefore = await must(repo, ['rev-parse', 'main']);

    await must(clone, ['push', '-q', 'origin', `HEAD:refs/heads/cortical/${t.taskId}`], t.token);
    expect(await must(repo, ['show', `cortical/${t.taskId}:agent.txt`])).toBe('agent');

    // another branch: refused with the reason, nothing written
    const toMain = await git(clone, ['push', 'origin', 'HEAD:main'], t.token);
    expect(toMain.status).not.toBe(0);
    expect(toMain.out).toContain(`only refs/heads/cortical/${t.taskId} may be written by this task`);
    expect(await must(repo, ['rev-parse', 'main'])).toBe(mainBefore);

    // a push of the own branch and another ref together is refused as a whole
    writeFileSync(join(clone, 'agent.txt'), 'more\n');
    await must(clone, ['commit', '-qam', 'more']);
    const ownBefore = await must(repo, ['rev-parse', `cortical/${t.taskId}`]);
    const mixed = await git(clone, ['push', 'origin', `HEAD:refs/heads/cortical/${t.taskId}`, 'HEAD:refs/heads/feature'], t.token);
    expect(mixed.status).not.toBe(0);
    expect(await must(repo, ['rev-parse', `cortical/${t.taskId}`])).toBe(ownBefore);

    // deleting the task branch, or a tag: refused
    expect((await git(clone, ['push', 'origin', `:refs/heads/cortical/${t.taskId}`], t.token)).out).toContain('deleting the task branch is not allowed');
    expect((await git(clone, ['push', 'origin', 'HEAD:refs/tags/v1'], t.token)).status).not.toBe(0);
    expect(await must(repo, ['tag'])).toBe('');
    await must(repo, ['fsck', '--strict', '--no-progress']);
  });

  it('refuses missing, foreign and user credentials for pushes, and a credential whose lease ended', async () => {
    const a = await leasedTask();
    const b = await leasedTask();
    const clone = join(root, 'clone-a');
    // no credential
    expect((await git(root, ['clone', '-q', urlOf(a.taskId), join(root, 'no-credential')])).status).not.toBe(0);
    // the credential of another task
    const foreign = await fetch(`${urlOf(a.taskId)}/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(foreign.status).toBe(403);
    // a user may fetch, never push through HQ
    await must(root, ['clone', '-q', urlOf(a.taskId), clone], h.adminToken);
    const userPush = await git(clone, ['push', 'origin', `HEAD:refs/heads/cortical/${a.taskId}`], h.adminToken);
    expect(userPush.status).not.toBe(0);
    expect(userPush.out).toContain('403');
    // a forged token
    const forged = `${a.token.slice(0, -4)}AAAA`;
    expect((await fetch(`${urlOf(a.taskId)}/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
    // the lease ends: its credential stops working at once
      const done = await call(app, 'POST', `/api/v1/leases/${a.taskId}/complete`, {
      token: a.nodeToken,
      body: { fencingToken: a.fencingToken, outcome: 'succeeded', reason: 'agent_done', message: null },
    });
    expect(done.status).toBe(200);
    const after = await fetch(`${urlOf(a.taskId)}/info/refs?service=git-receive-pack`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('lease has ended');
    // an unknown service
    expect((await fetch(`${urlOf(b.taskId)}/info/refs?service=git-shell`, { headers: { authorization: `Bearer ${b.token}` } })).status).toBe(400);
  });

  it('credentials live at most taskCredentialTtlMs, are renewed with the lease and are node-scoped', async () => {
    const t = await leasedTask();
      const renew = await call(app, 'POST', `/api/v1/leases/${t.taskId}/renew`, { token: t.nodeToken, body: { fencingToken: t.fencingToken } });
    expect(renew.status).toBe(200);
    const cred = renew.body.credential as { token: string; expiresAt: number };
    expect(cred.expiresAt - h.clock.nowMs()).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(cred.expiresAt).toBeGreaterThan(h.clock.nowMs());
    const ok = await fetch(`${urlOf(t.taskId)}/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${cred.token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    // another node cannot get one for this lease
    const other = await h.joinNode();
    const stolen = await call(app, 'POST', `/api/v1/leases/${t.taskId}/credential`, { token: other.accessToken, body: { fencingToken: t.fencingToken } });
    expect(stolen.status).toBe(409);
    // a task credential cannot call the rest of the API
    expect((await call(app, 'GET', '/api/v1/tasks', { token: cred.token })).status).toBe(403);
    // past its lifetime: expired (the lease is renewed meanwhile, so only the time ran out)
    h.clock.advance(h.hq.config.taskCredentialTtlMs + 1000);
    const expired = await fetch(`${urlOf(t.taskId)}/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${cred.token}` } });
    expect(expired.status).toBe(401);
    expect(await expired.text()).toContain('TOKEN_EXPIRED');
  });
});
