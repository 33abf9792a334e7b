import { describe, expect, it } from 'vitest';
import { clampLimit, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './page.js';

describe('clampLimit', () => {
  const rows: [string, number | undefined, number][] = [
    ['absent → default', undefined, DEFAULT_PAGE_LIMIT],
    ['NaN → default', Number.NaN, DEFAULT_PAGE_LIMIT],
    ['+Infinity → default', Number.POSITIVE_INFINITY, DEFAULT_PAGE_LIMIT],
    ['-Infinity → default', Number.NEGATIVE_INFINITY, DEFAULT_PAGE_LIMIT],
    ['1 stays', 1, 1],
    ['in range stays', 20, 20],
    ['max stays', MAX_PAGE_LIMIT, MAX_PAGE_LIMIT],
    ['above max → max', MAX_PAGE_LIMIT + 1, MAX_PAGE_LIMIT],
    ['far above max → max', 1e9, MAX_PAGE_LIMIT],
    ['0 → 1', 0, 1],
    ['negative → 1', -5, 1],
    ['fraction floored', 7.9, 7],
    ['fraction below 1 → 1', 0.5, 1],
    ['fraction above max → max', MAX_PAGE_LIMIT + 0.5, MAX_PAGE_LIMIT],
  ];
  it.each(rows)('%s', (_name, limit, expected) => {
    expect(clampLimit(limit)).toBe(expected);
  });

  it('defaults are sane', () => {
    expect(DEFAULT_PAGE_LIMIT).toBeGreaterThanOrEqual(1);
    expect(DEFAULT_PAGE_LIMIT).toBeLessThanOrEqual(MAX_PAGE_LIMIT);
  });
});
