import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/**
 * Keeps a scroll box at its bottom as content grows, unless the user scrolled up; scrolling back
 * to the bottom (or `jump`) sticks again.
 */
export function useStickToBottom<T extends HTMLElement>(
  change: unknown,
): { ref: RefObject<T | null>; onScroll: () => void; stuck: boolean; jump: () => void } {
  const ref = useRef<T | null>(null);
  const [stuck, setStuck] = useState(true);
  const stuckRef = useRef(true);

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (el === null) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= 24;
    if (atBottom !== stuckRef.current) {
      stuckRef.current = atBottom;
      setStuck(atBottom);
    }
  }, []);

  const jump = useCallback(() => {
    const el = ref.current;
    stuckRef.current = true;
    setStuck(true);
    if (el !== null) el.scrollTop = el.scrollHeight;
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el !== null && stuckRef.current) el.scrollTop = el.scrollHeight;
  }, [change]);

  return { ref, onScroll, stuck, jump };
}
