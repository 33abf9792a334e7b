import { CorticalError } from '../../../core/errors.js';

/** Normalise a numeric column: drivers may return 64-bit integers as strings or bigints. */
export function toNum(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  throw new CorticalError('INTERNAL', `expected a number from the database, got ${typeof value}`);
}

export function toNumOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNum(value);
}

export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return toNum(value) !== 0;
}

export function fromBool(value: boolean): number {
  return value ? 1 : 0;
}

/** A caller-supplied row limit, bounded to [1, max]. */
export function boundLimit(limit: number, max: number): number {
  if (!Number.isFinite(limit)) return max;
  return Math.max(1, Math.min(max, Math.floor(limit)));
}
