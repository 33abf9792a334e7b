/**
 * End to end: workspace snapshots and reverts through the real CLI against `cortical up` (HQ and
 * a local node in one process): the command travels HQ → heartbeat → node → result → CLI.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, baseEnv, cortical, CorticalDaemon, corticalJson, eventually, tempDir } from './cortical-process.js';

type Task = { id: string; state: string; workspacePath: string | null };
type Command = { id: string; state: string; kind: string; result: Record<string, any> | null; error: string | null };

let home: { path: string; remove(): Promise<void> };
let up: CorticalDaemon;
let env: NodeJS.ProcessEnv;
let url: string;
let adminToken: string;

beforeAll(async () => {
  home = await tempDir('snap');
  env = baseEnv({ CORTICAL_HOME: home.path });
  up = new CorticalDaemon(['up', '--port', '0', '--slots', '2'], env);
  url = (await up.waitFor(/HQ at (http:\/\/\S+)/))[1]!;
  await up.waitFor(/admin token: (\S+)/);
  adminToken = (await readFile(join(home.path, 'admin.token'), 'utf8')).trim();
}, 90_000);

afterAll(async () => {
  await up?.stop();
  await home?.remove();
});

async function show(id: string): Promise<Task> {
  return (await api(url, adminToken, 'GET', `/api/v1/tasks/${id}`)).json as Task;
}

async function waitState(id: string, states: readonly string[]): Promise<Task> {
  return eventually(`task ${id} in ${states.join('|')}`, async () => {
    const t = await show(id);
    return states.includes(t.state) ? t : undefined;
  });
}

describe('snapshots and reverts through the CLI', () => {
  it('snapshot a finished task, change its workspace, revert: the content is back', async () => {
    const task = await corticalJson<Task>(['run', '--agent', 'shell', '--wait', 'mkdir -p src && echo one > a.txt && echo code > src/main.txt'], env);
    expect(task.state).toBe('succeeded');
    const ws = task.workspacePath!;

    const snap = await cortical(['tasks', 'snapshot', task.id, '--label', 'good state'], env);
    expect(snap.code, snap.stderr).toBe(0);
    const m = /snapshot (\S+) of (\S+) taken in \d+ ms \(good state\)/.exec(snap.stdout);
    expect(m, snap.stdout).not.toBeNull();
    const snapshotId = m![1]!;

    await writeFile(join(ws, 'a.txt'), 'broken\n');
    await rm(join(ws, 'src'), { recursive: true });
    await writeFile(join(ws, 'junk.txt'), 'junk\n');

    const listed = await corticalJson<Command>(['tasks', 'snapshots', task.id], env);
    expect(listed.state).toBe('done');
    expect((listed.result!.snapshots as { id: string; label: string }[]).map((s) => [s.id, s.label])).toEqual([[snapshotId, 'good state']]);
    const table = await cortical(['tasks', 'snapshots', task.id], env);
    expect(table.stdout).toContain(snapshotId);
    expect(table.stdout).toContain('good state');

    const revert = await cortical(['tasks', 'revert', task.id, snapshotId], env);
    expect(revert.code, revert.stderr).toBe(0);
    expect(revert.stdout).toMatch(new RegExp(`reverted ${task.id} to snapshot ${snapshotId} in \\d+ ms: 2 files written, 1 removed`));
    expect(revert.stderr).toMatch(/waiting for node|working on it/);
    expect(await readFile(join(ws, 'a.txt'), 'utf8')).toBe('one\n');
    expect(await readFile(join(ws, 'src', 'main.txt'), 'utf8')).toBe('code\n');
    expect(existsSync(join(ws, 'junk.txt'))).toBe(false);

    const events = await corticalJson<{ type: string; data: Record<string, unknown> }[]>(['tasks', 'events', task.id], env);
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['workspace.command-queued', 'workspace.snapshotted', 'workspace.reverted']));
    expect(events.find((e) => e.type === 'workspace.reverted')?.data).toMatchObject({ snapshotId, written: 2, removed: 1 });

    const unknown = await cortical(['tasks', 'revert', task.id, '20200101T000000000Z-000000'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/revert of task .* failed: snapshot 20200101T000000000Z-000000 not found/);
  }, 90_000);

  it('--tier T2 snapshots before every iteration; a paused loop can be reverted, a running one cannot', async () => {
    const task = await corticalJson<Task>(
      ['run', '--agent', 'script', '--mode', 'loop', '--tier', 'T2', '--max-iterations', '50', 'append log.txt tick\n@3+ sleep 300'],
      env,
    );
    await eventually('three iterations', async () => {
      const r = await api(url, adminToken, 'GET', `/api/v1/tasks/${task.id}/events?limit=1000`);
      return (r.json.items as { type: string }[]).filter((e) => e.type === 'workspace.snapshotted').length >= 3 ? true : undefined;
    });
    const busy = await cortical(['tasks', 'revert', task.id, '20200101T000000000Z-000000'], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/is running: an iteration may be writing to its workspace\. Pause it first/);

    expect((await cortical(['tasks', 'pause', task.id], env)).code).toBe(0);
    const paused = await waitState(task.id, ['paused']);
    const list = await corticalJson<Command>(['tasks', 'snapshots', task.id], env);
    const snaps = list.result!.snapshots as { id: string; label: string }[];
    expect(snaps.slice(0, 3).map((s) => s.label)).toEqual(['before iteration 1', 'before iteration 2', 'before iteration 3']);
    const second = snaps[1]!;

    const r = await corticalJson<Command>(['tasks', 'revert', task.id, second.id], env);
    expect(r).toMatchObject({ state: 'done', kind: 'revert', result: { snapshotId: second.id, written: 1, removed: 0 } });
    expect(await readFile(join(paused.workspacePath!, 'log.txt'), 'utf8')).toBe('tick\n');
    expect((await cortical(['tasks', 'stop', task.id], env)).code).toBe(0);
    await waitState(task.id, ['cancelled']);
  }, 90_000);

  it('a task that never reached a node has nothing to snapshot', async () => {
    const task = await corticalJson<Task>(['run', '--requires', 'gpu', 'true'], env);
    const r = await cortical(['tasks', 'snapshot', task.id], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has not started on a node yet/);
    await cortical(['tasks', 'stop', task.id], env);
  }, 60_000);
});
