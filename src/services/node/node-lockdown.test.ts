/**
 * The fleet lockdown reaches a node: HQ (real SQLite store, HTTP API) says so in its heartbeat
 * answer, the node's view flips, and the node's policy gate refuses the T2 command of a shell
 * task, which HQ records as a `policy.decision` event.
 */
import { serve } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShellAgent } from '../../adapters/agents/shell/shell-agent.js';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { HttpHqLink } from '../../adapters/hq-link/http/http-hq-link.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import { silentLogger } from '../../core/ports/logger.js';
import { DEFAULT_TOOL_POLICY } from '../../core/tool-policy.js';
import { createApiApp } from '../../interfaces/api/create-api-app.js';
import { createHqHarness, type HqHarness } from '../hq/hq-test-harness.js';
import { NodeAgent } from './node-agent.js';
import { MemoryNodeState } from './node-test-kit.js';
import { PolicyDecisionLog } from './policy-decision-log.js';

/** A T2 command (it gains privileges) that never prompts; the node's policy allows it by pattern. */
const COMMAND = 'sudo -n true';

let h: HqHarness;
let server: Server;
let dir: string;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus(), config: { heartbeatIntervalMs: 100 } });
  const app = createApiApp(h.hq);
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  dir = mkdtempSync(join(tmpdir(), 'cortical-lockdown-'));
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the fleet lockdown on a node', () => {
  it('HQ turns it on: the node learns it from its heartbeat and refuses a T2 shell command, recorded as policy.decision', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let agent: NodeAgent | null = null;
    // as the node composes it (start-node.ts), with a policy that allows the command by pattern
    const policyLog = new PolicyDecisionLog({
      clock: h.clock,
      rules: () => ({ policy: { ...DEFAULT_TOOL_POLICY, allow: ['/^sudo -n true$/'] }, lockdown: agent?.lockdown ?? false }),
    });
    agent = new NodeAgent({
      hq: new HttpHqLink({ baseUrl: base, requestTimeoutMs: 10_000 }),
      policyLog,
      state: new MemoryNodeState(),
      probe: { resources: () => ({ cpuCount: 2, loadAvg1: 0, memTotalMb: 1000, memFreeMb: 500 }) },
      clock: h.clock,
      logger: silentLogger,
      runtime: new ProcessRuntime(),
      drivers: new Map<string, AgentDriver>([['shell', new ShellAgent({ policy: policyLog })]]),
      workspaces: new GitWorkspaces(dir),
      baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stopGraceMs: 300,
      flushIntervalMs: 50,
      config: { name: 'n1', joinToken: await h.joinToken(), capabilities: ['shell'], slots: 1, version: 'test', refreshBeforeExpiryMs: 1_000 },
    });
    const node = agent;
    const stop = new AbortController();
    const running = node.start(stop.signal);
    try {
      const heartbeats = async () => (await h.store.listNodes({ limit: 10 })).items.find((n) => n.name === 'n1')?.lastHeartbeatAt ?? undefined;
      await until('the node heartbeats', heartbeats);
      expect(node.lockdown).toBe(false);

      await h.store.setLockdown({ on: true, reason: 'drill', nowMs: h.clock.nowMs(), actor: 'test' });
      await until('the node sees the lockdown', () => (node.lockdown ? true : undefined));
      // the lockdown turned the kill switch on too; the operator lets work go on (T2+ stays refused)
      await h.hq.killSwitch.set({ on: false, reason: null, actor: 'test' });

      const task = await h.submit({ prompt: COMMAND, agent: 'shell' });
      const ended = await until('the task ends', async () => {
        await h.hq.scheduler.runOnce();
        const t = await h.store.getTask(task.id);
        return t !== null && ['succeeded', 'failed', 'cancelled'].includes(t.state) ? t : undefined;
      });
      expect(ended).toMatchObject({ state: 'failed', reason: 'agent_failed' });
      const decisions = await h.store.readEvents({ afterSeq: 0, limit: 100, taskId: task.id, types: ['policy.decision'] });
      expect(decisions.map((e) => e.data)).toEqual([
        expect.objectContaining({ subject: 'command', agent: 'shell', tool: 'run_command', tier: 'T2', allowed: false, reason: expect.stringContaining('locked down'), taskId: task.id, iteration: 1 }),
      ]);
      const logs = await h.store.readLogs({ taskId: task.id, afterSeq: 0, limit: 1000 });
      expect(logs.map((l) => l.text).join('\n')).toContain('denied by the tool policy: the fleet is locked down');
    } finally {
      stop.abort();
      await running;
    }
  }, 60_000);
});
