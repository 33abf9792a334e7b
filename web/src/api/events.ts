/**
 * The live event stream (`GET /api/v1/events`, Server-Sent Events) read with `fetch`, because
 * `EventSource` cannot send the Authorization header. It resumes after a dropped connection with
 * `Last-Event-ID` (the last seq seen), backs off between attempts and never delivers a seq twice.
 */
import { authHeaders, clearToken, getToken } from './client.js';
import { SseParser, type SseFrame } from './sse-parser.js';
import type { StoredEventDto } from './types.js';

export type { StoredEventDto } from './types.js';

export type StreamStatus = 'connecting' | 'open' | 'reconnecting';

export interface SubscribeOptions {
  /** Only this task's events. */
  taskId?: string;
  /** Start after this seq (0 or absent: from the beginning of the log). */
  after?: number;
  onEvent: (e: StoredEventDto) => void;
  onStatus?: (s: StreamStatus) => void;
}

/** Seams for tests: the fetch to use and how to wait between attempts. */
export interface StreamDeps {
  fetch: typeof fetch;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Back-off before reconnect attempt `n` (0-based): 0.5 s, 1 s, 2 s … capped at 15 s. */
export function backoffMs(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** Math.min(attempt, 10));
}

/** Keeps the highest seq delivered and drops anything at or below it. */
export class SeqGate {
  constructor(private last: number = 0) {}

  get lastSeq(): number {
    return this.last;
  }

  /** True (and remembers it) when `seq` is new. */
  accept(seq: number): boolean {
    if (!Number.isFinite(seq) || seq <= this.last) return false;
    this.last = seq;
    return true;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns a frame into an event, or null for frames that are not events of the log. */
export function eventFromFrame(frame: SseFrame): StoredEventDto | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame.data);
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  const idSeq = frame.id !== undefined && /^\d+$/.test(frame.id) ? Number(frame.id) : undefined;
  const seq = typeof parsed.seq === 'number' ? parsed.seq : idSeq;
  if (seq === undefined) return null;
  return {
    seq,
    at: typeof parsed.at === 'number' ? parsed.at : 0,
    type: typeof parsed.type === 'string' ? parsed.type : frame.event,
    taskId: typeof parsed.taskId === 'string' ? parsed.taskId : null,
    nodeId: typeof parsed.nodeId === 'string' ? parsed.nodeId : null,
    data: isRecord(parsed.data) ? parsed.data : {},
  };
}

export function eventsUrl(taskId: string | undefined, after: number): string {
  const q = new URLSearchParams({ follow: 'true' });
  if (after > 0) q.set('after', String(after));
  if (taskId !== undefined) q.set('task', taskId);
  return `/api/v1/events?${q.toString()}`;
}

const defaultDeps: StreamDeps = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const t = window.setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        window.clearTimeout(t);
        resolve();
      }, { once: true });
    }),
};

/** Reads one connection until it ends, delivering new events. */
async function readOnce(
  opts: SubscribeOptions,
  gate: SeqGate,
  deps: StreamDeps,
  signal: AbortSignal,
): Promise<'ended' | 'unauthorized' | 'failed'> {
  const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders(getToken()) };
  if (gate.lastSeq > 0) headers['last-event-id'] = String(gate.lastSeq);
  const res = await deps.fetch(eventsUrl(opts.taskId, gate.lastSeq), { headers, signal, cache: 'no-store' });
  if (res.status === 401) return 'unauthorized';
  if (!res.ok || res.body === null) return 'failed';
  opts.onStatus?.('open');
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      for (const frame of parser.push(decoder.decode(value, { stream: true }))) {
        const e = eventFromFrame(frame);
        if (e !== null && gate.accept(e.seq)) opts.onEvent(e);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Follows the event log until the returned function is called. Reconnects (with `Last-Event-ID`)
 * whenever the connection ends or fails; stops for good on 401 (the token is cleared).
 */
export function subscribeEvents(opts: SubscribeOptions, deps: StreamDeps = defaultDeps): () => void {
  const ac = new AbortController();
  const gate = new SeqGate(opts.after ?? 0);
  const run = async (): Promise<void> => {
    let attempt = 0;
    opts.onStatus?.('connecting');
    while (!ac.signal.aborted) {
      let outcome: 'ended' | 'unauthorized' | 'failed';
      const before = gate.lastSeq;
      try {
        outcome = await readOnce(opts, gate, deps, ac.signal);
      } catch {
        outcome = 'failed';
      }
      if (ac.signal.aborted) return;
      if (outcome === 'unauthorized') {
        clearToken();
        return;
      }
      // A connection that delivered something resets the back-off.
      if (gate.lastSeq > before) attempt = 0;
      opts.onStatus?.('reconnecting');
      await deps.sleep(backoffMs(attempt), ac.signal);
      attempt += 1;
    }
  };
  void run();
  return () => ac.abort();
}
