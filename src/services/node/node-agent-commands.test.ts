import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptAgent } from '../../adapters/agents/script/script-agent.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import { GitWorkspaceSnapshots } from '../../adapters/workspace/git/workspace-snapshots.js';
import type { NodeCommand, NodeCommandKind } from '../../core/node-command.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import { silentLogger } from '../../core/ports/logger.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { NodeAgent } from './node-agent.js';
import { leasedTask, MemoryNodeState } from './node-test-kit.js';
import { WorkspaceCommandRunner } from './workspace-command-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-node-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));



let n = 0;
function command(taskId: string, kind: NodeCommandKind, args: Record<string, unknown> = {}): NodeCommand {
  n += 1;
  return { id: `cmd_${n}`, nodeId: 'node_1', taskId, kind, args, state: 'sent', result: null, error: null, actor: 'test', createdAt: 0, updatedAt: 0 };
}

function start(hq: InMemoryHqDouble, workDir: string) {
  const clock = { nowMs: () => Date.now() };
  const commands = new WorkspaceCommandRunner({
    hq,
    snapshots: new GitWorkspaceSnapshots(workDir),
    workspacePathOf: (taskId) => join(workDir, 'workspaces', taskId),
    clock,
    logger: silentLogger,
  });
  const agent = new NodeAgent({
    hq,
    commands,
    beforeIteration: (input) => commands.beforeIteration(input),
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
  return { stop: async () => { ac.abort(); await running; } };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const resultOf = (hq: InMemoryHqDouble, id: string) => hq.commandResults.find((r) => r.commandId === id);

describe('NodeAgent: workspace commands and tier snapshots', () => {
  it('a T2 task is snapshotted before every iteration; commands from heartbeats list and revert its workspace', async () => {
    const hq = new InMemoryHqDouble();
    const workDir = join(root, 'a');
    hq.tasks.set('t1', leasedTask('t1', 'append log.txt tick\n@3 done', { spec: { tier: 'T2' } }));
    const node = start(hq, workDir);
    try {
      await until(() => hq.completions.length === 1);
      await until(() => hq.iterations.filter((i) => i.kind === 'snapshot').length === 3);
      const snaps = hq.iterations.filter((i) => i.kind === 'snapshot');
      expect(snaps.map((s) => [s.iteration, s.data.label, s.data.auto])).toEqual([
        [1, 'before iteration 1', true],
        [2, 'before iteration 2', true],
        [3, 'before iteration 3', true],
      ]);
      const ws = join(workDir, 'workspaces', 't1');
      expect(readFileSync(join(ws, 'log.txt'), 'utf8')).toBe('tick\ntick\ntick\n');

      // the task is finished; its workspace stays on this node and commands still reach it
      const list = command('t1', 'list_snapshots');
      hq.commands.push(list);
      await until(() => resultOf(hq, list.id) !== undefined);
      const listed = resultOf(hq, list.id)!;
      expect(listed.state).toBe('done');
      const infos = (listed.result as { snapshots: { id: string; label: string }[] }).snapshots;
      expect(infos.map((s) => s.label)).toEqual(['before iteration 1', 'before iteration 2', 'before iteration 3']);

      writeFileSync(join(ws, 'stray.txt'), 'made after the snapshot\n');
      const revert = command('t1', 'revert', { snapshotId: infos[1]!.id });
      hq.commands.push(revert);
      await until(() => resultOf(hq, revert.id) !== undefined);
      const reverted = resultOf(hq, revert.id)!;
      expect(reverted).toMatchObject({ state: 'done', error: null, result: { snapshotId: infos[1]!.id, written: 1, removed: 1 } });
      expect(typeof (reverted.result as { durationMs: unknown }).durationMs).toBe('number');
      expect(readFileSync(join(ws, 'log.txt'), 'utf8')).toBe('tick\n');

      // delivered again (HQ had not seen the result yet): reported again, not run again
      writeFileSync(join(ws, 'log.txt'), 'changed again\n');
      const before = hq.commandResults.length;
      hq.commands.push(revert);
      await until(() => hq.commandResults.length > before);
      expect(hq.commandResults.at(-1)).toEqual(reverted);
      expect(readFileSync(join(ws, 'log.txt'), 'utf8')).toBe('changed again\n');

      const missing = command('t1', 'revert', { snapshotId: '20200101T000000000Z-000000' });
      const unknownTask = command('t_none', 'snapshot', { label: 'x' });
      hq.commands.push(missing, unknownTask);
      await until(() => resultOf(hq, missing.id) !== undefined && resultOf(hq, unknownTask.id) !== undefined);
      expect(resultOf(hq, missing.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/not found/) });
      expect(resultOf(hq, unknownTask.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/no workspace on this node/) });
    } finally {
      await node.stop();
    }
  }, 30_000);

  it('refuses a revert while an iteration runs; a snapshot during it works', async () => {
    const hq = new InMemoryHqDouble();
    const workDir = join(root, 'b');
    hq.tasks.set('t2', leasedTask('t2', 'write a.txt 1\nsleep 4000\ndone', { spec: { mode: 'once' } }));
    const node = start(hq, workDir);
    try {
      await until(() => hq.iterations.some((i) => i.kind === 'started'));
      await new Promise((r) => setTimeout(r, 200));
      const snap = command('t2', 'snapshot', { label: 'mid-iteration' });
      const revert = command('t2', 'revert', { snapshotId: '20200101T000000000Z-000000' });
      hq.commands.push(revert, snap);
      await until(() => resultOf(hq, snap.id) !== undefined && resultOf(hq, revert.id) !== undefined);
      expect(resultOf(hq, snap.id)).toMatchObject({ state: 'done', result: { label: 'mid-iteration' } });
      expect(resultOf(hq, revert.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/running an iteration/) });
      expect(hq.iterations.some((i) => i.kind === 'snapshot')).toBe(false); // tier T0: no automatic snapshots
      await until(() => hq.completions.length === 1);
    } finally {
      await node.stop();
    }
  }, 30_000);
});
