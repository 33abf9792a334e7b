/**
 * End to end, in one process: HQ as `cortical up` composes it (SQLite file, HTTP API, git host)
 * and a real node (HTTP link, process runtime, script agent, git workspaces). The iterations'
 * workspace diffs travel node → progress report → `iteration.finished` event → `GET /diff`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ScriptAgent } from '../../src/adapters/agents/script/script-agent.js';
import { HttpHqLink } from '../../src/adapters/hq-link/http/http-hq-link.js';
import { ProcessRuntime } from '../../src/adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../../src/adapters/workspace/git/git-workspace.js';
import { TEST_GIT_ENV } from '../../src/adapters/workspace/git/test-repo.js';
import type { AgentDriver } from '../../src/core/ports/agent-driver.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { readEnvConfig } from '../../src/main/config.js';
import { startHq, type RunningHq } from '../../src/main/start-hq.js';
import { NodeAgent } from '../../src/services/node/node-agent.js';
import { MemoryNodeState } from '../../src/services/node/node-test-kit.js';
import { api, eventually, tempDir } from './cortical-process.js';

type Diff = { iteration: number | null; files: { path: string; status: string; additions: number; deletions: number }[]; patch: string; truncated: boolean };
type Event = { type: string; data: Record<string, any> };

let home: { path: string; remove(): Promise<void> };
let hq: RunningHq;
let token: string;
const stopNode = new AbortController();
let node: Promise<void>;

beforeAll(async () => {
  home = await tempDir('diff');
  hq = await startHq({
    dataDir: join(home.path, 'hq'),
    host: '127.0.0.1',
    port: 0,
    env: readEnvConfig({ CORTICAL_HEARTBEAT_INTERVAL_MS: '200', CORTICAL_SCHEDULER_INTERVAL_MS: '50' }),
    logger: silentLogger,
  });
  token = hq.createdAdminToken!;
  const joinToken = (await hq.hq.auth.createToken({ role: 'node', actor: 'test' })).token;
  const link = new HttpHqLink({ baseUrl: hq.url, requestTimeoutMs: 10_000 });
  node = new NodeAgent({
    hq: link,
    state: new MemoryNodeState(),
    probe: { resources: () => ({ cpuCount: 2, loadAvg1: 0, memTotalMb: 1000, memFreeMb: 500 }) },
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    runtime: new ProcessRuntime(),
    drivers: new Map<string, AgentDriver>([['script', new ScriptAgent()]]),
    workspaces: new GitWorkspaces(join(home.path, 'node')),
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stopGraceMs: 300,
    flushIntervalMs: 50,
    config: { name: 'n1', joinToken, capabilities: ['script'], slots: 2, version: 'test' },
  }).start(stopNode.signal);
}, 60_000);

afterAll(async () => {
  stopNode.abort();
  await node;
  await hq?.close();
  await home?.remove();
});

async function runToEnd(body: Record<string, unknown>): Promise<string> {
  const created = await api(hq.url, token, 'POST', '/api/v1/tasks', { agent: 'script', mode: 'loop', ...body });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = created.json.id as string;
  await eventually(`task ${id} ends`, async () => {
    const t = await api(hq.url, token, 'GET', `/api/v1/tasks/${id}`);
    return ['succeeded', 'failed', 'cancelled'].includes(t.json.state as string) ? t.json : undefined;
  }, 45_000);
  return id;
}

async function finishedEvents(id: string): Promise<Event[]> {
  const r = await api(hq.url, token, 'GET', `/api/v1/tasks/${id}/events?limit=1000`);
  return (r.json.items as Event[]).filter((e) => e.type === 'iteration.finished');
}

describe('the workspace diff of an iteration, node to API', () => {
  it('a plain-directory task: each iteration.finished carries what it wrote; GET /diff answers the last one', async () => {
    const id = await runToEnd({ prompt: '@1 write notes.txt first line\n@2 append notes.txt second line\n@2 write empty-run.txt x\n@2 done' });
    const finished = await finishedEvents(id);
    expect(finished.map((e) => e.data.iteration)).toEqual([1, 2]);
    expect(finished[0]!.data.diff).toEqual({
      files: [{ path: 'notes.txt', status: 'added', additions: 1, deletions: 0 }],
      patch: expect.stringContaining('+first line\n'),
      truncated: false,
    });
    const diff = (await api(hq.url, token, 'GET', `/api/v1/tasks/${id}/diff`)).json as Diff;
    expect(diff).toEqual({ iteration: 2, ...finished[1]!.data.diff });
    expect(diff.files).toEqual([
      { path: 'empty-run.txt', status: 'added', additions: 1, deletions: 0 },
      { path: 'notes.txt', status: 'modified', additions: 1, deletions: 0 },
    ]);
    expect(diff.patch).toContain('+second line\n');
    expect(diff.patch).not.toContain('.cstack');
  }, 60_000);

  it('a repository task: the diff of the clone, unaffected by the checkpoint commit that follows it', async () => {
    const repo = join(home.path, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...TEST_GIT_ENV } });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const id = await runToEnd({ prompt: '@1 append README.md more\n@2 print nothing to change\n@2 done', repo: { path: repo } });
    const finished = await finishedEvents(id);
    expect(finished[0]!.data.diff.files).toEqual([{ path: 'README.md', status: 'modified', additions: 1, deletions: 0 }]);
    // iteration 2 changed nothing: an empty diff, which is the task's last one
    expect(finished[1]!.data.diff).toEqual({ files: [], patch: '', truncated: false });
    expect((await api(hq.url, token, 'GET', `/api/v1/tasks/${id}/diff`)).json).toEqual({ iteration: 2, files: [], patch: '', truncated: false });
    // the checkpoint of iteration 1 reached the task's branch; the user's checkout is as it was
    expect(execFileSync('git', ['show', `cortical/${id}:README.md`], { cwd: repo, encoding: 'utf8' })).toBe('hello\nmore\n');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' })).toBe('');
  }, 60_000);
});
