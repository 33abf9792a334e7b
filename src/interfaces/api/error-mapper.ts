import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isCorticalError, type ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/ports/logger.js';

/** The one mapping from error codes to HTTP statuses. */
export function httpStatusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'VALIDATION_FAILED':
      return 400;
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
    case 'JOIN_TOKEN_INVALID':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
    case 'TASK_NOT_FOUND':
    case 'NODE_NOT_FOUND':
    case 'TOKEN_NOT_FOUND':
      return 404;
    case 'INVALID_TRANSITION':
    case 'CONFLICT':
    case 'LEASE_CONFLICT':
    case 'KILLSWITCH_ON':
      return 409;
    case 'UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Readonly<Record<string, unknown>>): ErrorBody {
  const hasDetails = details !== undefined && Object.keys(details).length > 0;
  return { error: hasDetails ? { code, message, details: { ...details } } : { code, message } };
}

/** Turns any thrown error into the JSON error body. Unknown errors are logged and become 500. */
export function createErrorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (isCorticalError(err)) {
      const status = httpStatusOf(err.code);
      if (status >= 500) logger.error({ code: err.code, err: err.message, path: c.req.path }, 'request failed');
      return c.json(errorBody(err.code, err.message, err.details), status);
    }
    if (err instanceof HTTPException) {
      // Raised by the framework for bad input: malformed JSON, unsupported media type.
      if (err.status < 500) {
        return c.json(errorBody('VALIDATION_FAILED', describeHttpException(err)), err.status);
      }
      logger.error({ status: err.status, err: err.message, path: c.req.path }, 'request failed');
      return c.json(errorBody('INTERNAL', 'internal error'), 500);
    }
    if (err instanceof SyntaxError) {
      return c.json(errorBody('VALIDATION_FAILED', `malformed request: ${err.message}`), 400);
    }
    logger.error({ err: err.message, stack: err.stack, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('INTERNAL', 'internal error'), 500);
  };
}

function describeHttpException(err: HTTPException): string {
  if (err.status === 415) return 'unsupported media type: send the body as application/json';
  if (err.message.startsWith('Malformed JSON')) return 'malformed JSON in request body: send a valid JSON object';
  return err.message === '' ? 'bad request' : err.message;
}

export function notFoundHandler(c: Context): Response {
  return c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404);
}
