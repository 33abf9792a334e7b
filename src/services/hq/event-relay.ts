import type { StoredEvent } from '../../core/events.js';
import type { EventSink } from '../../core/ports/event-sink.js';
import type { Runnable } from '../../core/runnable.js';
import type { Store } from '../../core/ports/store.js';
import type { HqDeps } from './hq-deps.js';
import { errorMessage } from './notify.js';
import { WakeSignal } from './wake-signal.js';

export interface EventRelayOptions {
  /** Poll the store this often when no `events.appended` wake-up arrives. */
  readonly pollIntervalMs: number;
  /** Events read from the store per pass. */
  readonly batchSize: number;
  /** First wait after a failure (doubling up to `maxRetryDelayMs`). */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /**
   * How long a hole in the seq numbers (an event not visible yet, e.g. a PostgreSQL transaction
   * that took its seq but has not committed) holds the events after it back before the relay
   * treats it as a seq that will never exist (a rolled-back insert) and moves on.
   */
  readonly gapWaitMs: number;
  /** Where to start when the sink has never held an event: the whole log, or only new events. */
  readonly startFrom: 'beginning' | 'latest';
}

export const DEFAULT_EVENT_RELAY_OPTIONS: EventRelayOptions = {
  pollIntervalMs: 1_000,
  batchSize: 500,
  retryDelayMs: 500,
  maxRetryDelayMs: 15_000,
  gapWaitMs: 5_000,
  startFrom: 'beginning',
};

export interface RelayPassResult {
  /** Events now held by the sink (published or dropped there as duplicates). */
  readonly stored: number;
  readonly duplicates: number;
  /** The last seq known to be in the sink after the pass. */
  readonly cursor: number;
  /** More events may be waiting right now (a full page was stored). */
  readonly more: boolean;
  /** Held back behind a seq hole. */
  readonly waitingOnGap: boolean;
  readonly error: string | null;
}

export type EventRelayDeps = Pick<HqDeps, 'bus' | 'logger'> & {
  readonly store: Pick<Store, 'readEvents' | 'lastEventSeq'>;
  readonly sink: EventSink;
};

/**
 * Copies the store's events into an EventSink (the JetStream stream in cluster mode), in seq
 * order, after a cursor: the last seq the sink holds, read back from the sink on start. Level
 * based: a pass runs on every `events.appended` wake-up (coalesced) and every `pollIntervalMs`,
 * and a failed publish is retried from the first event not stored, with backoff. Re-publishing
 * is harmless (the sink drops duplicates by seq), so several replicas may each run a relay.
 * Not needed with the memory bus (embedded mode has no sink).
 */
export class EventRelay implements Runnable {
  private readonly wake = new WakeSignal();
  private readonly options: EventRelayOptions;
  private cursor: number | null = null;
  /** The first seq we are waiting for, and since when (monotonic ms). */
  private gap: { seq: number; sinceMs: number } | null = null;

  constructor(
    private readonly deps: EventRelayDeps,
    options: Partial<EventRelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_EVENT_RELAY_OPTIONS, ...options };
  }

  /** The last seq known to be in the sink (null before the first pass). */
  get position(): number | null {
    return this.cursor;
  }

  /** Ask for a pass soon. */
  poke(): void {
    this.wake.notify();
  }

  async start(signal: AbortSignal): Promise<void> {
    const log = this.deps.logger.child({ loop: 'event-relay' });
    const unsubscribe = this.deps.bus.subscribe('events.appended', () => this.wake.notify());
    let failures = 0;
    try {
      while (!signal.aborted) {
        let waitMs = this.options.pollIntervalMs;
        try {
          const r = await this.runOnce();
          if (r.error !== null) {
            failures += 1;
            waitMs = this.backoffMs(failures);
            log.warn({ cursor: r.cursor, stored: r.stored, err: r.error, retryInMs: waitMs }, 'event relay publish failed; will retry');
          } else {
            if (failures > 0) log.info({ cursor: r.cursor }, 'event relay recovered');
            failures = 0;
            if (r.more) continue;
            if (r.waitingOnGap) waitMs = Math.min(waitMs, Math.max(10, Math.floor(this.options.gapWaitMs / 5)));
          }
        } catch (err) {
          failures += 1;
          waitMs = this.backoffMs(failures);
          log.warn({ err: errorMessage(err), retryInMs: waitMs }, 'event relay pass failed; will retry');
        }
        if (failures > 0) await sleep(waitMs, signal);
        else await this.wake.wait(waitMs, signal);
      }
    } finally {
      unsubscribe();
    }
  }

  /** One pass: read events after the cursor and publish the gap-free prefix of them. */
  async runOnce(): Promise<RelayPassResult> {
    if (this.cursor === null) this.cursor = await this.initialCursor();
    const cursor = this.cursor;
    const events = await this.deps.store.readEvents({ afterSeq: cursor, limit: this.options.batchSize });
    const ready = this.gapFreePrefix(cursor, events);
    if (ready.length === 0) {
      return { stored: 0, duplicates: 0, cursor, more: false, waitingOnGap: this.gap !== null, error: null };
    }
    const r = await this.deps.sink.publish(ready);
    const last = r.stored > 0 ? ready[r.stored - 1] : undefined;
    if (last !== undefined) this.cursor = last.seq;
    return {
      stored: r.stored,
      duplicates: r.duplicates,
      cursor: this.cursor,
      more: r.error === null && ready.length === events.length && events.length === this.options.batchSize,
      waitingOnGap: this.gap !== null,
      error: r.error,
    };
  }

  private async initialCursor(): Promise<number> {
    const inSink = await this.deps.sink.lastSeq();
    if (inSink > 0 || this.options.startFrom === 'beginning') {
      this.deps.logger.info({ cursor: inSink }, 'event relay resumes after the sink\'s last event');
      return inSink;
    }
    const latest = await this.deps.store.lastEventSeq();
    this.deps.logger.info({ cursor: latest }, 'event relay starts at the newest event (the sink is empty)');
    return latest;
  }

  /**
   * Events up to the first hole in the seq numbers. A hole holds the rest back until
   * `gapWaitMs` has passed since it was first seen; then the relay moves past it.
   */
  private gapFreePrefix(cursor: number, events: readonly StoredEvent[]): readonly StoredEvent[] {
    let expected = cursor + 1;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e === undefined) break;
      if (e.seq !== expected) {
        const now = performance.now();
        if (this.gap === null || this.gap.seq !== expected) this.gap = { seq: expected, sinceMs: now };
        if (now - this.gap.sinceMs < this.options.gapWaitMs) return events.slice(0, i);
        this.deps.logger.warn({ missingFrom: expected, missingTo: e.seq - 1 }, 'event relay skips seq numbers that never appeared');
        this.gap = null;
      }
      expected = e.seq + 1;
    }
    this.gap = null;
    return events;
  }

  private backoffMs(failures: number): number {
    return Math.min(this.options.maxRetryDelayMs, this.options.retryDelayMs * 2 ** Math.min(failures - 1, 16));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
