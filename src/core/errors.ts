/** One error family with stable codes. Interfaces map codes to protocol statuses in one place. */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'TASK_NOT_FOUND',
  'NODE_NOT_FOUND',
  'TOKEN_NOT_FOUND',
  'INVALID_TRANSITION',
  'LEASE_CONFLICT',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'JOIN_TOKEN_INVALID',
  'CONFLICT',
  'KILLSWITCH_ON',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export class CorticalError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** Whether the same call may succeed if retried later. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, retryable = false) {
    super(message);
    this.name = 'CorticalError';
    this.code = code;
    this.details = details;
    this.retryable = retryable;
  }
}

/** An error that must never be retried (bad input, stale fencing token, forbidden). */
export class TerminalError extends CorticalError {
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details, false);
    this.name = 'TerminalError';
  }
}

export function isCorticalError(e: unknown): e is CorticalError {
  return e instanceof CorticalError;
}
