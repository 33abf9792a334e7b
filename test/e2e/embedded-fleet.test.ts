/**
 * End to end: `cortical up` (HQ + local node in one process on SQLite), driven by the real CLI.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, baseEnv, cortical, CorticalDaemon, corticalJson, eventually, tempDir } from './cortical-process.js';

type Task = {
  id: string;
  state: string;
  reason: string | null;
  usage: { iterations: number; tokensIn: number; tokensOut: number };
  workspacePath: string | null;
};

let home: { path: string; remove(): Promise<void> };
let up: CorticalDaemon;
let env: NodeJS.ProcessEnv;
let url: string;
let adminToken: string;

beforeAll(async () => {
  home = await tempDir('up');
  env = baseEnv({ CORTICAL_HOME: home.path });
  up = new CorticalDaemon(['up', '--port', '0', '--slots', '3'], env);
  const m = await up.waitFor(/HQ at (http:\/\/\S+)/);
  url = m[1]!;
  await up.waitFor(/admin token: (\S+)/);
  adminToken = (await readFile(join(home.path, 'admin.token'), 'utf8')).trim();
  // First start: the new admin token is printed once, and it is the one in the file.
  expect((await up.waitFor(/new admin token \(shown once\): (\S+)/))[1]).toBe(adminToken);
}, 90_000);

afterAll(async () => {
  await up?.stop();
  await home?.remove();
});

// Polling goes straight to the API (fast); the actions under test go through the CLI.
async function show(id: string): Promise<Task> {
  const r = await api(url, adminToken, 'GET', `/api/v1/tasks/${id}`);
  if (r.status !== 200) throw new Error(`GET task ${id}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as Task;
}

async function submit(args: readonly string[]): Promise<Task> {
  return corticalJson<Task>(['run', ...args], env);
}

async function waitState(id: string, states: readonly string[], timeoutMs = 30_000): Promise<Task> {
  return eventually(`task ${id} in ${states.join('|')}`, async () => {
    const t = await show(id);
    return states.includes(t.state) ? t : undefined;
  }, timeoutMs);
}

async function logsOf(id: string): Promise<string> {
  const r = await api(url, adminToken, 'GET', `/api/v1/tasks/${id}/logs?limit=1000`);
  return (r.json.items as { text: string }[]).map((l) => l.text).join('\n');
}

describe('cortical up (embedded fleet)', () => {
  it('serves /healthz and writes the admin token file with mode 0600', async () => {
    const h = await api(url, null, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json.status).toBe('ok');
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(home.path, 'admin.token'))).mode & 0o777).toBe(0o600);
    const s = await corticalJson<{ nodes: { ready: number } }>(['status'], env);
    expect(s.nodes.ready).toBe(1);
  });

  it('runs a shell task with --wait: exit 0 and the file is in the task workspace', async () => {
    const shown = await cortical(['tasks', 'ls'], env);
    expect(shown.code).toBe(0);
    const r = await cortical(['run', '--agent', 'shell', '--wait', 'echo hi > hello.txt'], env);
    expect(r.code).toBe(0);
    const id = /task_[0-9a-z]+/.exec(r.stdout + r.stderr)![0];
    const task = await show(id);
    expect(task).toMatchObject({ state: 'succeeded', reason: 'once_completed' });
    expect(await corticalJson<Task>(['tasks', 'show', id], env)).toMatchObject({ id, state: 'succeeded' });
    expect(await readFile(join(task.workspacePath!, 'hello.txt'), 'utf8')).toBe('hi\n');
  });

  it('--wait exits non-zero when the task fails', async () => {
    const r = await cortical(['run', '--wait', 'exit 3'], env);
    expect(r.code).toBe(1);
  });

  it('--repo: the task works in a clone of its own and its branch cortical/<id> is pushed through HQ; the user repository is untouched otherwise', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdir, writeFile } = await import('node:fs/promises');
    const repo = join(home.path, 'user-repo');
    await mkdir(repo);
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.email=u@example.com', '-c', 'user.name=U', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README'), 'mine\n');
    git('add', 'README');
    git('commit', '-qm', 'initial');
    const headBefore = git('rev-parse', 'HEAD').trim();

    const r = await cortical(
      ['run', '--repo', repo, '--wait', '--json', 'echo agent > agent.txt && git add agent.txt && git -c user.email=a@example.com -c user.name=agent commit -qm "agent work"'],
      env,
    );
    expect(r.code).toBe(0);
    const task = JSON.parse(r.stdout) as Task;
    expect(git('rev-parse', 'HEAD').trim()).toBe(headBefore);
    expect(git('status', '--porcelain').trim()).toBe('');
    expect(git('branch', '--show-current').trim()).toBe('main');
    expect(git('show', `cortical/${task.id}:agent.txt`)).toBe('agent\n');
    expect(git('log', '--format=%s', `cortical/${task.id}`).split('\n')[0]).toBe('agent work');
    git('fsck', '--no-progress');
    // nothing of the user's repository changed hands (a sandbox user owns only the task's clone)
    const { statSync, readdirSync } = await import('node:fs');
    const owners = new Set<number>();
    const walk = (p: string): void => {
      owners.add(statSync(p).uid);
      if (statSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    walk(repo);
    expect([...owners]).toEqual([process.getuid?.() ?? 0]);
    expect(git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(1);
    const show = await cortical(['tasks', 'logs', task.id], env);
    expect(show.stdout).toMatch(new RegExp(`published cortical/${task.id} at [0-9a-f]{12}`));
    // bubblewrap is the default runtime where it works (CI installs it)
    expect(show.stdout).toContain('sleeve runtime bubblewrap: sandboxed');
  });

  it('a sleeve killed at its memory limit is reported with reason oom; the loop goes on per its guardrails and the node survives', async () => {
    const hog = `node -e "const k=[];for(let i=0;i<64;i++)k.push(Buffer.alloc(8<<20,i));console.log('allocated everything')"`;
    const r = await cortical(['run', '--mode', 'loop', '--max-iterations', '2', '--memory', '96m', '--wait', '--json', hog], env);
    const task = JSON.parse(r.stdout) as Task;
    expect(task.state).toBe('failed');
    expect(task.usage.iterations).toBe(2);
    const logs = (await cortical(['tasks', 'logs', task.id], env)).stdout;
    expect(logs.match(/sleeve ended: oom/g)?.length).toBe(2);
    expect(logs).not.toContain('allocated everything');
    const after = await cortical(['run', '--wait', '--json', 'echo alive'], env);
    expect(after.code).toBe(0);
    expect((JSON.parse(after.stdout) as Task).state).toBe('succeeded');
  });

  it('a loop task with --until finishes after the expected number of iterations', async () => {
    const r = await cortical(
      ['run', '--mode', 'loop', '--until', 'test "$(wc -l < log.txt)" -ge 3', '--wait', '--json', 'echo tick >> log.txt'],
      env,
    );
    expect(r.code).toBe(0);
    const task = JSON.parse(r.stdout) as Task;
    expect(task).toMatchObject({ state: 'succeeded', reason: 'until_passed' });
    expect(task.usage.iterations).toBe(3);
  });

  it('guardrails stop tasks with the right reason code', async () => {
    const [maxIter, iterTimeout, total, budget] = await Promise.all([
      cortical(['run', '--mode', 'loop', '--max-iterations', '3', '--wait', '--json', 'date >> d.txt'], env),
      cortical(['run', '--iteration-timeout', '1s', '--wait', '--json', 'sleep 30'], env),
      cortical(['run', '--mode', 'loop', '--max-iterations', '1000', '--timeout', '2s', '--wait', '--json', 'sleep 0.3; date >> d.txt'], env),
      cortical(['run', '--agent', 'script', '--mode', 'loop', '--budget-tokens', '1000', '--wait', '--json', 'usage 300 200'], env),
    ]);
    const parsed = [maxIter, iterTimeout, total, budget].map((r) => {
      expect(r.code).toBe(1);
      return JSON.parse(r.stdout) as Task;
    });
    expect(parsed[0]).toMatchObject({ state: 'failed', reason: 'max_iterations' });
    expect(parsed[0]!.usage.iterations).toBe(3);
    expect(parsed[1]).toMatchObject({ state: 'failed', reason: 'iteration_timeout' });
    expect(parsed[2]).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(parsed[3]).toMatchObject({ state: 'failed', reason: 'budget_exceeded' });
    // 500 tokens per iteration: the budget of 1000 is reached after the second iteration.
    expect(parsed[3]!.usage.iterations).toBe(2);
    expect(parsed[3]!.usage.tokensIn + parsed[3]!.usage.tokensOut).toBe(1000);
  }, 90_000);

  it('pause, guide, resume and stop: the guidance reaches the next iteration', async () => {
    const script = ['echo-guidance', 'append progress.txt step', 'sleep 300'].join('\n');
    const task = await submit(['--agent', 'script', '--mode', 'loop', '--max-iterations', '500', script]);
    await eventually('two iterations', async () => ((await show(task.id)).usage.iterations >= 2 ? true : undefined));

    expect((await cortical(['tasks', 'pause', task.id], env)).code).toBe(0);
    const paused = await waitState(task.id, ['paused']);
    const iterationsAtPause = paused.usage.iterations;
    await new Promise((r) => setTimeout(r, 1200));
    expect((await show(task.id)).usage.iterations).toBe(iterationsAtPause); // nothing runs while paused

    expect((await cortical(['tasks', 'guide', task.id, 'focus on the failing test first'], env)).code).toBe(0);
    expect((await cortical(['tasks', 'resume', task.id], env)).code).toBe(0);
    await waitState(task.id, ['running']);
    await eventually('guidance in the logs', async () =>
      (await logsOf(task.id)).includes('guidance: focus on the failing test first') ? true : undefined,
    );
    const current = await readFile(join(paused.workspacePath!, '.cstack', 'CURRENT.md'), 'utf8');
    expect(current).toContain('focus on the failing test first');

    expect((await cortical(['tasks', 'stop', task.id], env)).code).toBe(0);
    const stopped = await waitState(task.id, ['cancelled']);
    expect(stopped.reason).toBe('stopped');
  }, 90_000);

  it('pause --now suspends the running iteration and resume continues it', async () => {
    const task = await submit(['--agent', 'script', '--mode', 'loop', '--max-iterations', '500', 'append ticks.txt t\nsleep 100']);
    await eventually('running', async () => ((await show(task.id)).usage.iterations >= 1 ? true : undefined));
    expect((await cortical(['tasks', 'pause', '--now', task.id], env)).code).toBe(0);
    const paused = await waitState(task.id, ['paused']);
    const lines = (await readFile(join(paused.workspacePath!, 'ticks.txt'), 'utf8')).split('\n').length;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await readFile(join(paused.workspacePath!, 'ticks.txt'), 'utf8')).split('\n').length).toBe(lines);
    expect((await cortical(['tasks', 'resume', task.id], env)).code).toBe(0);
    await eventually('more iterations after resume', async () =>
      (await readFile(join(paused.workspacePath!, 'ticks.txt'), 'utf8')).split('\n').length > lines + 1 ? true : undefined,
    );
    await cortical(['tasks', 'stop', task.id], env);
    await waitState(task.id, ['cancelled']);
  }, 60_000);

  it('kill switch: running loops stop, new tasks stay queued; off: work resumes', async () => {
    const long = await submit(['--mode', 'loop', '--max-iterations', '10000', 'sleep 0.2; echo x >> x.txt']);
    await waitState(long.id, ['running']);

    expect((await cortical(['killswitch', 'on', '--reason', 'e2e drill'], env)).code).toBe(0);
    const requeued = await waitState(long.id, ['queued']);
    expect(requeued.reason).toBe('killswitch');
    const fresh = await submit(['echo later > later.txt']);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await show(fresh.id)).state).toBe('queued');
    expect((await show(long.id)).state).toBe('queued');
    const ks = await corticalJson<{ on: boolean; reason: string }>(['killswitch', 'status'], env);
    expect(ks).toMatchObject({ on: true, reason: 'e2e drill' });

    expect((await cortical(['killswitch', 'off'], env)).code).toBe(0);
    await waitState(fresh.id, ['succeeded']);
    await waitState(long.id, ['running']);
    await cortical(['tasks', 'stop', long.id], env);
    await waitState(long.id, ['cancelled']);
  }, 90_000);

  it('nodes gc: finished workspaces are listed by a dry run and freed by a real one', async () => {
    const r = await cortical(['run', '--wait', '--json', 'echo gc-me > gc.txt'], env);
    expect(r.code).toBe(0);
    const task = JSON.parse(r.stdout) as Task;
    const { existsSync } = await import('node:fs');
    // keep-days of about a second: every finished workspace has expired.
    const dry = await corticalJson<{ plan: { remove: { taskId: string }[] }; removed: unknown[] }>(
      ['nodes', 'gc', '--dry-run', '--keep-days', '0.00001'],
      env,
    );
    expect(dry.plan.remove.map((x) => x.taskId)).toContain(task.id);
    expect(dry.removed).toEqual([]);
    expect(existsSync(task.workspacePath!)).toBe(true);
    const real = await corticalJson<{ removed: { taskId: string }[] }>(['nodes', 'gc', '--keep-days', '0.00001'], env);
    expect(real.removed.map((x) => x.taskId)).toContain(task.id);
    expect(existsSync(task.workspacePath!)).toBe(false);
  }, 90_000); // four CLI processes and a task, like the tests above

  it('malformed input and unknown ids get clear 4xx errors', async () => {
    const bad = await api(url, adminToken, 'POST', '/api/v1/tasks', { prompt: '', mode: 'forever' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('VALIDATION_FAILED');
    const missing = await cortical(['tasks', 'show', 'task_doesnotexist'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/i);
  });
});
