import type { StoredEvent } from '../../core/events.js';
import type { HqDeps } from './hq-deps.js';
import { WakeSignal } from './wake-signal.js';

export interface FeedOptions {
  /** Start after this sequence number (0 = from the beginning). */
  readonly afterSeq: number;
  readonly taskId?: string | undefined;
  /** Events per store read. */
  readonly pageSize?: number | undefined;
}

/** One step of a followed feed: a page of events, or an idle tick (time for a keep-alive). */
export type FeedItem = { readonly kind: 'events'; readonly events: readonly StoredEvent[] } | { readonly kind: 'idle' };

const DEFAULT_PAGE_SIZE = 200;

/**
 * Reads the event log in pages after a sequence number, for resumable streams. Following waits
 * for an `events.appended` wake-up or polls every `eventPollIntervalMs`, whichever comes first.
 */
export class EventFeed {
  constructor(private readonly deps: Pick<HqDeps, 'store' | 'bus' | 'config'>) {}

  read(opts: FeedOptions): Promise<readonly StoredEvent[]> {
    return this.deps.store.readEvents({
      afterSeq: opts.afterSeq,
      limit: opts.pageSize ?? DEFAULT_PAGE_SIZE,
      taskId: opts.taskId,
    });
  }

  /** Everything that exists now, page by page, then stop. */
  async *drain(opts: FeedOptions): AsyncGenerator<readonly StoredEvent[]> {
    let after = opts.afterSeq;
    const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    for (;;) {
      const events = await this.read({ ...opts, afterSeq: after, pageSize });
      if (events.length === 0) return;
      yield events;
      after = events[events.length - 1]?.seq ?? after;
      if (events.length < pageSize) return;
    }
  }

  /**
   * Follow the log until `signal` aborts: yields pages as they appear and an `idle` item after
   * every quiet wait.
   */
  async *follow(opts: FeedOptions & { signal: AbortSignal }): AsyncGenerator<FeedItem> {
    const wake = new WakeSignal();
    const unsubscribe = this.deps.bus.subscribe('events.appended', () => wake.notify());
    const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    let after = opts.afterSeq;
    try {
      while (!opts.signal.aborted) {
        const events = await this.read({ ...opts, afterSeq: after, pageSize });
        if (events.length > 0) {
          after = events[events.length - 1]?.seq ?? after;
          yield { kind: 'events', events };
          if (events.length === pageSize) continue;
        }
        await wake.wait(this.deps.config.eventPollIntervalMs, opts.signal);
        if (events.length === 0) yield { kind: 'idle' };
      }
    } finally {
      unsubscribe();
    }
  }
}
