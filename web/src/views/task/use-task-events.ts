/**
 * A task's events: the whole history (paged), then the live stream from the last seq seen, merged
 * by seq so that each event is shown exactly once.
 */
import { useEffect, useRef, useState } from 'react';
import { subscribeEvents } from '../../api/events.js';
import { getEventsPage, PAGE_LIMIT } from './task-api.js';
import type { EventDto } from './task-types.js';
import { mergeEvents } from './timeline-model.js';

export type ConnectionState = 'loading' | 'connecting' | 'open' | 'reconnecting' | 'error';

export interface TaskEvents {
  readonly events: readonly EventDto[];
  readonly connection: ConnectionState;
  readonly error: string | null;
}

/** Live events are applied in small batches (an agent can report many per second). */
const BATCH_MS = 50;

export function useTaskEvents(taskId: string, onNewEvents?: (batch: readonly EventDto[]) => void): TaskEvents {
  const [events, setEvents] = useState<readonly EventDto[]>([]);
  const [connection, setConnection] = useState<ConnectionState>('loading');
  const [error, setError] = useState<string | null>(null);
  const callback = useRef(onNewEvents);
  useEffect(() => {
    callback.current = onNewEvents;
  }, [onNewEvents]);

  useEffect(() => {
    let cancelled = false;
    let unsubscribe: (() => void) | null = null;
    let pending: EventDto[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    setEvents([]);
    setConnection('loading');
    setError(null);

    const flush = (): void => {
      timer = null;
      if (cancelled || pending.length === 0) return;
      const batch = pending;
      pending = [];
      setEvents((prev) => mergeEvents(prev, batch));
      callback.current?.(batch);
    };

    const start = async (): Promise<void> => {
      let after = 0;
      let loaded: readonly EventDto[] = [];
      try {
        for (;;) {
          const page = await getEventsPage(taskId, after);
          if (cancelled) return;
          loaded = mergeEvents(loaded, page.items);
          setEvents((prev) => mergeEvents(prev, page.items));
          if (page.items.length < PAGE_LIMIT || page.nextAfter <= after) break;
          after = page.nextAfter;
        }
      } catch (e) {
        if (cancelled) return;
        setError(`cannot load the task's events: ${e instanceof Error ? e.message : String(e)}`);
        setConnection('error');
        return;
      }
      const lastSeq = loaded.at(-1)?.seq ?? 0;
      unsubscribe = subscribeEvents({
        taskId,
        after: lastSeq,
        onEvent: (e) => {
          if (cancelled) return;
          pending.push(e);
          timer ??= setTimeout(flush, BATCH_MS);
        },
        onStatus: (s) => {
          if (!cancelled) setConnection(s);
        },
      });
    };
    void start();
    return () => {
      cancelled = true;
      if (timer !== null) clearTimeout(timer);
      unsubscribe?.();
    };
  }, [taskId]);

  return { events, connection, error };
}
