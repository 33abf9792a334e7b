import { describe, expect, it } from 'vitest';
import { costMismatch, costUsd, DEFAULT_PRICES, priceOf, usageFigures } from './pricing.js';

describe('pricing', () => {
  it('finds a model by exact id, by longest prefix, and through a provider prefix', () => {
    expect(priceOf(DEFAULT_PRICES, 'gpt-5-mini')).toBe(DEFAULT_PRICES['gpt-5-mini']);
    expect(priceOf(DEFAULT_PRICES, 'gpt-5-mini-2025-08-07')).toBe(DEFAULT_PRICES['gpt-5-mini']);
    expect(priceOf(DEFAULT_PRICES, 'claude-sonnet-4-5-20250929')).toBe(DEFAULT_PRICES['claude-sonnet-4']);
    expect(priceOf(DEFAULT_PRICES, 'openai/GPT-4.1')).toBe(DEFAULT_PRICES['gpt-4.1']);
    expect(priceOf(DEFAULT_PRICES, 'qwen2.5-coder')).toBeNull();
    expect(priceOf(DEFAULT_PRICES, null)).toBeNull();
  });

  it('prices input, cached input, output and reasoning tokens separately', () => {
    const price = { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5, reasoningPerMTok: 10 };
    // 800k fresh input $1.6 + 200k cached $0.1 + 50k output $0.4 + 50k reasoning $0.5
    expect(costUsd(price, { tokensIn: 1_000_000, cachedTokensIn: 200_000, tokensOut: 100_000, reasoningTokens: 50_000 })).toBeCloseTo(2.6, 6);
    expect(costUsd({ inputPerMTok: 3, outputPerMTok: 15 }, { tokensIn: 1000, tokensOut: 1000, cachedTokensIn: 5000 })).toBeCloseTo(0.018, 6); // cached clamped to the input; no cached price = input price
  });

  it("counts the CLI's own dollars, the table's where it reports none or $0 for a priced model", () => {
    const counts = { tokensIn: 1_000_000, tokensOut: 0 };
    expect(usageFigures(DEFAULT_PRICES, 'gpt-4.1', counts, null)).toEqual({ usd: 2, reportedUsd: null, pricedUsd: 2 });
    expect(usageFigures(DEFAULT_PRICES, 'gpt-4.1', counts, 1.9)).toEqual({ usd: 1.9, reportedUsd: 1.9, pricedUsd: 2 });
    expect(usageFigures(DEFAULT_PRICES, 'gpt-4.1', counts, 0)).toEqual({ usd: 2, reportedUsd: 0, pricedUsd: 2 });
    expect(usageFigures(DEFAULT_PRICES, 'local-llama', counts, 0)).toEqual({ usd: 0, reportedUsd: 0, pricedUsd: null });
    expect(usageFigures(DEFAULT_PRICES, 'local-llama', counts, null)).toEqual({ usd: 0, reportedUsd: null, pricedUsd: null });
  });

  it('flags a cross-check mismatch above the tolerance, never for tiny amounts', () => {
    expect(costMismatch(1, 2)).toBe(true);
    expect(costMismatch(1, 1.1)).toBe(false);
    expect(costMismatch(0.0001, 0.0009)).toBe(false);
  });
});
