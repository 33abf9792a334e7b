import { describe, expect, it } from 'vitest';
import { formatMb, formatRelative, formatUsd, formatUsdPerHour } from './format.js';

describe('format', () => {
  it('formats dollars', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatUsd(1234.567)).toBe('$1,234.57');
    expect(formatUsd(undefined)).toBe('—');
    expect(formatUsdPerHour(0.5)).toBe('$0.50/h');
    expect(formatUsdPerHour(undefined)).toBe('—');
  });

  it('formats sizes and relative times', () => {
    expect(formatMb(512)).toBe('512 MB');
    expect(formatMb(16_000)).toBe('15.6 GB');
    const now = 1_000_000_000;
    expect(formatRelative(now - 1000, now)).toBe('just now');
    expect(formatRelative(now - 42_000, now)).toBe('42 s ago');
    expect(formatRelative(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatRelative(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatRelative(now - 2 * 86_400_000, now)).toBe('2 d ago');
    expect(formatRelative(now + 90_000, now)).toBe('in 1 min');
  });
});
