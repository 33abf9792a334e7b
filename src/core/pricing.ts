/**
 * Dollar cost of model usage from a per-model price table, for CLIs that report only tokens, and
 * to cross-check the ones that report dollars. Prices are USD per million tokens.
 */

export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Cached input (prompt cache reads); absent = the input price. */
  readonly cachedInputPerMTok?: number | undefined;
  /** Reasoning tokens; absent = the output price. */
  readonly reasoningPerMTok?: number | undefined;
}

export interface TokenCounts {
  /** Input tokens, cached ones included. */
  readonly tokensIn: number;
  /** Output tokens, reasoning ones included. */
  readonly tokensOut: number;
  /** The part of tokensIn read from a prompt cache. */
  readonly cachedTokensIn?: number | undefined;
  /** The part of tokensOut spent on reasoning. */
  readonly reasoningTokens?: number | undefined;
}

/**
 * Public list prices (USD / MTok) of common models. A node's config can add or override entries
 * (local models are free: price them 0). Matched by exact id, then by longest prefix, so dated
 * ids (`claude-sonnet-4-5-20250929`) find their family.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75, cachedInputPerMTok: 1.5 },
  'claude-opus-4-5': { inputPerMTok: 5, outputPerMTok: 25, cachedInputPerMTok: 0.5 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 },
  'claude-haiku-4': { inputPerMTok: 1, outputPerMTok: 5, cachedInputPerMTok: 0.1 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4, cachedInputPerMTok: 0.08 },
  'gpt-5': { inputPerMTok: 1.25, outputPerMTok: 10, cachedInputPerMTok: 0.125 },
  'gpt-5-mini': { inputPerMTok: 0.25, outputPerMTok: 2, cachedInputPerMTok: 0.025 },
  'gpt-5-nano': { inputPerMTok: 0.05, outputPerMTok: 0.4, cachedInputPerMTok: 0.005 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6, cachedInputPerMTok: 0.1 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10, cachedInputPerMTok: 1.25 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMTok: 0.075 },
  o3: { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4, cachedInputPerMTok: 0.275 },
  'gemini-2.5-pro': { inputPerMTok: 1.25, outputPerMTok: 10, cachedInputPerMTok: 0.31 },
  'gemini-2.5-flash': { inputPerMTok: 0.3, outputPerMTok: 2.5, cachedInputPerMTok: 0.075 },
  'gemini-2.5-flash-lite': { inputPerMTok: 0.1, outputPerMTok: 0.4, cachedInputPerMTok: 0.025 },
};

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** The price of `model`: exact id, else the longest table key that prefixes it; null if unknown. */
export function priceOf(table: PriceTable, model: string | null | undefined): ModelPrice | null {
  if (model === null || model === undefined || model === '') return null;
  const id = model.toLowerCase().replace(/^.*\//, '');
  const exact = table[id];
  if (exact !== undefined) return exact;
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    if (id.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return best === null ? null : table[best]!;
}

/** USD for `counts` at `price`, rounded to a millionth of a dollar. */
export function costUsd(price: ModelPrice, counts: TokenCounts): number {
  const cached = Math.min(Math.max(0, counts.cachedTokensIn ?? 0), counts.tokensIn);
  const reasoning = Math.min(Math.max(0, counts.reasoningTokens ?? 0), counts.tokensOut);
  const usd =
    ((counts.tokensIn - cached) * price.inputPerMTok +
      cached * (price.cachedInputPerMTok ?? price.inputPerMTok) +
      (counts.tokensOut - reasoning) * price.outputPerMTok +
      reasoning * (price.reasoningPerMTok ?? price.outputPerMTok)) /
    1_000_000;
  return Math.round(usd * 1e6) / 1e6;
}

/** Priced USD of `counts` for `model`, or null when the model is not in the table. */
export function priceUsage(table: PriceTable, model: string | null | undefined, counts: TokenCounts): number | null {
  const price = priceOf(table, model);
  return price === null ? null : costUsd(price, counts);
}

/**
 * Whether a CLI's own dollar figure and the table's disagree by more than `tolerance` (relative,
 * with a floor of a tenth of a cent so tiny amounts never flag).
 */
export function costMismatch(reportedUsd: number, pricedUsd: number, tolerance = 0.25): boolean {
  const diff = Math.abs(reportedUsd - pricedUsd);
  return diff > 0.001 && diff > tolerance * Math.max(reportedUsd, pricedUsd);
}

/**
 * The usage figures a driver reports: `usd` is the CLI's own figure when it has one, else the
 * table's (0 for an unknown model). A CLI that reports $0 for a model the table prices (a custom
 * provider without prices) is taken as not knowing the price: the table's figure counts.
 */
export function usageFigures(
  table: PriceTable,
  model: string | null | undefined,
  counts: TokenCounts,
  reportedUsd: number | null,
): { usd: number; reportedUsd: number | null; pricedUsd: number | null } {
  const pricedUsd = priceUsage(table, model, counts);
  const usd = reportedUsd !== null && (reportedUsd > 0 || pricedUsd === null) ? reportedUsd : (pricedUsd ?? 0);
  return { usd, reportedUsd, pricedUsd };
}
