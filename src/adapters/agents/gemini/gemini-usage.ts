import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { usageFigures, type PriceTable, type TokenCounts } from '../../../core/pricing.js';
import type { GeminiModelStats, GeminiStats } from './gemini-stream-schema.js';

/**
 * Usage of a Gemini CLI run. The `result` line's `stats` are the process's totals, per model:
 * `input_tokens` (prompt, cached included), `cached`, `output_tokens` (candidates, thoughts
 * excluded) and `total_tokens` (thoughts included), so reasoning = total − input − output.
 * The CLI reports no dollars: every figure is priced from the table, per model (the CLI's side
 * requests may use another model than the main one, e.g. `gemini-3-flash-preview` for its
 * next-speaker check); `pricedUsd` is the sum of the models the table knows, null when it knows
 * none of them.
 *
 * One iteration may be several processes (interrupted and resumed with guidance): a ledger
 * shared by their parsers adds the totals of the finished ones, so usage stays cumulative
 * within the iteration.
 */

interface ModelUsage {
  readonly model: string | null;
  readonly counts: Required<TokenCounts>;
}

interface Totals {
  tokensIn: number;
  tokensOut: number;
  cachedTokensIn: number;
  reasoningTokens: number;
  usd: number;
  pricedUsd: number | null;
}

function countsOf(s: GeminiModelStats): Required<TokenCounts> {
  const tokensIn = s.input_tokens ?? 0;
  const candidates = s.output_tokens ?? 0;
  const reasoning = Math.max(0, (s.total_tokens ?? 0) - tokensIn - candidates);
  return { tokensIn, tokensOut: candidates + reasoning, cachedTokensIn: Math.min(s.cached ?? 0, tokensIn), reasoningTokens: reasoning };
}

/** The stats of one process, per model (the top-level totals under `fallbackModel` when it lists none). */
export function usageOfStats(stats: GeminiStats, fallbackModel: string | null): ModelUsage[] {
  const models = Object.entries(stats.models ?? {});
  if (models.length === 0) return [{ model: fallbackModel, counts: countsOf(stats) }];
  return models.map(([model, s]) => ({ model, counts: countsOf(s) }));
}

function zero(): Totals {
  return { tokensIn: 0, tokensOut: 0, cachedTokensIn: 0, reasoningTokens: 0, usd: 0, pricedUsd: null };
}

function add(into: Totals, table: PriceTable, parts: readonly ModelUsage[]): Totals {
  const out = { ...into };
  for (const p of parts) {
    const f = usageFigures(table, p.model, p.counts, null);
    out.tokensIn += p.counts.tokensIn;
    out.tokensOut += p.counts.tokensOut;
    out.cachedTokensIn += p.counts.cachedTokensIn;
    out.reasoningTokens += p.counts.reasoningTokens;
    out.usd += f.usd;
    if (f.pricedUsd !== null) out.pricedUsd = (out.pricedUsd ?? 0) + f.pricedUsd;
  }
  return out;
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

export class GeminiUsageLedger {
  private committed = zero();

  constructor(private readonly prices: PriceTable) {}

  /** The usage event of the finished processes plus `current` (the running one's stats). */
  event(current: readonly ModelUsage[], model: string | null): Extract<AgentEvent, { kind: 'usage' }> {
    const t = add(this.committed, this.prices, current);
    return {
      kind: 'usage',
      tokensIn: t.tokensIn,
      tokensOut: t.tokensOut,
      usd: round(t.usd),
      cachedTokensIn: t.cachedTokensIn,
      reasoningTokens: t.reasoningTokens,
      model,
      reportedUsd: null,
      pricedUsd: t.pricedUsd === null ? null : round(t.pricedUsd),
    };
  }

  /** Adds a finished process's stats to the iteration's totals. */
  commit(parts: readonly ModelUsage[]): void {
    this.committed = add(this.committed, this.prices, parts);
  }
}
