/**
 * Child processes of the PostgreSQL benches: each is a Node.js process (TypeScript through tsx)
 * driven by the bench over the IPC channel with request → answer messages.
 *
 * Times that cross processes are wall-clock milliseconds with sub-millisecond resolution
 * (`performance.timeOrigin + performance.now()`); all processes run on one machine, so they
 * share the clock.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Wall-clock ms, comparable between the bench's processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Request {
  readonly id: number;
  readonly type: string;
  readonly body: unknown;
}

interface Answer {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

export interface BenchChild {
  readonly pid: number;
  /** Send a request; resolves with the child's answer, rejects with its error or when it exits. */
  request<T>(type: string, body?: unknown): Promise<T>;
  /** Ask it to stop (`stop` request), then wait for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Start `bench/<script>` (a `.ts` file next to this one) as a child with an IPC channel. */
export function spawnBenchChild(script: string): BenchChild {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child: ChildProcess = fork(path, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code;
      for (const p of pending.values()) p.reject(new Error(`${script} exited (code ${code}, signal ${signal}) before answering`));
      pending.clear();
      resolve();
    });
  });
  child.on('message', (raw) => {
    const m = raw as Answer;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`${script}: ${m.error ?? 'failed'}`));
  });
  return {
    pid: child.pid ?? -1,
    request<T>(type: string, body?: unknown): Promise<T> {
      if (exitCode !== undefined) return Promise.reject(new Error(`${script} has exited`));
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, type, body } satisfies Request);
      });
    },
    async stop(graceMs = 10_000): Promise<void> {
      if (exitCode !== undefined) return;
      const id = next++;
      child.send({ id, type: 'stop', body: null } satisfies Request);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * In the child: answer the parent's requests with `handlers`. A `stop` request runs
 * `handlers.stop` (if any), then the process exits.
 */
export function serveParent(handlers: Record<string, (body: any) => Promise<unknown>>): void {
  const send = (a: Answer): void => {
    process.send?.(a);
  };
  process.on('message', (raw) => {
    const m = raw as Request;
    void (async () => {
      try {
        const handler = handlers[m.type];
        if (handler === undefined && m.type !== 'stop') throw new Error(`unknown request ${m.type}`);
        const value = handler === undefined ? null : await handler(m.body);
        send({ id: m.id, ok: true, value });
      } catch (e) {
        send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
      if (m.type === 'stop') process.exit(0);
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * Do `count` items, spaced `intervalMs` apart from `startAtMs` (wall clock), or back to back
 * when `intervalMs` is 0.
 */
export async function paced(count: number, startAtMs: number, intervalMs: number, fn: (i: number) => Promise<void>): Promise<void> {
  const wait0 = startAtMs - wallMs();
  if (wait0 > 0) await sleep(wait0);
  for (let i = 0; i < count; i++) {
    if (intervalMs > 0) {
      const wait = startAtMs + i * intervalMs - wallMs();
      if (wait > 0) await sleep(wait);
    }
    await fn(i);
  }
}
