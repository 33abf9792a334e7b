import type { AgentEvent, AgentExit, AgentRun } from '../../core/ports/agent-driver.js';
import type { Sleeve } from '../../core/ports/runtime.js';
import type { LineParser } from './sleeve-agent-run.js';

/** One process of an iteration: its sleeve and how its output is read. */
export interface RunPart {
  readonly sleeve: Sleeve;
  readonly parse: LineParser;
  /** Events to add when the part's output ends (a parser's pending state). */
  readonly flush?: () => readonly AgentEvent[];
}

/** How long an interrupted turn gets to end before it is killed. */
const INTERRUPT_GRACE_MS = 2000;

function exitOf(e: Awaited<Sleeve['exited']>): AgentExit {
  return {
    exitCode: e.exitCode,
    signal: e.signal,
    ...(e.reason !== undefined && e.reason !== 'exit' ? { reason: e.reason } : {}),
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  };
}

/**
 * An iteration that can be interrupted and resumed with guidance (`interrupt_resume`): `guide`
 * stops the running turn, and when its output has ended, `resume(text)` starts the CLI again on
 * the same session with the guidance as the new prompt. The events of all parts form one stream;
 * `exited` is the last part's exit. After `stop` nothing is resumed.
 */
export function resumableRun(first: RunPart, resume: (text: string) => Promise<RunPart>): AgentRun {
  let current = first;
  let stopped = false;
  let finished = false;
  let suspended = false;
  /** Guidance waiting for the current part to end, with the callers waiting for it. */
  let pending: { texts: string[]; waiters: { resolve: () => void; reject: (e: Error) => void }[] } | null = null;
  let settleExit!: (e: AgentExit) => void;
  const exited = new Promise<AgentExit>((r) => (settleExit = r));
  const resolveExit = (e: AgentExit): void => {
    finished = true;
    settleExit(e);
  };

  async function* events(): AsyncGenerator<AgentEvent> {
    for (;;) {
      const part = current;
      for await (const line of part.sleeve.lines) {
        const out = part.parse(line);
        if (out === null) continue;
        if (Array.isArray(out)) yield* out as readonly AgentEvent[];
        else yield out as AgentEvent;
      }
      if (part.flush !== undefined) yield* part.flush();
      const exit = exitOf(await part.sleeve.exited);
      const next = pending;
      pending = null;
      if (next === null || stopped) {
        for (const w of next?.waiters ?? []) w.reject(new Error('the iteration ended before the guidance could be delivered'));
        resolveExit(exit);
        return;
      }
      try {
        current = await resume(next.texts.join('\n\n'));
      } catch (e) {
        for (const w of next.waiters) w.reject(e as Error);
        resolveExit(exit);
        return;
      }
      if (suspended) current.sleeve.suspend();
      for (const w of next.waiters) w.resolve();
    }
  }

  return {
    events: events(),
    exited,
    suspend: () => {
      suspended = true;
      current.sleeve.suspend();
    },
    resume: () => {
      suspended = false;
      current.sleeve.resume();
    },
    stop: async (graceMs) => {
      stopped = true;
      await current.sleeve.stop(graceMs);
    },
    guide: (text) => {
      if (stopped || finished) return Promise.reject(new Error(stopped ? 'the iteration is stopping' : 'the iteration has ended'));
      return new Promise((resolve, reject) => {
        const first = pending === null;
        pending ??= { texts: [], waiters: [] };
        pending.texts.push(text);
        pending.waiters.push({ resolve: () => resolve('interrupt_resume'), reject });
        if (first) {
          if (suspended) current.sleeve.resume();
          void current.sleeve.stop(INTERRUPT_GRACE_MS);
        }
      });
    },
  };
}
