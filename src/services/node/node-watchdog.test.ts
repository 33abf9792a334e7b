import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptAgent } from '../../adapters/agents/script/script-agent.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import { hashTree } from '../../adapters/workspace/git/test-repo.js';
import { GitWorkspaceSnapshots } from '../../adapters/workspace/git/workspace-snapshots.js';
import type { TaskTier } from '../../core/node-command.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import { silentLogger } from '../../core/ports/logger.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { NodeAgent } from './node-agent.js';
import { leasedTask, MemoryNodeState } from './node-test-kit.js';
import { NodeWatchdog } from './node-watchdog.js';
import { WorkspaceCommandRunner } from './workspace-command-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-watchdog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Iteration 1 changes a file that was there, adds one, then runs until stopped. */
const SCRIPT = 'write keep.txt changed by the agent\nwrite added.txt new\nhang';

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node (real git workspaces, real snapshots, real processes) running one task of `tier` against an HQ double. */
async function startNode(name: string, tier: TaskTier, missedMs?: number) {
  const workDir = join(root, name);
  const ws = join(workDir, 'workspaces', 't');
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'keep.txt'), 'original\n');
  const hq = new InMemoryHqDouble();
  hq.tasks.set('t', leasedTask('t', SCRIPT, { spec: { tier } }));
  const clock = { nowMs: () => Date.now() };
  const snapshots = new GitWorkspaceSnapshots(workDir);
  const workspacePathOf = (taskId: string) => join(workDir, 'workspaces', taskId);
  const commands = new WorkspaceCommandRunner({ hq, snapshots, workspacePathOf, clock, logger: silentLogger });
  const watchdog = new NodeWatchdog({ hq, snapshots, workspacePathOf, clock, logger: silentLogger, missedMs, reportRetryMs: 50 });
  /** The workspace's content each time an iteration is about to start. */
  const atIterationStart: string[] = [];
  const agent = new NodeAgent({
    hq,
    commands,
    watchdog,
    beforeIteration: (input) => {
      atIterationStart.push(hashTree(input.workspacePath));
      return commands.beforeIteration(input);
    },
    state: new MemoryNodeState(),
    probe: { resources: () => ({ cpuCount: 2, loadAvg1: 0, memTotalMb: 100, memFreeMb: 50 }) },
    clock,
    logger: silentLogger,
    runtime: new ProcessRuntime(),
    drivers: new Map<string, AgentDriver>([['script', new ScriptAgent()]]),
    workspaces: new GitWorkspaces(workDir),
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stopGraceMs: 300,
    flushIntervalMs: 50,
    config: { name: 'n1', joinToken: 'tok_join.secretsecretsecret', capabilities: ['script'], slots: 1, version: 'test' },
  });
  const ac = new AbortController();
  const running = agent.start(ac.signal);
  const heartbeats = () => hq.calls.filter((c) => c === 'heartbeat').length;
  // the agent has changed the workspace, and heartbeats went on after that
  await until(() => existsSync(join(ws, 'added.txt')), 'the agent changed the workspace');
  const seen = heartbeats();
  await until(() => heartbeats() >= seen + 2, 'heartbeats after the change');
  const stop = async () => {
    ac.abort();
    await running;
  };
  return { hq, ws, agent, watchdog, snapshots, atIterationStart, heartbeats, stop };
}

/** HQ cannot be reached for `ms`, then can again; resolves after `after` more successful heartbeats. */
async function outage(node: Awaited<ReturnType<typeof startNode>>, ms: number, after = 2): Promise<void> {
  node.hq.unavailable = true;
  await pause(ms);
  node.hq.unavailable = false;
  const seen = node.hq.calls.length;
  await until(() => node.hq.calls.slice(seen).filter((c) => c === 'heartbeat').length >= after, 'heartbeats after the outage');
}

const revertLines = (hq: InMemoryHqDouble) => hq.logText().filter((t) => t.startsWith('workspace.reverted by the watchdog'));

