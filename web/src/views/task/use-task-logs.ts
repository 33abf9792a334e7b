/**
 * A task's log lines: read from `…/logs` after the last seq seen, then polled every second while
 * the task can still write (one more read after it finished). Keeps the newest MAX_LOG_LINES.
 */
import { useEffect, useRef, useState } from 'react';
import { getLogsPage, PAGE_LIMIT } from './task-api.js';
import { appendLogLines } from './log-buffer.js';
import type { LogLineDto } from './task-types.js';

export const LOG_POLL_MS = 1000;

export function useTaskLogs(taskId: string, terminal: boolean): { lines: readonly LogLineDto[]; error: string | null; dropped: boolean } {
  const [lines, setLines] = useState<readonly LogLineDto[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [dropped, setDropped] = useState(false);
  const terminalRef = useRef(terminal);

  useEffect(() => {
    terminalRef.current = terminal;
  }, [terminal]);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let after = 0;
    let total = 0;
    let finalRead = false;
    setLines([]);
    setError(null);
    setDropped(false);

    const tick = async (): Promise<void> => {
      timer = null;
      try {
        for (;;) {
          const page = await getLogsPage(taskId, after);
          if (cancelled) return;
          if (page.items.length > 0) {
            total += page.items.length;
            setLines((prev) => appendLogLines(prev, page.items));
          }
          after = Math.max(after, page.nextAfter);
          if (page.items.length < PAGE_LIMIT) break;
        }
        if (total > 5000) setDropped(true);
        setError(null);
      } catch (e) {
        if (cancelled) return;
        setError(`cannot load the log: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (cancelled) return;
      if (terminalRef.current) {
        // one more read after the task finished catches its last lines, then stop polling
        if (finalRead) return;
        finalRead = true;
      }
      timer = setTimeout(() => void tick(), LOG_POLL_MS);
    };
    void tick();
    return () => {
      cancelled = true;
      if (timer !== null) clearTimeout(timer);
    };
  }, [taskId]);

  return { lines, error, dropped };
}
