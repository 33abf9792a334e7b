import { z } from 'zod';
import { ErrorResponse } from '../../contract/node-schemas.js';

/** `application/json` content of a schema, for route definitions. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

const errorContent = (description: string) => ({ content: { 'application/json': { schema: ErrorResponse } }, description });

/** The error responses every authenticated route may give. */
export const AUTH_ERRORS = {
  400: errorContent('Invalid request (VALIDATION_FAILED)'),
  401: errorContent('Missing, malformed, unknown, revoked or expired token'),
  403: errorContent('The token\'s role lacks the permission'),
} as const;

export const NOT_FOUND_ERROR = { 404: errorContent('Unknown id') } as const;
export const CONFLICT_ERROR = { 409: errorContent('Invalid transition or stale lease') } as const;
export const BAD_REQUEST_ERROR = { 400: errorContent('Invalid request (VALIDATION_FAILED)') } as const;
export const UNAUTHORIZED_ERROR = { 401: errorContent('Invalid token') } as const;

export const BEARER_SECURITY = [{ bearerAuth: [] }];

/** Path parameter `{id}`. */
export const IdParam = z.object({
  id: z.string().min(1).max(200),
});

export const TaskIdParam = z.object({
  taskId: z.string().min(1).max(200),
});

export const ItemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