describe('NodeWatchdog on a node', () => {
  it('reverts a T2 task\'s workspace to the snapshot taken before the gap, stops its sleeve and reports it', async () => {
    const node = await startNode('t2', 'T2');
    try {
      const [snap] = await node.snapshots.list(node.ws);
      expect(snap?.label).toBe('before iteration 1');
      const before = node.atIterationStart[0]!;
      expect(hashTree(node.ws)).not.toBe(before);

      await outage(node, 1200);
      await node.watchdog.idle();

      const [outcome] = node.watchdog.outcomes;
      expect(outcome).toMatchObject({ taskId: 't', outcome: 'reverted', reported: true, event: { reason: 'watchdog', snapshotId: snap!.id, written: 1, removed: 1 } });
      const missedMs = outcome!.outcome === 'reverted' ? outcome!.event.missedMs : 0;
      expect(missedMs).toBeGreaterThanOrEqual(1200);
      // reported to HQ through the attempt's progress
      const lines = revertLines(node.hq);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`snapshot ${snap!.id}`);
      expect(lines[0]).toContain(`lost for ${missedMs} ms`);
      // and as a `revert` iteration report, which HQ records as a `workspace.reverted` event
      const reverts = node.hq.iterations.filter((r) => r.kind === 'revert');
      expect(reverts).toEqual([{ iteration: 0, kind: 'revert', at: expect.any(Number), data: { ...outcome!.outcome === 'reverted' ? outcome!.event : {} } }]);
      expect(reverts[0]!.data).toMatchObject({ reason: 'watchdog', snapshotId: snap!.id, missedMs, label: 'before iteration 1', written: 1, removed: 1 });
      // the untrusted sleeve was stopped, and the next iteration started on the snapshot's content
      await until(() => node.atIterationStart.length >= 2, 'the next iteration');
      expect(node.atIterationStart[1]).toBe(before);
      // in the same attempt: its runner aborted the iteration and went on (no new attempt started)
      expect(node.hq.started).toHaveLength(1);
      expect(node.agent.runningTaskIds).toEqual(['t']);
      await until(() => node.hq.iterations.some((r) => r.iteration === 2 && r.kind === 'started'), 'iteration 2 reported');
      expect(node.hq.iterations.find((r) => r.iteration === 1 && r.kind === 'finished')?.data).toMatchObject({ verdict: 'continue', untilPassed: null });
      // what the runner had not sent yet still reached HQ: the aborted iteration's usage and its end
      expect(node.hq.iterations.some((r) => r.iteration === 1 && r.kind === 'usage')).toBe(true);
      expect(node.hq.logText()).toContain('iteration 1 aborted: its sleeve was stopped at once; the attempt goes on with the next iteration');
      expect(new Set(node.hq.logs.map((l) => l.attempt))).toEqual(new Set([1]));
    } finally {
      await node.stop();
    }
  }, 60_000);

  it('leaves a T1 task in the same situation untouched', async () => {
    const node = await startNode('t1', 'T1');
    try {
      const changed = hashTree(node.ws);
      await outage(node, 1200, 3);
      await node.watchdog.idle();
      expect(node.watchdog.outcomes).toEqual([]);
      expect(revertLines(node.hq)).toEqual([]);
      expect(node.hq.iterations.filter((r) => r.kind === 'revert')).toEqual([]);
      expect(hashTree(node.ws)).toBe(changed);
      expect(readFileSync(join(node.ws, 'keep.txt'), 'utf8')).toBe('changed by the agent\n');
      // the same sleeve runs on
      expect(node.hq.started).toHaveLength(1);
      expect(node.atIterationStart).toHaveLength(1);
      expect(node.agent.runningTaskIds).toEqual(['t']);
    } finally {
      await node.stop();
    }
  }, 60_000);

  it('does nothing for a gap below the threshold', async () => {
    const node = await startNode('short', 'T2', 5000);
    try {
      const changed = hashTree(node.ws);
      await outage(node, 700, 3);
      await node.watchdog.idle();
      expect(node.watchdog.outcomes).toEqual([]);
      expect(revertLines(node.hq)).toEqual([]);
      expect(hashTree(node.ws)).toBe(changed);
      expect(node.hq.started).toHaveLength(1);
      expect(node.atIterationStart).toHaveLength(1);
    } finally {
      await node.stop();
    }
  }, 60_000);

  it('reverts locally when HQ took the lease away during the gap; only the report is refused', async () => {
    const node = await startNode('lost', 'T2');
    try {
      const before = node.atIterationStart[0]!;
      node.hq.unavailable = true;
      node.hq.tasks.set('t', { ...node.hq.tasks.get('t')!, state: 'queued', nodeId: null });
      node.hq.lostLeases.add('t');
      await pause(1200);
      node.hq.unavailable = false;
      await until(() => node.watchdog.outcomes.length === 1, 'the watchdog outcome');
      expect(node.watchdog.outcomes[0]).toMatchObject({ outcome: 'reverted', reported: false });
      expect(hashTree(node.ws)).toBe(before);
      expect(readFileSync(join(node.ws, 'keep.txt'), 'utf8')).toBe('original\n');
      await until(() => node.agent.runningTaskIds.length === 0, 'the attempt ended');
      expect(node.hq.started).toHaveLength(1);
    } finally {
      await node.stop();
    }
  }, 60_000);
});
