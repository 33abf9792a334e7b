/**
 * Test support for `cortical migrate`: an embedded fleet's SQLite database filled through the
 * real HQ services (tasks in several states, events, logs, guidance, nodes, tokens, budgets,
 * usage, a node command, the kill switch), and fresh PostgreSQL databases to copy it into.
 */
import { randomBytes } from 'node:crypto';
import { MemoryBus } from '../../src/adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { TEST_PG_URL, withAdmin } from '../../src/adapters/store/postgres/postgres-test-db.js';
import type { Principal } from '../../src/core/auth.js';
import { createHqHarness } from '../../src/services/hq/hq-test-harness.js';
import { runSchedulingPass } from '../../src/services/hq/scheduler-loop.js';

export interface SqliteFleet {
  /** Plaintext of the admin token (only its hash is stored). */
  readonly adminToken: string;
  /** Plaintext of a viewer token. */
  readonly viewerToken: string;
  readonly taskIds: { readonly succeeded: string; readonly failed: string; readonly running: string; readonly cancelled: string; readonly queued: string };
  readonly nodeIds: readonly string[];
  /** The fake clock's time when the fleet was built (usage reports are relative to it). */
  readonly nowMs: number;
}

/** Fill the SQLite database at `path` (created and migrated) through HQ's services; the store is closed after. */
export async function buildSqliteFleet(path: string): Promise<SqliteFleet> {
  // Leases outlive the hour the clock is moved on (a second bucket of the hourly roll-up).
  const h = await createHqHarness({ store: await SqliteStore.create(path), bus: new MemoryBus(), config: { leaseTtlMs: 4 * 3_600_000, nodeAccessTtlMs: 4 * 3_600_000 } });
  try {
    const viewerToken = await h.tokenFor('viewer');
    const a = await h.joinNode({ name: 'alpha', capabilities: ['linux'], slots: 2 });
    const b = await h.joinNode({ name: 'beta', capabilities: ['linux', 'gpu'], slots: 1 });
    const nodeA = await h.hq.auth.authenticate(a.accessToken);
    const nodeB = await h.hq.auth.authenticate(b.accessToken);

    const succeeded = await h.submit({ prompt: 'Fix the flaky test', project: 'web', labels: { team: 'core', kind: 'bug' }, priority: 5 });
    const failed = await h.submit({ prompt: 'Upgrade the parser', project: 'api', maxAttempts: 1 });
    const running = await h.submit({ prompt: 'Write the docs', project: 'web', labels: { team: 'docs' } });
    await runSchedulingPass(h.hq.deps);
    const leases = new Map<string, { node: Principal; token: number }>();
    for (const node of [nodeA, nodeB]) {
      const hb = await h.hq.nodes.heartbeat(node, node.nodeId!, { resources: { cpuCount: 4, loadAvg1: 0.1, memTotalMb: 8192, memFreeMb: 4096 } });
      for (const l of hb.leases) leases.set(l.id, { node, token: l.fencingToken });
    }
    for (const id of [succeeded.id, failed.id, running.id]) {
      const lease = leases.get(id);
      if (lease === undefined) throw new Error(`task ${id} was not leased`);
      await h.hq.leases.start(lease.node, id, { fencingToken: lease.token, workspacePath: `/work/${id}` });
    }
    // A renewal issues the lease-scoped credential: its signing key is an HQ secret.
    const held = leases.get(running.id)!;
    await h.hq.leases.renew(held.node, running.id, { fencingToken: held.token });
    await h.hq.controls.guide(running.id, 'Use the new style guide', 'alice');
    h.clock.advance(1_000);
    let usd = 0;
    for (const [i, id] of [succeeded.id, failed.id, running.id].entries()) {
      const lease = leases.get(id)!;
      const at = h.clock.nowMs();
      usd += 0.25;
      await h.hq.leases.progress(lease.node, id, {
        fencingToken: lease.token,
        iterations: [
          { iteration: 1, kind: 'started', at, data: {} },
          { iteration: 1, kind: 'finished', at: at + 5, data: { exitCode: 0 } },
        ],
        logs: [
          { attempt: 1, iteration: 1, stream: 'stdout', at, text: `hello from ${id}` },
          { attempt: 1, iteration: 1, stream: 'stderr', at: at + 1, text: `warning ${i}` },
        ],
        usage: { iterations: 1, tokensIn: 1000 * (i + 1), tokensOut: 200 * (i + 1), usd: 0.25 },
        runtimeMs: 1_500,
        ...(id === running.id ? { guidanceDeliveredSeq: 1, guidanceDeliveries: [{ seq: 1, mode: 'next_iteration' as const }] } : {}),
      });
    }
    h.clock.advance(60 * 60_000); // another hour of the hourly roll-up
    const ok = leases.get(succeeded.id)!;
    await h.hq.leases.complete(ok.node, succeeded.id, { fencingToken: ok.token, outcome: 'succeeded', reason: 'once_completed', message: 'done', usage: { iterations: 2, tokensIn: 1500, tokensOut: 300, usd: 0.5 }, runtimeMs: 3_000 });
    const bad = leases.get(failed.id)!;
    await h.hq.leases.complete(bad.node, failed.id, { fencingToken: bad.token, outcome: 'failed', reason: 'agent_failed', message: 'exit 1', runtimeMs: 2_000 });
    await h.hq.workspaceCommands.listSnapshots(running.id, 'alice');

    const cancelled = await h.submit({ prompt: 'Never mind', project: 'api' });
    await h.hq.controls.stop(cancelled.id, 'alice');
    const queued = await h.submit({ prompt: 'Later', requires: ['arm64'] });
    await h.hq.budgets.setProject('web', { dailyUsd: 10, dailyTokens: 1_000_000 }, 'alice');
    await h.hq.budgets.setProject('api', { dailyUsd: null, dailyTokens: 50_000 }, 'alice');
    await h.hq.killSwitch.set({ on: true, reason: 'maintenance window', actor: 'alice' });
    if (usd <= 0) throw new Error('no usage recorded');
    return {
      adminToken: h.adminToken,
      viewerToken,
      taskIds: { succeeded: succeeded.id, failed: failed.id, running: running.id, cancelled: cancelled.id, queued: queued.id },
      nodeIds: [a.nodeId, b.nodeId],
      nowMs: h.clock.nowMs(),
    };
  } finally {
    await h.close();
  }
}

/** A new, empty database on the test server; returns its URL. Drop it with `dropDatabase`. */
export async function createDatabase(prefix = 'cortical_migrate'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`create database "${name}"`));
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`drop database if exists "${name}" with (force)`));
}
