/**
 * Value parsers for commander options. They throw commander's `InvalidArgumentError`, which the
 * program reports as a usage error (exit code 2) naming the option.
 */
import { InvalidArgumentError } from 'commander';
import { DurationError, parsePositiveDurationMs } from './duration.js';

const CAPABILITY = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const LABEL_KEY = /^[^=\s][^=]{0,62}$/;

export function intInRange(min: number, max: number, what = 'an integer'): (value: string) => number {
  return (value) => {
    const text = value.trim();
    if (!/^[+-]?\d+$/.test(text)) throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}.`);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}.`);
    }
    return n;
  };
}

export function positiveInt(max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return intInRange(1, max, 'a whole number');
}

/**
 * Marks "no limit" in parsed options. (A parser cannot return null: commander replaces a null
 * value with an empty string.) `limitValue` turns it into the API's null.
 */
export const UNLIMITED = 'unlimited';
export type Limit = number | typeof UNLIMITED;

export function limitValue(v: Limit): number | null {
  return v === UNLIMITED ? null : v;
}

/** A positive whole number, or `unlimited` / `none`. */
export function positiveIntOrUnlimited(max: number): (value: string) => Limit {
  const parse = positiveInt(max);
  return (value) => {
    if (/^(unlimited|none)$/i.test(value.trim())) return UNLIMITED;
    try {
      return parse(value);
    } catch {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, or 'unlimited'.`);
    }
  };
}

export function positiveNumber(value: string): number {
  const text = value.trim();
  const n = Number(text);
  if (text === '' || !/^\d*\.?\d+$/.test(text) || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('expected a number greater than zero.');
  }
  return n;
}

export function durationMs(value: string): number {
  try {
    return parsePositiveDurationMs(value);
  } catch (e) {
    if (e instanceof DurationError) throw new InvalidArgumentError(`${e.message}.`);
    throw e;
  }
}

/** `a,b,c` → capability names (lowercase letters, digits, `. _ -`); duplicates dropped. */
export function capabilityList(value: string): string[] {
  const caps = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const c of caps) {
    if (!CAPABILITY.test(c)) {
      throw new InvalidArgumentError(`'${c}' is not a capability name (lowercase letters, digits, . _ -; max 63).`);
    }
  }
  return [...new Set(caps)];
}

/** `--label k=v`, repeatable: collects into a record; a later key wins. */
export function collectLabel(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  const key = eq < 0 ? '' : value.slice(0, eq).trim();
  if (eq < 0 || !LABEL_KEY.test(key)) throw new InvalidArgumentError('expected key=value (key: 1-63 characters).');
  const v = value.slice(eq + 1);
  if (v.length > 255) throw new InvalidArgumentError('label values are at most 255 characters.');
  return { ...(previous ?? {}), [key]: v };
}

export function tcpPort(value: string): number {
  return intInRange(0, 65_535, 'a port number')(value);
}

const SIZE_UNITS_MB: Readonly<Record<string, number>> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/**
 * A size in whole megabytes: `512m`, `2g`, `1.5g`, `200k` (rounded up), a plain number = MB, or
 * `unlimited`.
 */
export function sizeMbOrUnlimited(value: string): Limit {
  const text = value.trim().toLowerCase();
  if (text === 'unlimited') return UNLIMITED;
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)b?$/.exec(text);
  if (!m) throw new InvalidArgumentError("expected a size such as 512m, 2g or 1024 (MB), or 'unlimited'.");
  const mb = Math.ceil(Number(m[1]) * (SIZE_UNITS_MB[m[2] || 'm'] ?? 1));
  if (!Number.isSafeInteger(mb) || mb < 1) throw new InvalidArgumentError('expected a size of at least 1 MB.');
  return mb;
}

/** CPU cores (`0.5`, `2`) as a percentage of one core (50, 200). */
export function cpusAsPercent(value: string): number {
  const text = value.trim();
  if (!/^\d+(?:\.\d+)?$/.test(text)) throw new InvalidArgumentError('expected a number of cores such as 0.5 or 2.');
  const pct = Math.round(Number(text) * 100);
  if (pct < 1 || pct > 100_000) throw new InvalidArgumentError('expected between 0.01 and 1000 cores.');
  return pct;
}

/** Repeatable `--allow host[:port]`; also accepts comma-separated lists. */
export function collectAllow(value: string, previous: string[] | undefined): string[] {
  const entries = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new InvalidArgumentError('expected host, host:port or *.domain.');
  return [...(previous ?? []), ...entries];
}
