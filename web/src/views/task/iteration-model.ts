/** Per-iteration rows (number, outcome, tokens, cost, duration) from a task's events. Pure. */
import type { EventDto } from './task-types.js';
import { iterationKey, iterationOutcome } from './timeline-model.js';

export interface IterationRow {
  readonly key: string;
  readonly attempt: number;
  readonly iteration: number;
  readonly agent: string | null;
  readonly model: string | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** null while the iteration runs (or when its start was not seen). */
  readonly durationMs: number | null;
  /** null while the iteration runs. */
  readonly outcome: string | null;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly usd: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The time the node reported (`data.at`), else when HQ stored the event. */
const reportedAt = (e: EventDto): number => num(e.data.at) ?? e.at;

export function iterationRows(events: readonly EventDto[]): IterationRow[] {
  const rows = new Map<string, IterationRow>();
  const row = (e: EventDto): IterationRow => {
    const key = iterationKey(e.data);
    const existing = rows.get(key);
    if (existing !== undefined) return existing;
    const fresh: IterationRow = {
      key,
      attempt: num(e.data.attempt) ?? 0,
      iteration: num(e.data.iteration) ?? 0,
      agent: null,
      model: null,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      outcome: null,
      tokensIn: 0,
      tokensOut: 0,
      usd: 0,
    };
    rows.set(key, fresh);
    return fresh;
  };
  for (const e of events) {
    if (e.type === 'iteration.started') {
      const r = row(e);
      rows.set(r.key, { ...r, startedAt: reportedAt(e), agent: str(e.data.agent) ?? r.agent, model: str(e.data.model) ?? r.model });
    } else if (e.type === 'iteration.usage-reported') {
      const r = row(e);
      rows.set(r.key, {
        ...r,
        tokensIn: num(e.data.tokensIn) ?? r.tokensIn,
        tokensOut: num(e.data.tokensOut) ?? r.tokensOut,
        usd: num(e.data.usd) ?? r.usd,
        agent: str(e.data.agent) ?? r.agent,
        model: str(e.data.model) ?? r.model,
      });
    } else if (e.type === 'iteration.finished') {
      const r = row(e);
      rows.set(r.key, { ...r, finishedAt: reportedAt(e), outcome: iterationOutcome(e.data) });
    }
  }
  return [...rows.values()]
    .map((r) => ({ ...r, durationMs: r.startedAt !== null && r.finishedAt !== null ? Math.max(0, r.finishedAt - r.startedAt) : null }))
    .sort((a, b) => a.attempt - b.attempt || a.iteration - b.iteration);
}

/** Usage by `attempt:iteration` for the timeline's iteration summaries. */
export function usageByIteration(rows: readonly IterationRow[]): Map<string, { tokensIn: number; tokensOut: number; usd: number }> {
  return new Map(rows.map((r) => [r.key, { tokensIn: r.tokensIn, tokensOut: r.tokensOut, usd: r.usd }]));
}
