/**
 * Usage of one Claude Code iteration, cumulative, updated after every model response.
 *
 * Claude Code reports exact per-response usage only in its partial-message stream
 * (`stream_event` message_start / message_delta); an `assistant` line carries the usage of the
 * response's start (output tokens not yet known). At each `result` (end of a turn) the turn's
 * exact figures replace the running estimate: `model_usage_since_last_result` (every model,
 * subagents included, with Claude Code's own dollar cost), else the result's `usage`.
 * `total_cost_usd` is the session's (a resumed session's earlier cost included), so the
 * iteration's own cost is the sum of the turns' `costUSD`.
 */
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { priceUsage, usageFigures, type PriceTable, type TokenCounts } from '../../../core/pricing.js';
import type { ApiUsage, ResultLine } from './claude-stream-schema.js';

type UsageEvent = Extract<AgentEvent, { kind: 'usage' }>;

interface Counts {
  tokensIn: number;
  tokensOut: number;
  cachedTokensIn: number;
}

const ZERO: Counts = { tokensIn: 0, tokensOut: 0, cachedTokensIn: 0 };

function add(a: Counts, b: Counts): Counts {
  return { tokensIn: a.tokensIn + b.tokensIn, tokensOut: a.tokensOut + b.tokensOut, cachedTokensIn: a.cachedTokensIn + b.cachedTokensIn };
}

/** Counts of one API usage object: input includes cache reads and writes. */
export function countsOf(u: ApiUsage | null | undefined): Counts {
  const cached = u?.cache_read_input_tokens ?? 0;
  return {
    tokensIn: (u?.input_tokens ?? 0) + cached + (u?.cache_creation_input_tokens ?? 0),
    tokensOut: u?.output_tokens ?? 0,
    cachedTokensIn: cached,
  };
}

export class ClaudeUsageTracker {
  private completed: Counts = ZERO;
  /** Claude Code's own cost of the completed turns (null until a turn reported one). */
  private completedUsd: number | null = null;
  private lastSessionCost: number | null = null;
  /** The running turn's responses by message id. */
  private readonly turn = new Map<string, Counts>();
  private model: string | null = null;

  constructor(private readonly prices: PriceTable) {}

  setModel(model: string | null | undefined): void {
    if (model !== null && model !== undefined && model !== '' && model !== '<synthetic>') this.model = model;
  }

  /** Whether usage of this response was seen already. */
  knows(messageId: string): boolean {
    return this.turn.has(messageId);
  }

  /** Usage of one response (its start or its final figures): the new cumulative usage. */
  response(messageId: string, usage: ApiUsage | null | undefined): UsageEvent {
    this.turn.set(messageId, countsOf(usage));
    return this.snapshot();
  }

  /** The end of a turn: its exact figures replace the running estimate. */
  turnEnd(result: ResultLine): UsageEvent {
    const perModel = Object.values(result.model_usage_since_last_result ?? {});
    let turnCounts: Counts;
    let turnUsd: number | null;
    if (perModel.length > 0) {
      turnCounts = perModel.reduce<Counts>(
        (acc, m) =>
          add(acc, {
            tokensIn: m.inputTokens + m.cacheReadInputTokens + m.cacheCreationInputTokens,
            tokensOut: m.outputTokens,
            cachedTokensIn: m.cacheReadInputTokens,
          }),
        ZERO,
      );
      turnUsd = perModel.reduce((acc, m) => acc + m.costUSD, 0);
    } else {
      turnCounts = result.usage === null || result.usage === undefined ? this.turnSum() : countsOf(result.usage);
      const total = result.total_cost_usd ?? null;
      turnUsd = total === null ? null : Math.max(0, total - (this.lastSessionCost ?? 0));
    }
    if (result.total_cost_usd !== null && result.total_cost_usd !== undefined) this.lastSessionCost = result.total_cost_usd;
    this.completed = add(this.completed, turnCounts);
    if (turnUsd !== null) this.completedUsd = round((this.completedUsd ?? 0) + turnUsd);
    this.turn.clear();
    const counts = this.tokenCounts(this.completed);
    return { kind: 'usage', ...counts, model: this.model, ...usageFigures(this.prices, this.model, counts, this.completedUsd) };
  }

  private turnSum(): Counts {
    let sum = ZERO;
    for (const c of this.turn.values()) sum = add(sum, c);
    return sum;
  }

  /** Mid-turn: completed turns at Claude Code's cost, the running turn priced from the table. */
  private snapshot(): UsageEvent {
    const running = this.turnSum();
    const counts = this.tokenCounts(add(this.completed, running));
    const figures = usageFigures(this.prices, this.model, counts, null);
    const usd = this.completedUsd === null ? figures.usd : round(this.completedUsd + (priceUsage(this.prices, this.model, this.tokenCounts(running)) ?? 0));
    return { kind: 'usage', ...counts, model: this.model, usd, reportedUsd: null, pricedUsd: figures.pricedUsd };
  }

  private tokenCounts(c: Counts): TokenCounts & { cachedTokensIn: number } {
    return { tokensIn: c.tokensIn, tokensOut: c.tokensOut, cachedTokensIn: c.cachedTokensIn };
  }
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
