/** 2. The naive peer, one task per transaction, against HQ's batched passes on the same queue. */
import { performance } from 'node:perf_hooks';
import { schedule } from '../../src/core/scheduler/schedule.js';
import type { HqConfig } from '../../src/services/hq/hq-config.js';
import type { HqDeps } from '../../src/services/hq/hq-deps.js';
import { median } from '../bench-stats.js';
import type { DispatchStorage, PeerRow } from './dispatch-types.js';
import { workload } from './fleet-workload.js';
import { QueueSource } from './queue-source.js';
import { expectAllLeased } from './store-env.js';
import { dispatchBatched } from './throughput.js';

/** For each task: a snapshot of one queued task, plan it, commit that single placement. */
async function dispatchNaive(deps: HqDeps, tasks: number): Promise<number> {
  const { store, clock, config } = deps;
  let leased = 0;
  const start = performance.now();
  for (;;) {
    const snapshot = await store.loadSchedulerSnapshot({ maxTasks: 1, nowMs: clock.nowMs() });
    if (snapshot.tasks.length === 0) break;
    const now = clock.nowMs();
    const plan = schedule(snapshot, now);
    if (plan.placements.length === 0) throw new Error(`naive claim: task not placeable: ${JSON.stringify(plan.unplaced)}`);
    const commit = await store.commitPlan({ plan, nowMs: now, leaseTtlMs: config.leaseTtlMs });
    leased += commit.granted.length;
  }
  const ms = performance.now() - start;
  await expectAllLeased(store, tasks, 'naive claim loop');
  if (leased !== tasks) throw new Error(`naive claim loop leased ${leased} of ${tasks}`);
  return ms;
}

/** One row per storage: both lease copies of the same `peerTasks` queue, alternating which goes first. */
export async function measurePeer(
  storages: readonly DispatchStorage[],
  peerTasks: number,
  nodes: number,
  runs: number,
  config: HqConfig,
  rand: () => number,
): Promise<PeerRow[]> {
  const peer: PeerRow[] = [];
  for (const storage of storages) {
    const source = new QueueSource(storage, nodes, workload(peerTasks, rand), config, runs);
    const batched: number[] = [];
    const naive: number[] = [];
    try {
      for (let r = 0; r < runs; r++) {
        // Alternate which goes first so neither always runs on a warmer process.
        for (const which of r % 2 === 0 ? ['batched', 'naive'] : ['naive', 'batched']) {
          const env = await source.open();
          try {
            if (which === 'batched') batched.push(peerTasks / ((await dispatchBatched(env.deps, peerTasks)).ms / 1000));
            else naive.push(peerTasks / ((await dispatchNaive(env.deps, peerTasks)) / 1000));
          } finally {
            await env.close();
          }
        }
      }
    } finally {
      source.dispose();
    }
    const b = median(batched);
    const n = median(naive);
    peer.push({ storage, tasks: peerTasks, runs, batchedPerSec: b, naivePerSec: n, ratio: b / n });
  }
  return peer;
}
