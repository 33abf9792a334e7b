/**
 * Watching a task until it ends: `--wait` polls the task; `--follow` replays the task's events,
 * then streams new ones over SSE (resuming with `Last-Event-ID` after a dropped connection) while
 * polling its log lines.
 */
import { EventSchema } from '../../contract/task-schemas.js';
import type { TaskDto } from '../../contract/task-schemas.js';
import { ApiError } from './api-client.js';
import type { ApiClient, EventDto, LogLineDto } from './api-client.js';
import { CliError } from './cli-errors.js';
import { pollIntervalMs, sleep } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { readSse } from './sse.js';
import type { SseMessage } from './sse.js';
import { TERMINAL_EVENT_TYPES, isTerminalState } from './task-format.js';

const EVENT_PAGE = 200;
const LOG_PAGE = 1000;
/** Consecutive failed calls tolerated before giving up on HQ. */
const MAX_FAILURES = 8;

export interface WatchResult {
  /** The task as last seen; null only when interrupted before it was read. */
  readonly task: TaskDto | null;
  readonly interrupted: boolean;
}

/** Whether a failed call may succeed if tried again (network trouble, 5xx, 429). */
function isTransient(e: unknown): boolean {
  if (e instanceof ApiError) return e.status >= 500 || e.status === 429;
  return e instanceof CliError && e.message.startsWith('cannot reach HQ');
}

function backoffMs(io: CliIo, failures: number): number {
  return Math.min(pollIntervalMs(io) * 2 ** Math.max(0, failures - 1), 15_000);
}

/** Polls the task until it is terminal. */
export async function waitForTask(io: CliIo, client: ApiClient, id: string): Promise<WatchResult> {
  let failures = 0;
  let last: TaskDto | null = null;
  while (!io.signal?.aborted) {
    try {
      last = await client.getTask(id);
      failures = 0;
      if (isTerminalState(last.state)) return { task: last, interrupted: false };
    } catch (e) {
      if (io.signal?.aborted) break;
      if (!isTransient(e) || ++failures > MAX_FAILURES) throw e;
    }
    await sleep(failures ? backoffMs(io, failures) : pollIntervalMs(io), io.signal);
  }
  return { task: last, interrupted: true };
}

/** Fetches all log lines after `after`, page by page; returns the new lines. */
export async function fetchLogsAfter(client: ApiClient, id: string, after: number): Promise<LogLineDto[]> {
  const all: LogLineDto[] = [];
  let cursor = after;
  for (;;) {
    const page = await client.taskLogs(id, cursor, LOG_PAGE);
    const fresh = page.filter((l) => l.seq > cursor);
    all.push(...fresh);
    if (fresh.length === 0 || page.length < LOG_PAGE) return all;
    cursor = Math.max(...fresh.map((l) => l.seq));
  }
}

/** Fetches all of a task's stored events after `after`. */
export async function fetchEventsAfter(client: ApiClient, id: string, after: number): Promise<EventDto[]> {
  const all: EventDto[] = [];
  let cursor = after;
  for (;;) {
    const page = await client.taskEvents(id, cursor, EVENT_PAGE);
    const fresh = page.filter((e) => e.seq > cursor);
    all.push(...fresh);
    if (fresh.length === 0 || page.length < EVENT_PAGE) return all;
    cursor = Math.max(...fresh.map((e) => e.seq));
  }
}

/** Polls a task's logs, calling `onLog` for each new line, until the task ends. */
export async function followLogs(
  io: CliIo,
  client: ApiClient,
  id: string,
  onLog: (line: LogLineDto) => void,
): Promise<WatchResult> {
  let after = 0;
  let failures = 0;
  let last: TaskDto | null = null;
  while (!io.signal?.aborted) {
    try {
      // Read the state first: lines uploaded before a terminal state are then surely fetched.
      last = await client.getTask(id);
      const lines = await fetchLogsAfter(client, id, after);
      failures = 0;
      for (const l of lines) {
        onLog(l);
        after = Math.max(after, l.seq);
      }
      if (isTerminalState(last.state)) return { task: last, interrupted: false };
    } catch (e) {
      if (io.signal?.aborted) break;
      if (!isTransient(e) || ++failures > MAX_FAILURES) throw e;
    }
    await sleep(failures ? backoffMs(io, failures) : pollIntervalMs(io), io.signal);
  }
  return { task: last, interrupted: true };
}

function parseEvent(msg: SseMessage): EventDto | null {
  if (msg.data === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(msg.data);
  } catch {
    return null;
  }
  if (typeof json === 'object' && json !== null && !('type' in json) && msg.event !== 'message') {
    json = { ...json, type: msg.event };
  }
  const parsed = EventSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export interface FollowHandlers {
  readonly onEvent: (ev: EventDto) => void;
  readonly onLog: (line: LogLineDto) => void;
}

/** Streams a task's events and logs until it ends. */
export async function followTask(
  io: CliIo,
  client: ApiClient,
  id: string,
  handlers: FollowHandlers,
): Promise<WatchResult> {
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  io.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let logAfter = 0;
  const logFailure: { error: Error | null } = { error: null };
  const drainLogs = async (): Promise<void> => {
    for (const l of await fetchLogsAfter(client, id, logAfter)) {
      handlers.onLog(l);
      logAfter = Math.max(logAfter, l.seq);
    }
  };
  const logLoop = (async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      try {
        await drainLogs();
        failures = 0;
      } catch (e) {
        if (stop.signal.aborted) return;
        if (!isTransient(e) || ++failures > MAX_FAILURES) {
          logFailure.error = asError(e);
          stop.abort();
          return;
        }
      }
      await sleep(pollIntervalMs(io), stop.signal);
    }
  })();

  let lastSeq = 0;
  let ended = false;
  const seen = (ev: EventDto): void => {
    if (ev.seq <= lastSeq) return;
    lastSeq = ev.seq;
    handlers.onEvent(ev);
    if (ev.taskId === id && TERMINAL_EVENT_TYPES.has(ev.type)) ended = true;
  };

  let failure: Error | null = null;
  try {
    for (const ev of await fetchEventsAfter(client, id, 0)) seen(ev);
    let failures = 0;
    while (!ended && !stop.signal.aborted) {
      try {
        const body = await client.openEventStream({ task: id }, lastSeq, stop.signal);
        failures = 0;
        for await (const msg of readSse(body)) {
          const ev = parseEvent(msg);
          if (ev !== null && (ev.taskId === id || ev.taskId === null)) seen(ev);
          if (ended) break;
        }
      } catch (e) {
        if (stop.signal.aborted) break;
        if (!isTransient(e) || ++failures > MAX_FAILURES) throw e;
      }
      if (ended || stop.signal.aborted) break;
      // The stream closed: the task may have ended while we were not listening.
      const t = await client.getTask(id);
      if (isTerminalState(t.state)) break;
      await sleep(backoffMs(io, Math.max(1, failures)), stop.signal);
    }
  } catch (e) {
    failure = asError(e);
  }
  stop.abort();
  io.signal?.removeEventListener('abort', onOuterAbort);
  await logLoop;
  if (io.signal?.aborted) return { task: null, interrupted: true };
  if (failure !== null) throw failure;
  if (logFailure.error !== null) throw logFailure.error;
  await drainLogs();
  return { task: await client.getTask(id), interrupted: false };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
