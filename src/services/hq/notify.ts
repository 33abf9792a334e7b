import type { BusTopic } from '../../core/ports/bus.js';
import type { HqDeps } from './hq-deps.js';

/**
 * Publish wake-ups after a committed change. The store is the source of truth, so a failed
 * publish only costs latency: it is logged, never thrown to the caller. `events.appended` is
 * always added because every state change appends events.
 */
export async function notify(
  deps: Pick<HqDeps, 'bus' | 'logger'>,
  topics: readonly BusTopic[],
  data: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const all = new Set<BusTopic>(topics);
  all.add('events.appended');
  for (const topic of all) {
    try {
      await deps.bus.publish({ topic, data });
    } catch (err) {
      deps.logger.warn({ topic, err: errorMessage(err) }, 'bus publish failed');
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
