import { CorticalError } from '../../../core/errors.js';

/**
 * How a PostgreSQL (or socket) error may be retried:
 * - `serialization`: the server rolled the transaction back (40001 serialization failure, 40P01
 *   deadlock); running it again is always safe.
 * - `connection`: the connection broke or the server refused/shut it (class 08, 57P01–57P03,
 *   53300, ECONNRESET …). Nothing was committed unless the break hit the COMMIT itself.
 * - null: not transient; retrying cannot help.
 */
export type TransientKind = 'serialization' | 'connection';

const SERIALIZATION_CODES = new Set(['40001', '40P01']);
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** Messages pg uses for a connection that died under it (they carry no code). */
const CONNECTION_MESSAGES = /connection terminated|not queryable|timeout exceeded when trying to connect|connection (?:was )?(?:closed|ended)/i;

function codeOf(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

export function transientKind(e: unknown): TransientKind | null {
  if (e instanceof CorticalError || !(e instanceof Error)) return null;
  const code = codeOf(e);
  if (code !== null) {
    if (SERIALIZATION_CODES.has(code)) return 'serialization';
    if (code.startsWith('08') || CONNECTION_CODES.has(code) || SOCKET_CODES.has(code)) return 'connection';
  }
  // AggregateError of a dual-stack connect: transient when every attempt was.
  if (e instanceof AggregateError && e.errors.length > 0 && e.errors.every((x) => transientKind(x) === 'connection')) return 'connection';
  return CONNECTION_MESSAGES.test(e.message) ? 'connection' : null;
}

/**
 * Map an error from pg onto the error family; our own errors pass through unchanged. `where`
 * names the server (a URL with its password masked) for messages about reaching it.
 */
export function translatePgError(e: unknown, where: string): unknown {
  if (e instanceof CorticalError || !(e instanceof Error)) return e;
  const code = codeOf(e);
  const details: Record<string, unknown> = { driverCode: code };
  const constraint = (e as { constraint?: unknown }).constraint;
  if (typeof constraint === 'string') details.constraint = constraint;
  if (code !== null && code.startsWith('23')) {
    const what = code === '23505' ? 'duplicate key' : 'constraint violated';
    return new CorticalError('CONFLICT', `${what}: ${e.message}`, details);
  }
  const kind = transientKind(e);
  if (kind === 'serialization') {
    return new CorticalError('UNAVAILABLE', `the database kept aborting the transaction for concurrent changes (${code}); retry`, details, true);
  }
  if (kind === 'connection') {
    return new CorticalError('UNAVAILABLE', `lost or could not open the connection to PostgreSQL at ${where}: ${e.message}; retry`, details, true);
  }
  if (code === '28P01' || code === '28000') {
    return new CorticalError('UNAVAILABLE', `PostgreSQL at ${where} refused the login: ${e.message}`, details);
  }
  if (code === '3D000') {
    return new CorticalError('UNAVAILABLE', `PostgreSQL at ${where}: ${e.message} (create it first)`, details);
  }
  return new CorticalError('INTERNAL', `database error${code === null ? '' : ` (SQLSTATE ${code})`}: ${e.message}`, details);
}

/** The URL with its password (and any `password=` parameter) replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return '(unparsable PostgreSQL URL)';
  }
}
