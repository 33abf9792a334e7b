import { describe, expect, it } from 'vitest';
import { DurationError, formatAgo, formatDuration, parseDurationMs, parsePositiveDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1.5h', 5_400_000],
    ['0.5s', 500],
    ['90', 90_000], // a plain number is seconds
    ['1.25', 1250],
    [' 10S ', 10_000],
    ['0', 0],
  ])('%s → %d ms', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each(['', ' ', 'abc', '5x', '-5s', '5 m', 'm5', '1m1h', '5s5s', '1h-2m', '.s', '1e3', 'Infinity', '5m ago'])(
    'rejects %j with a clear message',
    (input) => {
      expect(() => parseDurationMs(input)).toThrow(DurationError);
      expect(() => parseDurationMs(input)).toThrow(/invalid duration .*use e\.g\. 250ms, 90s, 5m, 1h30m/);
    },
  );

  it('positive variant rejects zero', () => {
    expect(() => parsePositiveDurationMs('0s')).toThrow(/greater than zero/);
    expect(parsePositiveDurationMs('1ms')).toBe(1);
  });
});

describe('formatDuration / formatAgo', () => {
  it.each([
    [250, '250ms'],
    [4200, '4.2s'],
    [42_000, '42s'],
    [303_000, '5m 3s'],
    [7_500_000, '2h 5m'],
    [7_200_000, '2h'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d 4h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('relative times', () => {
    expect(formatAgo(1000, 4000)).toBe('3s ago');
    expect(formatAgo(0, 303_000)).toBe('5m ago');
    expect(formatAgo(10_000, 10_400)).toBe('just now');
    expect(formatAgo(7000, 1000)).toBe('in 6s');
  });
});
