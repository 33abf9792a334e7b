import type { Runnable } from '../../core/runnable.js';
import type { ReapResult } from '../../core/ports/store.js';
import type { HqDeps } from './hq-deps.js';
import { errorMessage, notify } from './notify.js';
import { WakeSignal } from './wake-signal.js';

type ReapDeps = Pick<HqDeps, 'store' | 'bus' | 'clock' | 'logger' | 'config'>;

/**
 * One reaper pass: requeue (or fail / cancel) tasks whose lease expired and mark silent nodes
 * lost, in batches until nothing is left; then wake the scheduler when capacity or work changed.
 */
export async function runReaperPass(deps: ReapDeps): Promise<ReapResult> {
  const requeued: string[] = [];
  const failed: string[] = [];
  const cancelled: string[] = [];
  const nodesLost: string[] = [];
  const limit = deps.config.reapBatchSize;
  for (let round = 0; round < 1000; round++) {
    const r = await deps.store.reapExpired({ nowMs: deps.clock.nowMs(), nodeLostAfterMs: deps.config.nodeLostAfterMs, limit });
    requeued.push(...r.requeued);
    failed.push(...r.failed);
    cancelled.push(...r.cancelled);
    nodesLost.push(...r.nodesLost);
    const n = r.requeued.length + r.failed.length + r.cancelled.length;
    if (n < limit && r.nodesLost.length < limit) break;
  }
  const tasksTouched = requeued.length + failed.length + cancelled.length;
  if (tasksTouched > 0 || nodesLost.length > 0) {
    deps.logger.info({ requeued: requeued.length, failed: failed.length, cancelled: cancelled.length, nodesLost }, 'reaped');
    const topics = [
      ...(requeued.length > 0 ? (['tasks.queued'] as const) : []),
      ...(tasksTouched > 0 ? (['tasks.changed', 'nodes.changed'] as const) : []),
      ...(nodesLost.length > 0 ? (['nodes.changed'] as const) : []),
    ];
    await notify(deps, topics, { requeued: requeued.length, nodesLost: nodesLost.length });
  }
  return { requeued, failed, cancelled, nodesLost };
}

/** Periodically reaps expired leases and lost nodes. */
export class LeaseReaper implements Runnable {
  private readonly tick = new WakeSignal();

  constructor(private readonly deps: HqDeps) {}

  async start(signal: AbortSignal): Promise<void> {
    const log = this.deps.logger.child({ loop: 'lease-reaper' });
    while (!signal.aborted) {
      try {
        await runReaperPass(this.deps);
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'reaper pass failed');
      }
      await this.tick.wait(this.deps.config.reaperIntervalMs, signal);
    }
  }
}
