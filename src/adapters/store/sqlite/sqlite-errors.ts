import { CorticalError } from '../../../core/errors.js';

/** Map better-sqlite3 errors onto the error family; our own errors pass through unchanged. */
export function translateSqliteError(e: unknown): unknown {
  if (e instanceof CorticalError || !(e instanceof Error)) return e;
  const code = (e as Error & { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return e;
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new CorticalError('CONFLICT', `constraint violated: ${e.message}`, { driverCode: code });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new CorticalError('UNAVAILABLE', 'database is busy; retry', { driverCode: code }, true);
  }
  return new CorticalError('INTERNAL', `database error: ${e.message}`, { driverCode: code });
}
