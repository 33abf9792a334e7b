import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import { gitSync, hashTree } from '../../adapters/workspace/git/test-repo.js';
import { GitWorkspaceSnapshots } from '../../adapters/workspace/git/workspace-snapshots.js';
import type { NodeCommand, NodeCommandKind } from '../../core/node-command.js';
import { silentLogger } from '../../core/ports/logger.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { WorkspaceCommandRunner } from './workspace-command-runner.js';

let n = 0;
function command(taskId: string, kind: NodeCommandKind, args: Record<string, unknown> = {}): NodeCommand {
  n += 1;
  return { id: `cmd_${n}`, nodeId: 'node_1', taskId, kind, args, state: 'sent', result: null, error: null, actor: 'test', createdAt: 0, updatedAt: 0 };
}

describe('WorkspaceCommandRunner', () => {
  let root: string;
  let workDir: string;
  let hq: InMemoryHqDouble;
  let runner: WorkspaceCommandRunner;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cortical-cmd-runner-'));
    workDir = join(root, 'work');
    hq = new InMemoryHqDouble();
    runner = new WorkspaceCommandRunner({
      hq,
      snapshots: new GitWorkspaceSnapshots(workDir),
      workspacePathOf: (taskId) => join(workDir, 'workspaces', taskId),
      clock: { nowMs: () => Date.now() },
      logger: silentLogger,
    });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = async (c: NodeCommand) => {
    runner.accept([c], () => false);
    await runner.idle();
    const r = hq.commandResults.find((x) => x.commandId === c.id);
    if (r === undefined) throw new Error(`no result for ${c.id}`);
    return r;
  };

  it('reverts a git worktree of 3,000 files exactly (changed, deleted, added, modes, links) and reports the counts', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    gitSync(repo, 'init', '-q', '-b', 'main');
    // 3,000 files in 30 directories, 1,500 committed, 1,500 untracked at snapshot time
    const body = (d: number, f: number) => `file ${d}/${f}\n${'x'.repeat(2000 + ((d * 31 + f) % 500))}\n`;
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(repo, 'src', `d${d}`), { recursive: true });
      for (let f = 0; f < 50; f++) writeFileSync(join(repo, 'src', `d${d}`, `f${f}.txt`), body(d, f));
    }
    gitSync(repo, 'add', '.');
    gitSync(repo, 'commit', '-q', '-m', 'base');
    const ws = (await new GitWorkspaces(workDir).prepare({ taskId: 'big', prompt: 'p', repo: { path: repo, baseRef: null } })).path;
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(ws, 'gen', `d${d}`), { recursive: true });
      for (let f = 0; f < 50; f++) writeFileSync(join(ws, 'gen', `d${d}`, `g${f}.bin`), Buffer.from(body(f, d)));
    }
    chmodSync(join(ws, 'gen', 'd0', 'g0.bin'), 0o755);
    symlinkSync('../src/d1/f1.txt', join(ws, 'gen', 'link'));
    const want = hashTree(ws);

    const snap = await run(command('big', 'snapshot', { label: 'baseline' }));
    expect(snap.state).toBe('done');
    const snapshotId = (snap.result as { snapshotId: string }).snapshotId;

    // the agent: rewrites 300 files, deletes 200, adds 250, commits some of it, flips a mode, moves a link
    for (let d = 0; d < 30; d++) for (let f = 0; f < 10; f++) writeFileSync(join(ws, 'src', `d${d}`, `f${f}.txt`), `rewritten ${d}/${f}\n`);
    for (let d = 0; d < 20; d++) for (let f = 40; f < 50; f++) unlinkSync(join(ws, 'gen', `d${d}`, `g${f}.bin`));
    mkdirSync(join(ws, 'new'));
    for (let i = 0; i < 250; i++) writeFileSync(join(ws, 'new', `n${i}.txt`), `n${i}\n`);
    chmodSync(join(ws, 'gen', 'd0', 'g0.bin'), 0o644);
    unlinkSync(join(ws, 'gen', 'link'));
    symlinkSync('elsewhere', join(ws, 'gen', 'link'));
    gitSync(ws, 'add', 'src');
    gitSync(ws, 'commit', '-q', '-m', 'agent work');
    expect(hashTree(ws)).not.toBe(want);

    const r = await run(command('big', 'revert', { snapshotId }));
    expect(r.state, r.error ?? '').toBe('done');
    expect(hashTree(ws)).toBe(want);
    // 300 rewritten + 200 restored + g0.bin mode + link = 502 written; 250 new files removed
    expect(r.result).toMatchObject({ snapshotId, written: 502, removed: 250 });
    expect((r.result as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('runs the commands of one task in order, never two at once', async () => {
    const ws = (await new GitWorkspaces(workDir).prepare({ taskId: 'seq', prompt: 'p', repo: null })).path;
    writeFileSync(join(ws, 'a.txt'), 'one\n');
    const first = command('seq', 'snapshot', { label: 'one' });
    runner.accept([first], () => false);
    await runner.idle();
    const id = (hq.commandResults[0]!.result as { snapshotId: string }).snapshotId;
    writeFileSync(join(ws, 'a.txt'), 'two\n');
    // a revert and a snapshot right after it: the snapshot must see the reverted tree
    const revert = command('seq', 'revert', { snapshotId: id });
    const after = command('seq', 'snapshot', { label: 'after revert' });
    const list = command('seq', 'list_snapshots');
    runner.accept([revert, after, list], () => false);
    await runner.idle();
    const byId = new Map(hq.commandResults.map((r) => [r.commandId, r]));
    expect(byId.get(revert.id)?.state).toBe('done');
    const snaps = (byId.get(list.id)?.result as { snapshots: { label: string; commit: string }[] }).snapshots;
    expect(snaps.map((s) => s.label)).toEqual(['one', 'after revert']);
    // same content → same tree: both snapshots hold `one`
    const tree = (commit: string) => gitSync(ws, '--git-dir', join(ws, '.cstack', 'snapshots.git'), 'rev-parse', `${commit}^{tree}`);
    expect(tree(snaps[0]!.commit)).toBe(tree(snaps[1]!.commit));
  });

  it('keeps a result HQ did not take and sends it again with the next heartbeat', async () => {
    await new GitWorkspaces(workDir).prepare({ taskId: 'hq-down', prompt: 'p', repo: null });
    hq.unavailable = true;
    const c = command('hq-down', 'snapshot', { label: 'x' });
    runner.accept([c], () => false);
    await runner.idle();
    await new Promise((r) => setTimeout(r, 20));
    expect(hq.commandResults).toEqual([]);
    hq.unavailable = false;
    runner.accept([], () => false);
    await new Promise((r) => setTimeout(r, 20));
    expect(hq.commandResults.map((r) => [r.commandId, r.state])).toEqual([[c.id, 'done']]);
  });
});
