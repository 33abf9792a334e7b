/**
 * What `cortical tasks show` adds to a task's fields: the cost of each iteration (from its
 * `iteration.usage-reported` events) and the guidance with how it was delivered. Best effort: a
 * HQ that cannot answer leaves the section out.
 */
import type { ApiClient, GuidanceDto } from './api-client.js';
import { formatTable, truncate } from './output.js';

export interface IterationCost {
  readonly attempt: number | null;
  readonly iteration: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly usd: number;
  readonly model: string | null;
}

const PAGE = 1000;
const MAX_PAGES = 10;
/** Iterations shown (the latest). */
export const SHOWN_ITERATIONS = 20;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The iteration costs among a task's events, in order. */
export function iterationCosts(events: readonly { type: string; data: Readonly<Record<string, unknown>> }[]): IterationCost[] {
  const out: IterationCost[] = [];
  for (const e of events) {
    if (e.type !== 'iteration.usage-reported') continue;
    const iteration = num(e.data.iteration);
    if (iteration === null) continue;
    out.push({
      attempt: num(e.data.attempt),
      iteration,
      tokensIn: num(e.data.tokensIn) ?? 0,
      tokensOut: num(e.data.tokensOut) ?? 0,
      usd: num(e.data.usd) ?? 0,
      model: typeof e.data.model === 'string' ? e.data.model : null,
    });
  }
  return out;
}

export async function loadIterationCosts(client: ApiClient, taskId: string): Promise<IterationCost[] | null> {
  try {
    const costs: IterationCost[] = [];
    let after = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const events = await client.taskEvents(taskId, after, PAGE);
      costs.push(...iterationCosts(events));
      const last = events.at(-1);
      if (last === undefined || events.length < PAGE) break;
      after = last.seq;
    }
    return costs;
  } catch {
    return null;
  }
}

export async function loadGuidance(client: ApiClient, taskId: string): Promise<GuidanceDto[] | null> {
  try {
    return await client.taskGuidance(taskId);
  } catch {
    return null;
  }
}

export function formatIterationCosts(costs: readonly IterationCost[]): string {
  const shown = costs.slice(-SHOWN_ITERATIONS);
  const table = formatTable(
    ['ATTEMPT', 'ITER', 'TOKENS IN', 'TOKENS OUT', 'USD', 'MODEL'],
    shown.map((c) => [c.attempt === null ? '-' : String(c.attempt), String(c.iteration), String(c.tokensIn), String(c.tokensOut), `$${c.usd.toFixed(4)}`, c.model ?? '-']),
  );
  const more = costs.length > shown.length ? `\n(${costs.length - shown.length} earlier iterations not shown)` : '';
  return `iterations:\n${table}${more}`;
}

export function formatGuidance(items: readonly GuidanceDto[]): string {
  const rows = items.map((g) => [String(g.seq), g.deliveredAt === null ? 'pending' : (g.deliveryMode ?? 'delivered'), g.actor, truncate(g.text, 60)]);
  return `guidance:\n${formatTable(['SEQ', 'DELIVERY', 'BY', 'TEXT'], rows)}`;
}
