import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import { IterationDiff } from './iteration-diff.js';

describe('IterationDiff', () => {
  let root: string;
  let workspaces: GitWorkspaces;
  const logged: string[] = [];
  const log = (text: string): void => void logged.push(text);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cortical-itdiff-'));
    workspaces = new GitWorkspaces(root);
    logged.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports what the iteration changed in the workspace', async () => {
    const ws = (await workspaces.prepare({ taskId: 't1', prompt: 'p', repo: null })).path;
    const diffs = await IterationDiff.before(workspaces, ws, log);
    writeFileSync(join(ws, 'made.txt'), 'by the agent\n');
    const diff = await diffs.after();
    expect(diff?.files).toEqual([{ path: 'made.txt', status: 'added', additions: 1, deletions: 0 }]);
    expect(diff?.patch).toContain('+by the agent');
    expect(logged).toEqual([]);
  });

  it('a workspace that cannot be recorded gives no diff and a log line, never an error', async () => {
    await workspaces.prepare({ taskId: 't0', prompt: 'p', repo: null });
    const outside = mkdtempSync(join(root, 'elsewhere-'));
    const diffs = await IterationDiff.before(workspaces, outside, log);
    expect(await diffs.after()).toBeNull();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^workspace diff: cannot record the workspace before the iteration: .*not directly inside/);
  });

  it('a failure after the iteration gives no diff and a log line', async () => {
    const ws = (await workspaces.prepare({ taskId: 't2', prompt: 'p', repo: null })).path;
    const diffs = await IterationDiff.before(workspaces, ws, log);
    rmSync(ws, { recursive: true, force: true }); // the workspace vanished during the iteration
    expect(await diffs.after()).toBeNull();
    expect(logged).toEqual([expect.stringMatching(/^workspace diff: cannot compute the iteration's diff: /)]);
  });
});

describe('IterationDiff bounds', () => {
  it('a diff HQ would refuse (here: limits above the bounds HQ checks) is not reported: null and a log line', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cortical-itdiff-'));
    try {
      const workspaces = new GitWorkspaces(root);
      const ws = (await workspaces.prepare({ taskId: 't1', prompt: 'p', repo: null })).path;
      const logged: string[] = [];
      const diffs = await IterationDiff.before(workspaces, ws, (t) => void logged.push(t), { maxPatchBytes: 200_000, maxFiles: 500 });
      writeFileSync(join(ws, 'big.txt'), `${'x'.repeat(99)}\n`.repeat(1000));
      expect(await diffs.after()).toBeNull();
      expect(logged).toEqual([expect.stringMatching(/^workspace diff: cannot compute the iteration's diff: out of bounds/)]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
