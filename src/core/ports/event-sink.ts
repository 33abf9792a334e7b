import type { StoredEvent } from '../events.js';

/**
 * A durable, ordered copy of the store's event log outside HQ (a JetStream stream in cluster
 * mode) for consumers that want a feed of their own. The store stays the source of truth: the
 * event relay copies events into the sink after they are committed, in `seq` order, and the
 * sink drops an event it already holds (dedup by `seq`), so re-publishing after a crash is safe.
 */
export interface EventSink {
  /**
   * The highest event `seq` the sink holds (or has held: events aged out of the sink still
   * count), 0 when it never held one. The relay resumes after it.
   */
  lastSeq(): Promise<number>;
  /**
   * Store `events` (ascending `seq`) one after another. Never rejects for a publish failure:
   * the result says how many events from the start of the batch are durably stored, so the
   * caller resumes at the first one that is not.
   */
  publish(events: readonly StoredEvent[]): Promise<EventSinkResult>;
}

export interface EventSinkResult {
  /** Events from the start of the batch that are now held by the sink (new or duplicates). */
  readonly stored: number;
  /** Of those, events the sink already held (dropped as duplicates). */
  readonly duplicates: number;
  /** Why the event after the stored ones failed; null when the whole batch is stored. */
  readonly error: string | null;
}
