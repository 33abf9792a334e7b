import { CorticalError } from '../../../core/errors.js';

/**
 * Opaque page cursors: base64url of a JSON tuple of the sort keys of the last item returned.
 */
export function encodeCursor(keys: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(keys), 'utf8').toString('base64url');
}

export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw invalid();
  shape.forEach((kind, i) => {
    const v: unknown = parsed[i];
    if (kind === 'number' ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== 'string') throw invalid();
  });
  return parsed as { [K in keyof T]: T[K] extends 'number' ? number : string };
}

function invalid(): CorticalError {
  return new CorticalError('VALIDATION_FAILED', 'invalid page cursor', { field: 'cursor' });
}
