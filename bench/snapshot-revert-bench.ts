/**
 * Snapshot / revert bench: how long a workspace snapshot and a revert take on the node, by
 * workspace size, for a plain directory (private snapshot store) and a git worktree (files
 * untracked by the branch, as an agent leaves them).
 *
 * Each run changes 10% of the files, deletes 5% and adds 5% after the snapshot, then reverts and
 * checks the tree is exactly the snapshot's (a failed check exits non-zero). "first snapshot" is
 * the first one of a workspace (every file hashed); "snapshot" a later one (unchanged files come
 * from the index); medians over the runs.
 *
 *   npx tsx bench/snapshot-revert-bench.ts [--runs 3] [--max-files 10000]
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { GitWorkspaces } from '../src/adapters/workspace/git/git-workspace.js';
import { hashTree } from '../src/adapters/workspace/git/test-repo.js';
import { GitWorkspaceSnapshots } from '../src/adapters/workspace/git/workspace-snapshots.js';
import { argNumber } from './bench-args.js';
import { median } from './bench-stats.js';

export interface SnapshotRevertRow {
  readonly kind: 'plain' | 'worktree';
  readonly files: number;
  readonly mb: number;
  readonly runs: number;
  readonly firstSnapshotMs: number;
  readonly snapshotMs: number;
  readonly revertMs: number;
  readonly written: number;
  readonly removed: number;
}

export interface SnapshotRevertBenchResult {
  readonly rows: readonly SnapshotRevertRow[];
  /** Every revert restored the snapshot exactly. */
  readonly correct: boolean;
}

const CASES: readonly { kind: 'plain' | 'worktree'; files: number; bytesPerFile: number }[] = [
  { kind: 'plain', files: 500, bytesPerFile: 10_000 },
  { kind: 'plain', files: 2_000, bytesPerFile: 25_000 },
  { kind: 'worktree', files: 2_000, bytesPerFile: 25_000 },
  { kind: 'plain', files: 10_000, bytesPerFile: 10_000 },
];

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' },
  });
}

function fill(ws: string, files: number, bytesPerFile: number): void {
  const chunk = Buffer.alloc(bytesPerFile, 97);
  const perDir = 50;
  for (let i = 0; i < files; i++) {
    const dir = join(ws, 'gen', `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(dir, { recursive: true });
    chunk.writeUInt32LE(i, 0);
    writeFileSync(join(dir, `f${i % perDir}.bin`), chunk);
  }
  chmodSync(join(ws, 'gen', 'd0', 'f0.bin'), 0o755);
}

/** 10% changed, 5% deleted, 5% added. */
function churn(ws: string, files: number, round: number): void {
  const perDir = 50;
  const path = (i: number) => join(ws, 'gen', `d${Math.floor(i / perDir)}`, `f${i % perDir}.bin`);
  for (let i = 0; i < files; i += 10) writeFileSync(path(i), `changed in round ${round}\n`);
  for (let i = 5; i < files; i += 20) unlinkSync(path(i));
  mkdirSync(join(ws, 'added'), { recursive: true });
  for (let i = 0; i < files / 20; i++) writeFileSync(join(ws, 'added', `r${round}-${i}.txt`), `new ${i}\n`);
}

async function runCase(c: (typeof CASES)[number], runs: number): Promise<{ row: SnapshotRevertRow; correct: boolean }> {
  const root = mkdtempSync(join(tmpdir(), 'cortical-snap-bench-'));
  try {
    const workDir = join(root, 'work');
    let repo: { path: string; baseRef: null } | null = null;
    if (c.kind === 'worktree') {
      const path = join(root, 'repo');
      mkdirSync(path);
      git(path, 'init', '-q', '-b', 'main');
      writeFileSync(join(path, 'README'), 'bench\n');
      git(path, 'add', '.');
      git(path, 'commit', '-q', '-m', 'base');
      repo = { path, baseRef: null };
    }
    const ws = (await new GitWorkspaces(workDir).prepare({ taskId: 'bench', prompt: 'p', repo })).path;
    fill(ws, c.files, c.bytesPerFile);
    const snaps = new GitWorkspaceSnapshots(workDir);
    let t0 = performance.now();
    await snaps.snapshot(ws, 'first');
    const firstSnapshotMs = performance.now() - t0;
    const snapMs: number[] = [];
    const revertMs: number[] = [];
    let correct = true;
    let written = 0;
    let removed = 0;
    for (let r = 0; r < runs; r++) {
      const want = hashTree(ws);
      t0 = performance.now();
      const s = await snaps.snapshot(ws, `run ${r}`);
      snapMs.push(performance.now() - t0);
      churn(ws, c.files, r);
      t0 = performance.now();
      const res = await snaps.revert(ws, s.id);
      revertMs.push(performance.now() - t0);
      written = res.written;
      removed = res.removed;
      if (hashTree(ws) !== want) correct = false;
    }
    const row: SnapshotRevertRow = {
      kind: c.kind,
      files: c.files,
      mb: (c.files * c.bytesPerFile) / 1_000_000,
      runs,
      firstSnapshotMs,
      snapshotMs: median(snapMs),
      revertMs: median(revertMs),
      written,
      removed,
    };
    return { row, correct };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function formatTable(rows: readonly SnapshotRevertRow[]): string {
  const head = ['workspace', 'files', 'MB', 'runs', 'first snapshot ms', 'snapshot ms (p50)', 'revert ms (p50)', 'written', 'removed'];
  const body = rows.map((r) => [
    r.kind,
    r.files.toLocaleString('en-US'),
    r.mb.toFixed(0),
    String(r.runs),
    r.firstSnapshotMs.toFixed(0),
    r.snapshotMs.toFixed(0),
    r.revertMs.toFixed(0),
    String(r.written),
    String(r.removed),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

export async function runSnapshotRevertBench(opts: { runs?: number; maxFiles?: number; print?: boolean } = {}): Promise<SnapshotRevertBenchResult> {
  const runs = opts.runs ?? 3;
  const rows: SnapshotRevertRow[] = [];
  let correct = true;
  for (const c of CASES.filter((x) => x.files <= (opts.maxFiles ?? Infinity))) {
    const r = await runCase(c, runs);
    rows.push(r.row);
    correct &&= r.correct;
  }
  if (opts.print ?? true) {
    console.log('workspace snapshot / revert (10% changed, 5% deleted, 5% added between snapshot and revert)\n');
    console.log(formatTable(rows));
    console.log(`\nevery revert restored the snapshot exactly: ${correct ? 'yes' : 'NO'}`);
  }
  return { rows, correct };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const r = await runSnapshotRevertBench({ runs: argNumber(args, '--runs'), maxFiles: argNumber(args, '--max-files') });
  if (!r.correct) process.exitCode = 1;
}
