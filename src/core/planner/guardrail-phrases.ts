/**
 * Guardrails named in plain words: "at most 5 iterations", "max $2", "budget 2 dollars",
 * "50k tokens", "for 30 minutes", "timeout 1h". Each reader returns the value and the phrase it
 * read, or null. Pure: no I/O.
 */

export interface Found<T> {
  readonly value: T;
  readonly phrase: string;
}

const NUM = String.raw`(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)`;

function num(s: string): number {
  return Number(s.replace(/,/g, ''));
}

function first(text: string, patterns: readonly RegExp[]): RegExpExecArray | null {
  for (const re of patterns) {
    const m = re.exec(text);
    if (m !== null) return m;
  }
  return null;
}

const ITERATIONS: readonly RegExp[] = [
  new RegExp(String.raw`\b(?:max(?:imum)?|at most|up to|no more than|limit(?: of)?|cap(?: of)?)\s+(?:of\s+)?${NUM}\s+(?:iterations?|iters?|rounds?|tries|attempts at it|loops?)\b`, 'i'),
  new RegExp(String.raw`\bmax(?:imum)?[ -]?iterations?\s*(?:of|=|:)?\s*${NUM}\b`, 'i'),
  new RegExp(String.raw`\b${NUM}\s+(?:iterations?|iters?|rounds?)\b`, 'i'),
];

export function readIterations(text: string): Found<number> | null {
  const m = first(text, ITERATIONS);
  if (m === null) return null;
  const n = num(m[1] ?? '');
  if (!Number.isInteger(n) || n <= 0 || n > 1_000_000) return null;
  return { value: n, phrase: m[0].trim() };
}

const USD: readonly RegExp[] = [
  /\$\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k)?\b/i,
  new RegExp(String.raw`\b${NUM}\s*(k)?\s*(?:dollars?|usd|bucks)\b`, 'i'),
  new RegExp(String.raw`\b(?:budget|spend|cost)\s+(?:of\s+|is\s+|at most\s+|up to\s+|max\s+)?(?:usd\s*)?${NUM}\b(?!\s*(?:k\b|m\b)?\s*tokens?)()`, 'i'),
];

export function readBudgetUsd(text: string): Found<number> | null {
  const m = first(text, USD);
  if (m === null) return null;
  const n = num(m[1] ?? '') * (m[2]?.toLowerCase() === 'k' ? 1000 : 1);
  if (!Number.isFinite(n) || n <= 0) return null;
  return { value: Math.round(n * 100) / 100, phrase: m[0].trim() };
}

const TOKENS = new RegExp(String.raw`\b${NUM}\s*(k|m|thousand|million)?\s*tokens?\b`, 'i');
const TOKENS_BUDGET = new RegExp(String.raw`\btoken\s+(?:budget|limit)\s+(?:of\s+)?${NUM}\s*(k|m|thousand|million)?\b`, 'i');

export function readBudgetTokens(text: string): Found<number> | null {
  const m = TOKENS.exec(text) ?? TOKENS_BUDGET.exec(text);
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' || unit === 'thousand' ? 1000 : unit === 'm' || unit === 'million' ? 1_000_000 : 1;
  const n = Math.round(num(m[1] ?? '') * mult);
  if (!Number.isSafeInteger(n) || n <= 0) return null;
  return { value: n, phrase: m[0].trim() };
}

const UNIT = String.raw`(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)`;
const DURATIONS: readonly RegExp[] = [
  new RegExp(String.raw`\b(?:timeout|time limit|time out)\s*(?:of|=|:|after|is)?\s*${NUM}\s*${UNIT}\b`, 'i'),
  new RegExp(String.raw`\b(?:for|within|in under|under|at most|no longer than|max(?:imum)?|up to|limit(?: of)?)\s+(?:an?\s+)?${NUM}\s*${UNIT}\b`, 'i'),
  new RegExp(String.raw`\b(?:for|within|in under|at most|no longer than|max(?:imum)?|up to|timeout(?: of)?)\s+(?:an?\s+)?(hour|minute|day)\b()`, 'i'),
];

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  if (u === 'ms' || u.startsWith('millisecond')) return 1;
  if (u === 's' || u.startsWith('sec')) return 1000;
  if (u === 'm' || u.startsWith('min')) return 60_000;
  if (u === 'h' || u.startsWith('h')) return 3_600_000;
  return 86_400_000;
}

export function readTimeoutMs(text: string): Found<number> | null {
  for (const re of DURATIONS) {
    const m = re.exec(text);
    if (m === null) continue;
    // The third form names a unit alone ("within an hour"): one of it.
    const amount = m[2] === '' ? 1 : num(m[1] ?? '');
    const unit = m[2] === '' ? (m[1] ?? 'hour') : (m[2] ?? 'm');
    const ms = Math.round(amount * unitMs(unit));
    if (Number.isSafeInteger(ms) && ms > 0) return { value: ms, phrase: m[0].trim() };
  }
  return null;
}

/** "1h 30m", "45 s", "2 d" — for explanation lines. */
export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

export function formatUsd(usd: number): string {
  return Number.isInteger(usd) ? `$${usd}` : `$${usd.toFixed(2)}`;
}
